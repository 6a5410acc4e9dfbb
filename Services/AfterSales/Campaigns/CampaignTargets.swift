import Foundation
import ServiceKit

/// The cars a campaign targets, as one SQL `FROM … WHERE …` over the store's vehicle files with
/// their derived class and current SA (`VehicleClassQueries`): the preview counts and pages it,
/// and go-live inserts its rows as tasks, so that what the director previewed is what the SAs
/// get (given the same day's data).
enum CampaignTargets {
    /// Whom a campaign targets.
    enum Source: Sendable {
        /// The cars the conditions select.
        case conditions(CampaignConditions)
        /// The cars imported into the campaign's list.
        case list(campaign: UUID)
    }

    /// ` FROM aftersales.vehicle v … WHERE v.store_id = … AND …` — `v` is the vehicle, `c` its
    /// class, `sa` its latest repair order's SA (`VehicleClassQueries`). `yearStart` is the
    /// start of the twelve months `yearlySpend` and `yearlyVisits` look at (00:00 of the store's
    /// day a year before today).
    static func query(_ source: Source, store: UUID, calendar: CustomerClassCalendar, yearStart: Date) -> QueryBuilder {
        var sql = VehicleClassQueries.from(calendar)
        sql.append("v.store_id = ", bind: store)
        switch source {
        case .list(let campaign):
            sql.append(" AND v.id IN (SELECT l.vehicle_id FROM aftersales.campaign_listed_vehicle l WHERE l.campaign_id = ", bind: campaign)
            sql.append(")")
        case .conditions(let conditions):
            apply(conditions, to: &sql, yearStart: yearStart)
        }
        return sql
    }

    /// The instant the "yearly" conditions start from: 00:00 of the store's day twelve months
    /// before `now`'s (29 February less a year is 28 February, as in PostgreSQL).
    static func yearStart(now: Date, timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(byAdding: .month, value: -12, to: calendar.startOfDay(for: now))!
    }

    private static func apply(_ conditions: CampaignConditions, to sql: inout QueryBuilder, yearStart: Date) {
        func anyOf(_ column: String, _ values: [String]?) {
            guard let values else { return }
            sql.append(" AND \(column) = ANY(", bind: values)
            sql.append(")")
        }
        func between(_ column: String, _ range: CampaignConditions.DayRange?) {
            if let from = range?.from { sql.append(" AND \(column) >= ", bind: from); sql.append("::date") }
            if let to = range?.to { sql.append(" AND \(column) <= ", bind: to); sql.append("::date") }
        }
        anyOf("v.owner_province", conditions.provinces)
        anyOf("v.owner_city", conditions.cities)
        anyOf("v.owner_gender", conditions.genders)
        anyOf("v.owner_source", conditions.sources)
        anyOf("c.customer_class", conditions.classes)
        between("v.owner_birth_date", conditions.birthDate)
        between("v.registration_date", conditions.registrationDate)
        between("v.purchase_date", conditions.purchaseDate)
        between("v.insurance_expiry", conditions.insuranceExpiry)
        anyOf("v.brand", conditions.brands)
        anyOf("v.series", conditions.series)
        anyOf("v.model", conditions.models)
        anyOf("COALESCE(v.service_advisor, sa.service_advisor)", conditions.serviceAdvisors)
        if let types = conditions.lastRepairTypes {
            sql.append("""
                 AND (SELECT r.business_type FROM aftersales.repair_order r
                      WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now
                      ORDER BY r.opened_at DESC, r.created_at DESC, r.id DESC LIMIT 1) = ANY(
                """, bind: types)
            sql.append(")")
        }
        if conditions.yearlySpend != nil || conditions.yearlyVisits != nil {
            let from = sql.placeholder(for: yearStart)
            let yearly = """
                FROM aftersales.repair_order r
                WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at >= \(from) AND r.opened_at <= cal.now
                """
            if let spend = conditions.yearlySpend {
                let total = "(SELECT COALESCE(sum(r.amount), 0) \(yearly))"
                // Amounts travel as text, as everywhere in AfterSales (Money.text), read as numeric.
                if let min = spend.min { sql.append(" AND \(total) >= ", bind: Money.text(min)); sql.append("::numeric") }
                if let max = spend.max { sql.append(" AND \(total) <= ", bind: Money.text(max)); sql.append("::numeric") }
            }
            if let visits = conditions.yearlyVisits {
                let count = "(SELECT count(*) \(yearly))"
                if let min = visits.min { sql.append(" AND \(count) >= ", bind: min) }
                if let max = visits.max { sql.append(" AND \(count) <= ", bind: max) }
            }
        }
    }
}
