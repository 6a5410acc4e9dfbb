import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Every query of the after-sales report (AS8), over `aftersales.vehicle`, `repair_order` and
/// `campaign_task`. Each statement first turns the period's store days into instants in the
/// store's time zone (`p`): `starts_at` and `ends_at` at 00:00 there, `upto` = the earlier of
/// `ends_at` and now, and `churn_boundary` = 00:00 of the day `churn_months` months before the
/// period's eve, the day before its first (PostgreSQL's month arithmetic, as `VehicleClassQueries`: 31 March less one month
/// is 28 or 29 February). The formulas are `AfterSalesReport`'s.
struct ReportStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The report's calendar: the period, the store's time zone and churn rule, now.
    struct Calendar: Sendable {
        var period: ReportPeriod
        var timeZone: String
        var churnMonths: Int
        var now: Date
    }

    /// The period's instants: start, end, and what the figures count up to.
    func bounds(_ calendar: Calendar) async throws -> (startsAt: Date, endsAt: Date, asOf: Date) {
        let rows = try await connection.query("""
            SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text,
                   \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text,
                   LEAST(\(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text, \(calendar.now)::timestamptz)
            """, logger: logger)
        for try await (starts, ends, asOf) in rows.decode((Date, Date, Date).self) {
            return (starts, ends, max(asOf, starts))
        }
        throw ReportStoreError(description: "the period \(calendar.period.label) has no bounds")
    }

    /// New, retained, returned and lost customers of `store` (`CustomerFigures`), in one pass over
    /// the store's visits up to `upto`: per VIN the first visit, the last before the start,
    /// whether one is in the period, and whether a visit turned the car lost in it — its lost
    /// instant (`lost_at`, below) in the period with no next visit (`next_at`) before that
    /// instant. `lost_at` is 00:00 of the first day D with (D − churn months) after the visit's
    /// day: the visit's day + 1 + the months, or the day after that when the month was shorter
    /// (30 January + 1 day + 1 month is 28 February, whose month before is 28 January: 1 March).
    /// Only cars on the vehicle file count.
    func customers(store: UUID, _ calendar: Calendar) async throws -> CustomerFigures {
        let rows = try await connection.query("""
            WITH p AS (
                SELECT s.starts_at, GREATEST(s.starts_at, LEAST(s.ends_at, \(calendar.now)::timestamptz)) AS upto, s.churn_boundary,
                       \(calendar.timeZone)::text AS tz, \(calendar.churnMonths)::int AS churn_months
                FROM (SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS starts_at,
                             \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS ends_at,
                             (\(calendar.period.firstDay)::date - 1 - make_interval(months => \(calendar.churnMonths)::int))
                                 AT TIME ZONE \(calendar.timeZone)::text AS churn_boundary) s
            ),
            visit AS (
                SELECT r.vin, r.opened_at, lead(r.opened_at) OVER (PARTITION BY r.vin ORDER BY r.opened_at) AS next_at
                FROM aftersales.repair_order r CROSS JOIN p
                WHERE r.store_id = \(store) AND r.opened_at < p.upto
            ),
            car AS (
                SELECT visit.vin, min(visit.opened_at) AS first_visit,
                       max(visit.opened_at) FILTER (WHERE visit.opened_at < p.starts_at) AS last_before,
                       bool_or(visit.opened_at >= p.starts_at) AS visited,
                       bool_or(l.lost_at >= p.starts_at AND l.lost_at < p.upto AND (visit.next_at IS NULL OR visit.next_at >= l.lost_at)) AS lost
                FROM visit CROSS JOIN p
                CROSS JOIN LATERAL (SELECT (visit.opened_at AT TIME ZONE p.tz)::date + 1 AS d1) a
                CROSS JOIN LATERAL (SELECT (a.d1 + make_interval(months => p.churn_months))::date AS t0) b
                CROSS JOIN LATERAL (
                    SELECT (CASE WHEN (b.t0 - make_interval(months => p.churn_months))::date >= a.d1 THEN b.t0 ELSE b.t0 + 1 END)::timestamp
                           AT TIME ZONE p.tz AS lost_at
                ) l
                GROUP BY visit.vin
            )
            SELECT count(*) FILTER (WHERE car.first_visit >= p.starts_at AND car.first_visit < p.upto)::int,
                   count(*) FILTER (WHERE car.lost)::int,
                   count(*) FILTER (WHERE car.last_before >= p.churn_boundary)::int,
                   count(*) FILTER (WHERE car.last_before >= p.churn_boundary AND car.visited)::int
            FROM aftersales.vehicle v JOIN car ON car.vin = v.vin CROSS JOIN p
            WHERE v.store_id = \(store)
            """, logger: logger)
        for try await (new, lost, retained, returned) in rows.decode((Int, Int, Int, Int).self) {
            return CustomerFigures(
                newCustomers: new, lostCustomers: lost, retainedAtStart: retained, returnedCustomers: returned,
                returnRate: Rate.of(returned, retained), churnRate: Rate.of(lost, retained))
        }
        return CustomerFigures(newCustomers: 0, lostCustomers: 0, retainedAtStart: 0, returnedCustomers: 0, returnRate: 0, churnRate: 0)
    }

    /// Orders opened, completed and the completed yuan, per business type and per SA.
    func repairOrders(store: UUID, _ calendar: Calendar) async throws -> RepairOrderFigures {
        var types: [RepairOrderFigures.BusinessTypeRow] = []
        for (key, opened, completed, amount) in try await grouped(by: "business_type", store: store, calendar) {
            types.append(.init(businessType: key, opened: opened, completed: completed, completedAmount: amount))
        }
        var advisors: [RepairOrderFigures.ServiceAdvisorRow] = []
        for (key, opened, completed, amount) in try await grouped(by: "service_advisor", store: store, calendar) {
            advisors.append(.init(serviceAdvisor: key, opened: opened, completed: completed, completedAmount: amount))
        }
        return RepairOrderFigures(
            opened: types.reduce(0) { $0 + $1.opened }, completed: types.reduce(0) { $0 + $1.completed },
            completedAmount: types.reduce(Decimal(0)) { $0 + $1.completedAmount }, byBusinessType: types, byServiceAdvisor: advisors)
    }

    /// `column` is one of the two grouping columns above, never the caller's text.
    private func grouped(by column: String, store: UUID, _ calendar: Calendar) async throws -> [(String, Int, Int, Decimal)] {
        precondition(["business_type", "service_advisor"].contains(column))
        let rows = try await connection.query("""
            WITH p AS (
                SELECT s.starts_at, GREATEST(s.starts_at, LEAST(s.ends_at, \(calendar.now)::timestamptz)) AS upto
                FROM (SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS starts_at,
                             \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS ends_at) s
            )
            SELECT btrim(r.\(unescaped: column)) COLLATE "C" AS key,
                   count(*) FILTER (WHERE r.opened_at >= p.starts_at AND r.opened_at < p.upto)::int,
                   count(*) FILTER (WHERE r.state = 'completed' AND r.completed_at >= p.starts_at AND r.completed_at < p.upto)::int,
                   COALESCE(sum(r.amount) FILTER (WHERE r.state = 'completed' AND r.completed_at >= p.starts_at AND r.completed_at < p.upto), 0)::numeric(16,2)::text
            FROM aftersales.repair_order r CROSS JOIN p
            WHERE r.store_id = \(store)
              AND ((r.opened_at >= p.starts_at AND r.opened_at < p.upto)
                   OR (r.state = 'completed' AND r.completed_at >= p.starts_at AND r.completed_at < p.upto))
            GROUP BY key
            ORDER BY key
            """, logger: logger)
        var result: [(String, Int, Int, Decimal)] = []
        for try await (key, opened, completed, amount) in rows.decode((String, Int, Int, String).self) {
            guard let yuan = Money.amount(amount) else { throw RowCells.Unexpected(column: "completed amount \(amount)") }
            result.append((key, opened, completed, yuan))
        }
        return result
    }

    /// First-maintenance orders opened in the period, and their distinct cars.
    func firstMaintenance(store: UUID, _ calendar: Calendar) async throws -> FirstMaintenanceFigures {
        let rows = try await connection.query("""
            WITH p AS (
                SELECT s.starts_at, GREATEST(s.starts_at, LEAST(s.ends_at, \(calendar.now)::timestamptz)) AS upto
                FROM (SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS starts_at,
                             \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS ends_at) s
            )
            SELECT count(*)::int, count(DISTINCT r.vin)::int
            FROM aftersales.repair_order r CROSS JOIN p
            WHERE r.store_id = \(store) AND r.business_type = 'firstMaintenance' AND r.opened_at >= p.starts_at AND r.opened_at < p.upto
            """, logger: logger)
        for try await (returns, cars) in rows.decode((Int, Int).self) {
            return FirstMaintenanceFigures(returns: returns, cars: cars)
        }
        return FirstMaintenanceFigures(returns: 0, cars: 0)
    }

    /// The store's campaign tasks closed in the period, by how they closed.
    func campaigns(store: UUID, _ calendar: Calendar) async throws -> CampaignFigures {
        let rows = try await connection.query("""
            WITH p AS (
                SELECT s.starts_at, GREATEST(s.starts_at, LEAST(s.ends_at, \(calendar.now)::timestamptz)) AS upto
                FROM (SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS starts_at,
                             \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS ends_at) s
            )
            SELECT count(*) FILTER (WHERE t.state = 'succeeded')::int, count(*) FILTER (WHERE t.state = 'defeated')::int,
                   count(*) FILTER (WHERE t.state = 'failed')::int
            FROM aftersales.campaign_task t
            CROSS JOIN p
            CROSS JOIN LATERAL (
                SELECT CASE t.state WHEN 'succeeded' THEN t.returned_at WHEN 'defeated' THEN t.defeated_at ELSE t.closed_at END AS closed_at
            ) c
            WHERE t.store_id = \(store) AND t.state <> 'open' AND c.closed_at >= p.starts_at AND c.closed_at < p.upto
            """, logger: logger)
        for try await (back, defeated, failed) in rows.decode((Int, Int, Int).self) {
            let closed = back + defeated + failed
            return CampaignFigures(closed: closed, back: back, defeated: defeated, failed: failed, successRate: Rate.of(back, closed))
        }
        return CampaignFigures(closed: 0, back: 0, defeated: 0, failed: 0, successRate: 0)
    }
}

extension ReportStore {
    /// The store's renewal tasks closed in the period, by how they closed.
    func renewals(store: UUID, _ calendar: Calendar) async throws -> RenewalFigures {
        let rows = try await connection.query("""
            WITH p AS (
                SELECT s.starts_at, GREATEST(s.starts_at, LEAST(s.ends_at, \(calendar.now)::timestamptz)) AS upto
                FROM (SELECT \(calendar.period.firstDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS starts_at,
                             \(calendar.period.endDay)::date::timestamp AT TIME ZONE \(calendar.timeZone)::text AS ends_at) s
            )
            SELECT count(*) FILTER (WHERE t.state = 'renewed')::int, count(*) FILTER (WHERE t.state = 'defeated')::int,
                   count(*) FILTER (WHERE t.state = 'expired')::int
            FROM aftersales.renewal_task t CROSS JOIN p
            WHERE t.store_id = \(store) AND t.state <> 'open' AND t.closed_at >= p.starts_at AND t.closed_at < p.upto
            """, logger: logger)
        for try await (renewed, defeated, expired) in rows.decode((Int, Int, Int).self) {
            let closed = renewed + defeated + expired
            return RenewalFigures(
                closed: closed, renewed: renewed, defeated: defeated, expired: expired, successRate: Rate.of(renewed, closed))
        }
        return RenewalFigures(closed: 0, renewed: 0, defeated: 0, expired: 0, successRate: 0)
    }
}

/// A statement of the report answered no row (it always answers one).
struct ReportStoreError: Error, CustomStringConvertible {
    var description: String
}
