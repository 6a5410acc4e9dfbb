import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Order customers (订单客户) and retained customers (销售保有客户, P10), from the ERP's
/// `erp.sales_order.created.v1` and `erp.vehicle.delivered.v1`. The store's prospect with the
/// buyer's mobile becomes level O with the order, and an owner (`delivered`) with the car.
/// Both events are upserts, so redelivery and either order of arrival are harmless.
///
/// The prospect is announced as it becomes (`prospects.prospect.changed.v1`), and the first
/// order or delivery that makes it a buyer — neither `ordered` nor `delivered` before — is its
/// purchase (`prospects.prospect.purchased.v1`, 老带新's 购车 node), once: the prospect's row
/// lock orders two events of one buyer, and the second finds it a buyer already.
struct SalesOrders {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory
    let outbox: Outbox

    private var prospects: ProspectStore { ProspectStore(connection: connection, logger: logger, directory: directory) }

    func record(_ order: ERPSalesOrderCreated) async throws {
        let store = StoreID.forStoreCode(order.storeCode)
        let mobile = ChineseMobile.normalise(order.customer.mobile) ?? order.customer.mobile
        let prospect = try await raiseProspect(store: store, mobile: mobile, to: "ordered", orderNo: order.orderNo, orderedAt: order.createdAt)
        try await connection.query("""
            INSERT INTO prospects.sales_order (id, store_id, order_no, customer_name, customer_mobile, prospect_id, vin, brand, series, model,
                                               color, amount, deposit, consultant_name, ordered_at)
            VALUES (\(UUID()), \(store), \(order.orderNo), \(order.customer.name), \(mobile), \(prospect), \(order.vin), \(order.brand),
                    \(order.series), \(order.model), \(order.color), \(Money.text(order.amount))::numeric,
                    \(order.deposit.map(Money.text))::numeric, \(order.consultant), \(order.createdAt))
            ON CONFLICT (store_id, order_no) DO UPDATE SET
                customer_name = EXCLUDED.customer_name, customer_mobile = EXCLUDED.customer_mobile,
                prospect_id = COALESCE(sales_order.prospect_id, EXCLUDED.prospect_id), vin = COALESCE(EXCLUDED.vin, sales_order.vin),
                color = EXCLUDED.color, amount = EXCLUDED.amount, deposit = EXCLUDED.deposit, ordered_at = EXCLUDED.ordered_at
            """, logger: logger)
    }

    func recordDelivery(_ delivery: ERPVehicleDelivered) async throws {
        let store = StoreID.forStoreCode(delivery.storeCode)
        let mobile = ChineseMobile.normalise(delivery.customer.mobile) ?? delivery.customer.mobile
        // A delivery the CRM hears of before its order: the handover is the purchase's time.
        let prospect = try await raiseProspect(
            store: store, mobile: mobile, to: "delivered", orderNo: delivery.orderNo, orderedAt: delivery.deliveredAt)
        try await connection.query("""
            INSERT INTO prospects.sales_order (id, store_id, order_no, customer_name, customer_mobile, prospect_id, vin, plate, brand, series,
                                               model, consultant_name, ordered_at, delivered_at)
            VALUES (\(UUID()), \(store), \(delivery.orderNo), \(delivery.customer.name), \(mobile), \(prospect), \(delivery.vin), \(delivery.plate),
                    \(delivery.brand), \(delivery.series), \(delivery.model), \(delivery.consultant), \(delivery.deliveredAt), \(delivery.deliveredAt))
            ON CONFLICT (store_id, order_no) DO UPDATE SET
                prospect_id = COALESCE(sales_order.prospect_id, EXCLUDED.prospect_id), vin = EXCLUDED.vin,
                plate = COALESCE(EXCLUDED.plate, sales_order.plate), delivered_at = EXCLUDED.delivered_at
            """, logger: logger)
    }

    /// The store's prospect with this mobile at level O, `ordered` or `delivered` (never back
    /// from delivered to ordered); its follow-up stops once the car is delivered. Announces the
    /// prospect, and its purchase under `orderNo` if it was no buyer before.
    private func raiseProspect(store: UUID, mobile: String, to state: String, orderNo: String, orderedAt: Date) async throws -> UUID? {
        // Locked first, so that the state read is the one this transaction changes.
        guard let (id, stateBefore) = try await connection.query("""
            SELECT id, state FROM prospects.prospect WHERE store_id = \(store) AND mobile = \(mobile) FOR UPDATE
            """, logger: logger).decode((UUID, String).self).all().first
        else { return nil }
        try await connection.query("""
            UPDATE prospects.prospect SET level = 'O', updated_at = now(),
                state = CASE WHEN state = 'delivered' THEN 'delivered' ELSE \(state) END,
                defeat_pool_since = NULL, in_public_pool = false
            WHERE id = \(id)
            """, logger: logger)
        if state == "delivered" {
            try await connection.query("""
                UPDATE prospects.prospect_task SET state = 'done', done_at = now() WHERE prospect_id = \(id) AND state = 'open'
                """, logger: logger)
        }
        try await prospects.announceChanges(of: [id], to: outbox)
        if !["ordered", "delivered"].contains(stateBefore) {
            try await prospects.announcePurchase(of: id, orderNo: orderNo, orderedAt: orderedAt, to: outbox)
        }
        return id
    }
}

/// `GET /api/v1/prospects/orders` (订单客户) and `GET /api/v1/prospects/retained-customers`
/// (销售保有客户), each with an export.
struct SalesOrderRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/orders", use: orders)
        group.get("prospects/orders/export", use: exportOrders)
        group.get("prospects/retained-customers", use: retained)
        group.get("prospects/retained-customers/export", use: exportRetained)
    }

    struct OrderView: Codable, Sendable {
        var id: UUID
        var orderNo: String
        var customerName: String
        var customerMobile: String
        var prospectId: UUID?
        var vin: String?
        var plate: String?
        var brand: String
        var series: String
        var model: String
        var color: String?
        /// Yuan, two decimals; absent while only the delivery is known.
        var amount: Decimal?
        var deposit: Decimal?
        var consultantName: String
        var orderedAt: Date
        var deliveredAt: Date?
    }

    struct Filter {
        var orderNo: String?
        var mobile: String?
        var vin: String?
        var delivered: Bool?
        var from: Date?
        var to: Date?

        init(_ request: Request) throws {
            var query = QueryReader(request)
            orderNo = query.string("orderNo", maxLength: 40)
            mobile = query.mobile("mobile")
            vin = query.string("vin", maxLength: 17)
            delivered = query.bool("delivered")
            from = query.date("from")
            to = query.date("to")
            try query.throwIfInvalid()
        }
    }

    /// Orders the caller may see: a consultant those of their own prospects, a manager the store's.
    private func read(_ filter: Filter, retainedOnly: Bool, principal: Principal, page: PageRequest) async throws -> (items: [OrderView], total: Int) {
        try await environment.database.withTransaction { connection in
            var sql = QueryBuilder(" FROM prospects.sales_order o LEFT JOIN prospects.prospect p ON p.id = o.prospect_id WHERE true")
            sql.restrict(to: principal, storeColumn: "o.store_id", ownerColumn: "p.consultant_id", directory: environment.directory.schema)
            if retainedOnly { sql.append(" AND o.delivered_at IS NOT NULL") }
            if let orderNo = filter.orderNo { sql.append(" AND o.order_no = ", bind: orderNo) }
            if let mobile = filter.mobile { sql.append(" AND o.customer_mobile = ", bind: mobile) }
            if let vin = filter.vin { sql.append(" AND o.vin = ", bind: vin.uppercased()) }
            if let delivered = filter.delivered { sql.append(delivered ? " AND o.delivered_at IS NOT NULL" : " AND o.delivered_at IS NULL") }
            let timeColumn = retainedOnly ? "o.delivered_at" : "o.ordered_at"
            if let from = filter.from { sql.append(" AND \(timeColumn) >= ", bind: from) }
            if let to = filter.to { sql.append(" AND \(timeColumn) < ", bind: to) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "\(timeColumn) DESC, o.id", page).build(prefix: """
                SELECT o.id, o.order_no, o.customer_name, o.customer_mobile, o.prospect_id, o.vin, o.plate, o.brand, o.series, o.model, o.color,
                       o.amount::text, o.deposit::text, o.consultant_name, o.ordered_at, o.delivered_at
                """)
            var items: [OrderView] = []
            for try await r in try await connection.query(select, logger: environment.logger).decode((
                UUID, String, String, String, UUID?, String?, String?, String, String, String, String?, String?, String?, String, Date, Date?).self)
            {
                items.append(OrderView(
                    id: r.0, orderNo: r.1, customerName: r.2, customerMobile: r.3, prospectId: r.4, vin: r.5, plate: r.6, brand: r.7,
                    series: r.8, model: r.9, color: r.10, amount: Money.amount(r.11), deposit: Money.amount(r.12), consultantName: r.13,
                    orderedAt: r.14, deliveredAt: r.15))
            }
            return (items, total)
        }
    }

    @Sendable func orders(_ request: Request, context: CRMRequestContext) async throws -> Page<OrderView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await read(try Filter(request), retainedOnly: false, principal: principal, page: page)
        return Page(items: items, request: page, total: total)
    }

    @Sendable func retained(_ request: Request, context: CRMRequestContext) async throws -> Page<OrderView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await read(try Filter(request), retainedOnly: true, principal: principal, page: page)
        return Page(items: items, request: page, total: total)
    }

    @Sendable func exportOrders(_ request: Request, context: CRMRequestContext) async throws -> Response {
        try await export(request, context: context, retainedOnly: false)
    }

    @Sendable func exportRetained(_ request: Request, context: CRMRequestContext) async throws -> Response {
        try await export(request, context: context, retainedOnly: true)
    }

    private func export(_ request: Request, context: CRMRequestContext, retainedOnly: Bool) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total) = try await read(try Filter(request), retainedOnly: retainedOnly, principal: principal, page: ExportLimit.page)
        try ExportLimit.check(total: total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let rows: [[ExportCell]] = items.map { o in
            [ExportCell(o.orderNo), ExportCell(o.customerName), ExportCell(o.customerMobile), ExportCell(o.brand), ExportCell(o.series),
             ExportCell(o.model), ExportCell(o.color), ExportCell(o.vin), ExportCell(o.plate), ExportCell(o.amount), ExportCell(o.deposit),
             ExportCell(o.consultantName), ExportCell(o.orderedAt, in: timeZone), ExportCell(o.deliveredAt, in: timeZone)]
        }
        let table = ExportTable(
            sheetName: retainedOnly ? "销售保有客户" : "订单客户",
            headers: ["订单编号", "客户姓名", "手机号码", "品牌", "车系", "车型", "颜色", "VIN", "车牌号", "成交价", "订金", "销售顾问", "订单时间", "交车时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: retainedOnly ? "retained-customers" : "orders")
    }
}

extension SalesOrders {
    /// Recording in the transaction of the ERP's event that `context` handles.
    init(_ context: EventContext) {
        self.init(connection: context.connection, logger: context.logger, directory: context.directory, outbox: context.outbox)
    }
}
