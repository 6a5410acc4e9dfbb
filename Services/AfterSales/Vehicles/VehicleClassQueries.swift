import Foundation
import ServiceKit

/// What a vehicle file knows from the car's visits (AS2, AS5), in SQL: the visits are the
/// repair orders opened for its VIN in its store (ERP or CRM, open or completed) up to the
/// service clock's now. `VehicleStore` reads every vehicle through `from(_:)` and selects
/// `columns`.
///
/// Per vehicle `v`:
///
/// - `cal` — the store's calendar (`CustomerClassCalendar`) as instants: where last year and
///   this year began in the store's time zone, and the start of the day `churn_months` months
///   before the store's today (PostgreSQL's month arithmetic: 31 March less one month is
///   28 or 29 February);
/// - `h` — visits last calendar year, visits before it, the last visit's time;
/// - `c.customer_class` — the class, by the precedence `CustomerClass` documents;
/// - `sa` — the service advisor of the latest visit that names one (latest opened; of two
///   opened at the same instant, the one recorded last);
/// - `km` — the mileage of the latest visit that recorded one (more than 0 km): the reading
///   of the car's latest visit, not the highest ever, so that a mistyped reading is corrected
///   by the next visit instead of standing for ever.
enum VehicleClassQueries {
    /// The derived columns, in `VehicleStore`'s order: visits last year, last visit, class,
    /// current SA (the file's own, else the latest visit's), last mileage.
    static let columns = """
        h.visits_last_year, h.last_visit_at, c.customer_class, COALESCE(v.service_advisor, sa.service_advisor), km.mileage_km
        """

    /// ` FROM aftersales.vehicle v …` with the joins above, up to a ` WHERE ` that the caller
    /// continues (with the store).
    static func from(_ calendar: CustomerClassCalendar) -> QueryBuilder {
        var sql = QueryBuilder()
        let now = sql.placeholder(for: calendar.now)
        let timeZone = sql.placeholder(for: calendar.timeZone)
        let churnMonths = sql.placeholder(for: calendar.churnMonths)
        sql.append("""
             FROM aftersales.vehicle v
             CROSS JOIN (
                 SELECT p.now,
                        (date_trunc('year', p.local_now) - interval '1 year') AT TIME ZONE p.tz AS last_year_start,
                        date_trunc('year', p.local_now) AT TIME ZONE p.tz AS this_year_start,
                        (date_trunc('day', p.local_now) - make_interval(months => p.churn_months)) AT TIME ZONE p.tz AS churn_boundary
                 FROM (SELECT \(now)::timestamptz AS now, \(now)::timestamptz AT TIME ZONE \(timeZone)::text AS local_now,
                              \(timeZone)::text AS tz, \(churnMonths)::int AS churn_months) p
             ) cal
             CROSS JOIN LATERAL (
                 SELECT count(*) FILTER (WHERE r.opened_at >= cal.last_year_start AND r.opened_at < cal.this_year_start)::int AS visits_last_year,
                        count(*) FILTER (WHERE r.opened_at < cal.last_year_start)::int AS visits_before_last_year,
                        max(r.opened_at) AS last_visit_at
                 FROM aftersales.repair_order r
                 WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now
             ) h
             CROSS JOIN LATERAL (
                 SELECT CASE
                     WHEN h.last_visit_at IS NULL THEN 'potential'
                     WHEN h.last_visit_at < cal.churn_boundary THEN 'lost'
                     WHEN h.visits_last_year >= 2 THEN 'loyal'
                     WHEN h.visits_last_year = 1 THEN 'favoured'
                     WHEN h.visits_before_last_year > 0 THEN 'ordinary'
                     ELSE 'potential'
                 END AS customer_class
             ) c
             LEFT JOIN LATERAL (
                 SELECT r.service_advisor FROM aftersales.repair_order r
                 WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now AND btrim(r.service_advisor) <> ''
                 ORDER BY r.opened_at DESC, r.created_at DESC, r.id DESC LIMIT 1
             ) sa ON true
             LEFT JOIN LATERAL (
                 SELECT r.mileage_km FROM aftersales.repair_order r
                 WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now AND r.mileage_km > 0
                 ORDER BY r.opened_at DESC, r.created_at DESC, r.id DESC LIMIT 1
             ) km ON true
             WHERE 
            """)
        return sql
    }
}
