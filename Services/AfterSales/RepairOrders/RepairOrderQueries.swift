import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Reading repair orders, always within one store.
struct RepairOrderQueries {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        SELECT r.id, r.store_id, r.store_code, r.ro_no, r.vin, r.plate, v.id, r.customer_name, r.customer_mobile,
               r.sender_name, r.sender_mobile, r.business_type, r.service_advisor, r.mileage_km, r.amount::text,
               r.brand, r.series, r.model, r.state, r.opened_at, r.completed_at, r.source, r.created_at, r.updated_at
        """

    private static let tables = """
         FROM aftersales.repair_order r
         LEFT JOIN aftersales.vehicle v ON v.store_id = r.store_id AND v.vin = r.vin
         WHERE r.store_id = 
        """

    /// One page of the store's orders matching `filter`, the latest opened first.
    func list(_ filter: RepairOrderFilter, store: UUID, page: PageRequest) async throws -> Page<RepairOrderView> {
        var sql = QueryBuilder(Self.tables)
        sql.append("", bind: store)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "r.opened_at DESC, r.id", page)
        return Page(items: try await rows(select.build(prefix: Self.columns)), request: page, total: total)
    }

    /// The order if it belongs to `store`; `forUpdate` locks it for the rest of the transaction.
    func order(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> RepairOrderView? {
        var sql = QueryBuilder(Self.tables)
        sql.append("", bind: store)
        sql.append(" AND r.id = ", bind: id)
        if forUpdate { sql.append(" FOR UPDATE OF r") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    private func rows(_ query: PostgresQuery) async throws -> [RepairOrderView] {
        var orders: [RepairOrderView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await r in rows.decode((
            UUID, UUID, String, String, String, String, UUID?, String, String, String, String, String, String, Int, String?,
            String?, String?, String?, String, Date, Date?, String, Date, Date).self)
        {
            orders.append(RepairOrderView(
                id: r.0, storeId: r.1, storeCode: r.2, roNo: r.3, vin: r.4, plate: r.5, vehicleId: r.6,
                customer: Person(name: r.7, mobile: r.8), sender: Person(name: r.9, mobile: r.10),
                // The ERP's values are checked when its events are decoded; none other is stored.
                businessType: RepairBusinessType(rawValue: r.11) ?? .other,
                serviceAdvisor: r.12, mileageKm: r.13, amount: Money.amount(r.14), brand: r.15, series: r.16, model: r.17,
                state: RepairOrderView.State(rawValue: r.18) ?? .open, openedAt: r.19, completedAt: r.20, source: r.21,
                createdAt: r.22, updatedAt: r.23))
        }
        return orders
    }
}
