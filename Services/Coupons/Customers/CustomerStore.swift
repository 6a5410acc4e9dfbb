import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Coupons' copy of the customers in `coupons.customer_prospect` and `coupons.customer_vehicle`,
/// and the customers a conditional task's conditions select.
struct CustomerStore {
    let connection: PostgresConnection
    let logger: Logger

    func save(_ prospect: ProspectChanged) async throws {
        try await connection.query("""
            INSERT INTO coupons.customer_prospect AS p (
                prospect_id, store_id, name, mobile, source, level, brand, series, model, state, referrer_mobile, in_recycle_bin, changed_at)
            VALUES (
                \(prospect.prospectId), \(prospect.storeId), \(prospect.name), \(prospect.mobile), \(prospect.source), \(prospect.level),
                \(prospect.brand), \(prospect.series), \(prospect.model), \(prospect.state), \(prospect.referrerMobile),
                \(prospect.inRecycleBin), \(prospect.changedAt))
            ON CONFLICT (prospect_id) DO UPDATE SET
                store_id = excluded.store_id, name = excluded.name, mobile = excluded.mobile, source = excluded.source,
                level = excluded.level, brand = excluded.brand, series = excluded.series, model = excluded.model,
                state = excluded.state, referrer_mobile = excluded.referrer_mobile, in_recycle_bin = excluded.in_recycle_bin,
                changed_at = excluded.changed_at
            WHERE p.changed_at <= excluded.changed_at
            """, logger: logger)
    }

    func save(_ vehicle: VehicleChanged) async throws {
        try await connection.query("""
            INSERT INTO coupons.customer_vehicle AS v (
                vehicle_id, store_id, vin, plate, brand, series, model, purchase_date, owner_name, owner_mobile, last_repair_on, changed_at)
            VALUES (
                \(vehicle.vehicleId), \(vehicle.storeId), \(vehicle.vin), \(vehicle.plate), \(vehicle.brand), \(vehicle.series),
                \(vehicle.model), \(vehicle.purchaseDate)::date, \(vehicle.owner.name), \(vehicle.owner.mobile),
                \(vehicle.lastRepairOn)::date, \(vehicle.changedAt))
            ON CONFLICT (vehicle_id) DO UPDATE SET
                store_id = excluded.store_id, vin = excluded.vin, plate = excluded.plate, brand = excluded.brand,
                series = excluded.series, model = excluded.model, purchase_date = excluded.purchase_date,
                owner_name = excluded.owner_name, owner_mobile = excluded.owner_mobile, last_repair_on = excluded.last_repair_on,
                changed_at = excluded.changed_at
            WHERE v.changed_at <= excluded.changed_at
            """, logger: logger)
    }

    /// The store's customers `conditions` select, one per mobile (the first name on file), in
    /// mobile order; only `mobile` when given (whether that one customer matches).
    func customers(of store: UUID, matching conditions: CouponConditions, mobile: String? = nil, limit: Int? = nil) async throws -> [CouponRecipient] {
        var query = Self.matching(conditions, store: store, mobile: mobile)
        query.append(" GROUP BY mobile ORDER BY mobile")
        if let limit { query.append(" LIMIT \(limit)") }
        var customers: [CouponRecipient] = []
        let rows = try await connection.query(query.build(prefix: "SELECT mobile, min(name)"), logger: logger)
        for try await (mobile, name) in rows.decode((String, String?).self) { customers.append(CouponRecipient(mobile: mobile, name: name)) }
        return customers
    }

    /// How many customers `conditions` select.
    func count(of store: UUID, matching conditions: CouponConditions) async throws -> Int {
        let query = Self.matching(conditions, store: store, mobile: nil)
        let rows = try await connection.query(query.build(prefix: "SELECT count(DISTINCT mobile)::int"), logger: logger)
        return try await rows.decode(Int.self).all().first ?? 0
    }

    /// `FROM (the matching prospects UNION ALL the matching owners)`: a prospect part when the
    /// conditions filter prospects, an owner part when they filter vehicles, both when neither.
    private static func matching(_ conditions: CouponConditions, store: UUID, mobile: String?) -> QueryBuilder {
        var query = QueryBuilder(" FROM (")
        var parts = 0
        if conditions.prospect != nil || conditions.owner == nil {
            let prospect = conditions.prospect ?? .init()
            query.append("SELECT p.mobile, p.name FROM coupons.customer_prospect p WHERE NOT p.in_recycle_bin AND p.store_id = ", bind: store)
            if let mobile { query.append(" AND p.mobile = ", bind: mobile) }
            if let levels = prospect.levels { query.append(" AND p.level = ANY(\(query.placeholder(for: levels))::text[])") }
            if let sources = prospect.sources { query.append(" AND p.source = ANY(\(query.placeholder(for: sources))::text[])") }
            if let series = prospect.series { query.append(" AND p.series = ANY(\(query.placeholder(for: series))::text[])") }
            if let states = prospect.states { query.append(" AND p.state = ANY(\(query.placeholder(for: states))::text[])") }
            parts += 1
        }
        if conditions.owner != nil || conditions.prospect == nil {
            let owner = conditions.owner ?? .init()
            if parts > 0 { query.append(" UNION ALL ") }
            query.append("SELECT v.owner_mobile, v.owner_name FROM coupons.customer_vehicle v WHERE v.store_id = ", bind: store)
            if let mobile { query.append(" AND v.owner_mobile = ", bind: mobile) }
            if let brands = owner.brands { query.append(" AND v.brand = ANY(\(query.placeholder(for: brands))::text[])") }
            if let series = owner.series { query.append(" AND v.series = ANY(\(query.placeholder(for: series))::text[])") }
            if let from = owner.purchasedFrom { query.append(" AND v.purchase_date >= \(query.placeholder(for: from))::date") }
            if let to = owner.purchasedTo { query.append(" AND v.purchase_date <= \(query.placeholder(for: to))::date") }
            if let from = owner.lastRepairFrom { query.append(" AND v.last_repair_on >= \(query.placeholder(for: from))::date") }
            if let to = owner.lastRepairTo { query.append(" AND v.last_repair_on <= \(query.placeholder(for: to))::date") }
        }
        query.append(") AS customer(mobile, name)")
        return query
    }
}
