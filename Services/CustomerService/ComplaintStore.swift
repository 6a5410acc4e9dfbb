import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Complaints and their handling record in the `customer_service` schema.
///
/// Every business time — when it was received, whether it is overdue, when it was resolved or
/// closed — is `now`, the service clock's instant, never the database's `now()`: on a fixed or
/// moved clock (tests, `CRM_FIXED_TIME`) the deadlines follow that clock. The handling record's
/// `created_at` is the row's own time (the database's), which keeps the record in the order it
/// was written even while the service clock stands still.
struct ComplaintStore {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory
    let outbox: Outbox
    /// "Now" for this request or event: `environment.configuration.clock.now()`.
    let now: Date

    /// Opens a complaint and publishes `customerservice.complaint.opened.v1` with it.
    func open(_ draft: ComplaintDraft, store: UUID, openedBy: UUID?) async throws -> UUID {
        let id = UUID()
        let number = try await DocumentNumbers(connection: connection, logger: logger, directory: directory).next(prefix: "KS", store: store, at: draft.receivedAt)
        let dueAt = draft.receivedAt.addingTimeInterval(draft.level.allowance)
        try await connection.query("""
            INSERT INTO customer_service.complaint (
                id, store_id, complaint_no, source, level, category, complainant_name, complainant_gender, complainant_mobile,
                content, ro_no, plate, vin, model, technician, service_staff, department, employee, visit_id, task_id,
                handler_id, opened_by, received_at, due_at, state)
            VALUES (
                \(id), \(store), \(number), \(draft.source.rawValue), \(draft.level.rawValue), \(draft.category), \(draft.complainant.name),
                \(draft.gender), \(draft.complainant.mobile), \(draft.content), \(draft.roNo), \(draft.plate), \(draft.vin), \(draft.model),
                \(draft.technician), \(draft.serviceStaff), \(draft.department), \(draft.employee), \(draft.visitID), \(draft.taskID),
                \(draft.handlerID), \(openedBy), \(draft.receivedAt), \(dueAt), 'pending')
            """, logger: logger)
        let event = ComplaintOpened(
            complaintId: id, storeId: store, complaintNo: number, level: draft.level, complainant: draft.complainant,
            content: draft.content, roNo: draft.roNo, plate: draft.plate, visitId: draft.visitID, openedAt: draft.receivedAt, dueAt: dueAt)
        try await outbox.append(
            CloudEvent(source: "/crm/customer-service", subject: id.uuidString.lowercased(), data: event, storeid: store.uuidString.lowercased()),
            on: connection, logger: logger)
        return id
    }

    static let columns = """
        SELECT c.id, c.store_id, c.complaint_no, c.source, c.state, c.level, c.category, c.complainant_name, c.complainant_gender,
               c.complainant_mobile, c.content, c.ro_no, c.plate, c.vin, c.model, c.technician, c.service_staff, c.department,
               c.employee, c.visit_id, c.task_id, c.handler_id, u.display_name, c.opened_by, c.received_at, c.due_at,
               \(overdueCondition), c.resolved_at, c.closed_at
        """

    /// Still open after its deadline (超时), at `clock.now` — the service clock's instant that
    /// `from()` binds.
    static let overdueCondition = "(c.state IN ('pending', 'in_progress') AND c.due_at < clock.now)"

    /// The complaints with their handlers, and `clock.now`: the service clock's `now` as a value
    /// of the statement, for the overdue column and filter.
    private func from() -> QueryBuilder {
        var sql = QueryBuilder(" FROM customer_service.complaint c CROSS JOIN (SELECT ")
        sql.append("", bind: now)
        sql.append("::timestamptz AS now) clock LEFT JOIN customer_service.directory_user u ON u.id = c.handler_id WHERE true")
        return sql
    }

    /// Who owns a complaint for the "own" and "team" scopes: its handler, or whoever opened it
    /// until someone handles it.
    static let ownerColumn = "COALESCE(c.handler_id, c.opened_by)"

    func list(_ filter: ComplaintFilter, principal: Principal, page: PageRequest) async throws -> (items: [ComplaintView], total: Int) {
        var sql = from()
        sql.restrict(to: principal, storeColumn: "c.store_id", ownerColumn: Self.ownerColumn, directory: directory.schema)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "c.received_at DESC, c.id", page)
        return (try await rows(select.build(prefix: Self.columns)), total)
    }

    func complaint(_ id: UUID, principal: Principal, forUpdate: Bool = false) async throws -> ComplaintView? {
        var sql = from()
        sql.append(" AND c.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "c.store_id", ownerColumn: Self.ownerColumn, directory: directory.schema)
        if forUpdate { sql.append(" FOR UPDATE OF c") }
        guard var complaint = try await rows(sql.build(prefix: Self.columns)).first else { return nil }
        complaint.entries = try await entries(of: id)
        return complaint
    }

    private func entries(of id: UUID) async throws -> [ComplaintEntryView] {
        var entries: [ComplaintEntryView] = []
        let rows = try await connection.query("""
            SELECT id, kind, text, author_id, created_at FROM customer_service.complaint_entry
            WHERE complaint_id = \(id) ORDER BY created_at, id
            """, logger: logger)
        for try await (id, kind, text, author, createdAt) in rows.decode((UUID, String, String, UUID?, Date).self) {
            entries.append(ComplaintEntryView(id: id, kind: kind, text: text, authorId: author, createdAt: createdAt))
        }
        return entries
    }

    func addEntry(to complaint: UUID, kind: String, text: String, author: UUID) async throws {
        try await connection.query("""
            INSERT INTO customer_service.complaint_entry (id, complaint_id, kind, text, author_id)
            VALUES (\(UUID()), \(complaint), \(kind), \(text), \(author))
            """, logger: logger)
        try await connection.query("UPDATE customer_service.complaint SET updated_at = now() WHERE id = \(complaint)", logger: logger)
    }

    func move(_ complaint: UUID, to state: ComplaintState, author: UUID) async throws {
        try await connection.query("""
            UPDATE customer_service.complaint SET state = \(state.rawValue), updated_at = now(),
                resolved_at = CASE WHEN \(state.rawValue) = 'resolved' THEN \(now) WHEN \(state.rawValue) = 'in_progress' THEN NULL ELSE resolved_at END,
                closed_at = CASE WHEN \(state.rawValue) = 'closed' THEN \(now) ELSE closed_at END
            WHERE id = \(complaint)
            """, logger: logger)
        try await addEntry(to: complaint, kind: "state", text: state.rawValue, author: author)
    }

    func assign(_ complaint: UUID, to handler: UUID, author: UUID) async throws {
        try await connection.query("""
            UPDATE customer_service.complaint SET handler_id = \(handler), updated_at = now() WHERE id = \(complaint)
            """, logger: logger)
        try await addEntry(to: complaint, kind: "assignment", text: handler.uuidString.lowercased(), author: author)
    }

    private func rows(_ query: PostgresQuery) async throws -> [ComplaintView] {
        var complaints: [ComplaintView] = []
        for try await r in try await connection.query(query, logger: logger).decode((
            UUID, UUID, String, String, String, String, String, String, String?, String, String, String?, String?, String?, String?,
            String?, String?, String?, String?, UUID?, UUID?, UUID?, String?, UUID?, Date, Date, Bool, Date?, Date?).self)
        {
            complaints.append(ComplaintView(
                id: r.0, storeId: r.1, complaintNo: r.2, source: r.3, state: r.4, level: ComplaintLevel(rawValue: r.5) ?? .general,
                category: r.6, complainantName: r.7, complainantGender: r.8, complainantMobile: r.9, content: r.10, roNo: r.11,
                plate: r.12, vin: r.13, model: r.14, technician: r.15, serviceStaff: r.16, department: r.17, employee: r.18,
                visitId: r.19, taskId: r.20, handlerId: r.21, handlerName: r.22, openedBy: r.23, receivedAt: r.24, dueAt: r.25,
                overdue: r.26, resolvedAt: r.27, closedAt: r.28, entries: nil))
        }
        return complaints
    }
}

/// The filters of the complaint list and its export.
struct ComplaintFilter: Sendable {
    /// A code of the dictionary `complaintState`.
    var state: String?
    /// A code of the dictionary `complaintLevel`.
    var level: String?
    var roNo: String?
    var mobile: String?
    var handlerID: UUID?
    var overdue: Bool?
    var from: Date?
    var to: Date?

    /// The filters of the query string; a state or level the caller's store's dictionary does
    /// not know is a 422 listing its codes with their labels.
    init(_ request: Request, dictionaries: StoreDictionaries) throws {
        var query = QueryReader(request)
        let state = query.code("state")
        let level = query.code("level")
        roNo = query.string("roNo", maxLength: 50)
        mobile = query.mobile("mobile")
        handlerID = query.uuid("handlerId")
        overdue = query.bool("overdue")
        from = query.date("from")
        to = query.date("to")
        var check = query.validator
        self.state = check.filterCode("state", state, in: dictionaries[DataDictionaries.complaintState])
        self.level = check.filterCode("level", level, in: dictionaries[DataDictionaries.complaintLevel])
        try check.throwIfInvalid()
    }

    func apply(to sql: inout QueryBuilder) {
        if let state { sql.append(" AND c.state = ", bind: state) }
        if let level { sql.append(" AND c.level = ", bind: level) }
        if let roNo { sql.append(" AND c.ro_no = ", bind: roNo) }
        if let mobile { sql.append(" AND c.complainant_mobile = ", bind: mobile) }
        if let handlerID { sql.append(" AND c.handler_id = ", bind: handlerID) }
        if let overdue {
            // `clock.now`: the service clock's instant, bound by `ComplaintStore.from()`.
            sql.append(overdue ? " AND \(ComplaintStore.overdueCondition)" : " AND NOT \(ComplaintStore.overdueCondition)")
        }
        if let from { sql.append(" AND c.received_at >= ", bind: from) }
        if let to { sql.append(" AND c.received_at < ", bind: to) }
    }
}
