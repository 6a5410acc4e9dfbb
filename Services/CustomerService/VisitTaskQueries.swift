import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// A visit task as the API shows it.
struct VisitTaskView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    /// `repair`, `new_car` or `prospect` (dictionary `visitOrderType`).
    var orderType: String
    var orderNo: String
    var customerName: String
    var customerMobile: String
    var plate: String?
    var vin: String?
    var senderName: String?
    var senderMobile: String?
    /// A repair order's business type (dictionary `repairBusinessType`).
    var businessType: String?
    var brand: String?
    var series: String?
    var model: String?
    /// The service advisor (repair) or consultant (new car).
    var staffName: String?
    var orderAt: Date
    /// `pending`, `assigned`, `visited` or `closed` (dictionary `visitTaskState`).
    var state: String
    var assigneeId: UUID?
    var assigneeName: String?
    var assignedAt: Date?
    var visitedAt: Date?
    /// The last visit's result (dictionary `visitResult`).
    var lastResult: String?
    var attempts: Int
    var createdAt: Date
}

/// The filters of the visit-task list and its export, read from the query string.
struct VisitTaskFilter: Sendable {
    /// The codes of the dictionary `visitTaskState`: the states the rules move a task through.
    enum State: String, CaseIterable { case pending, assigned, visited, closed }
    /// The codes of the dictionary `visitOrderType`.
    enum OrderType: String, CaseIterable { case repair, newCar = "new_car", prospect }

    var state: State?
    var assigneeID: UUID?
    var orderType: OrderType?
    /// A code of the dictionary `repairBusinessType`.
    var businessType: String?
    var from: Date?
    var to: Date?
    var plate: String?
    var mobile: String?
    var roNo: String?
    var orderNo: String?

    /// The filters of the query string; a code the caller's store's dictionary does not know is
    /// a 422 listing its codes with their labels.
    init(_ request: Request, dictionaries: StoreDictionaries) throws {
        var query = QueryReader(request)
        let state = query.code("state")
        assigneeID = query.uuid("assigneeId")
        let orderType = query.code("orderType")
        let businessType = query.code("businessType")
        from = query.date("from")
        to = query.date("to")
        plate = query.string("plate", maxLength: 20)
        mobile = query.mobile("mobile")
        roNo = query.string("roNo", maxLength: 50)
        orderNo = query.string("orderNo", maxLength: 50)
        var check = query.validator
        self.state = check.filterCode("state", state, in: dictionaries[DataDictionaries.visitTaskState]).flatMap(State.init(rawValue:))
        self.orderType = check.filterCode("orderType", orderType, in: dictionaries[DataDictionaries.visitOrderType]).flatMap(OrderType.init(rawValue:))
        self.businessType = check.filterCode("businessType", businessType, in: dictionaries[DataDictionaries.repairBusinessType])
        try check.throwIfInvalid()
    }

    /// ` AND …` for every filter given.
    func apply(to sql: inout QueryBuilder) {
        if let state { sql.append(" AND t.state = ", bind: state.rawValue) }
        if let assigneeID { sql.append(" AND t.assignee_id = ", bind: assigneeID) }
        if let orderType { sql.append(" AND t.order_type = ", bind: orderType.rawValue) }
        if let businessType { sql.append(" AND t.business_type = ", bind: businessType) }
        if let from { sql.append(" AND t.order_at >= ", bind: from) }
        if let to { sql.append(" AND t.order_at < ", bind: to) }
        if let plate { sql.append(" AND t.plate = ", bind: plate.uppercased()) }
        if let mobile { sql.append(" AND (t.customer_mobile = \(sql.placeholder(for: mobile)) OR t.sender_mobile = \(sql.placeholder(for: mobile)))") }
        if let roNo { sql.append(" AND t.order_type = 'repair' AND t.order_no = ", bind: roNo) }
        if let orderNo { sql.append(" AND t.order_no = ", bind: orderNo) }
    }
}

/// Reading visit tasks, always within what the caller may see.
struct VisitTaskQueries {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    static let columns = """
        SELECT t.id, t.store_id, t.order_type, t.order_no, t.customer_name, t.customer_mobile, t.plate, t.vin,
               t.sender_name, t.sender_mobile, t.business_type, t.brand, t.series, t.model, t.staff_name, t.order_at,
               t.state, t.assignee_id, u.display_name, t.assigned_at, t.visited_at, t.last_result, t.attempts, t.created_at
        """

    private func from() -> QueryBuilder {
        QueryBuilder(" FROM customer_service.visit_task t LEFT JOIN customer_service.directory_user u ON u.id = t.assignee_id WHERE true")
    }

    func list(_ filter: VisitTaskFilter, principal: Principal, page: PageRequest) async throws -> (items: [VisitTaskView], total: Int) {
        var sql = from()
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory.schema)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "t.order_at DESC, t.id", page)
        return (try await rows(select.build(prefix: Self.columns)), total)
    }

    /// The task if the caller may see it; `forUpdate` locks it for the rest of the transaction.
    func task(_ id: UUID, principal: Principal, forUpdate: Bool = false) async throws -> VisitTaskView? {
        var sql = from()
        sql.append(" AND t.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory.schema)
        if forUpdate { sql.append(" FOR UPDATE OF t") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    private func rows(_ query: PostgresQuery) async throws -> [VisitTaskView] {
        var tasks: [VisitTaskView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await r in rows.decode((
            UUID, UUID, String, String, String, String, String?, String?, String?, String?, String?, String?, String?, String?,
            String?, Date, String, UUID?, String?, Date?, Date?, String?, Int, Date).self)
        {
            tasks.append(VisitTaskView(
                id: r.0, storeId: r.1, orderType: r.2, orderNo: r.3, customerName: r.4, customerMobile: r.5, plate: r.6, vin: r.7,
                senderName: r.8, senderMobile: r.9, businessType: r.10, brand: r.11, series: r.12, model: r.13, staffName: r.14,
                orderAt: r.15, state: r.16, assigneeId: r.17, assigneeName: r.18, assignedAt: r.19, visitedAt: r.20, lastResult: r.21,
                attempts: r.22, createdAt: r.23))
        }
        return tasks
    }
}
