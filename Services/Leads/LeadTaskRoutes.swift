import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `GET /api/v1/leads/tasks` (L6): the open follow-up tasks, as 到期 due today, 过期 overdue or
/// 将来 future on the store's clock.
struct LeadTaskRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("leads/tasks", use: list)
    }

    struct TaskView: Codable, Sendable {
        var id: UUID
        var leadId: UUID
        var leadName: String
        var mobile: String
        var level: LeadLevel
        var consultantId: UUID?
        /// `yyyy-MM-dd` on the store's clock.
        var dueOn: String
        /// `due`, `overdue` or `future`, as of the service's today.
        var when: TaskDue
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TaskView> {
        let principal = try context.require(.readLeads)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let when = query.oneOf("when", TaskDue.self)
        let consultantID = query.uuid("consultantId")
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let today = try await environment.storeDay(principal.storeID, on: connection).today
            var sql = QueryBuilder(" FROM leads.lead_task t JOIN leads.lead l ON l.id = t.lead_id WHERE t.state = 'open'")
            sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: environment.directory.schema)
            when?.restrict(&sql, column: "t.due_on", today: today)
            if let consultantID { sql.append(" AND t.consultant_id = ", bind: consultantID) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "t.due_on, t.id", page)
            var items: [TaskView] = []
            for try await (id, lead, name, mobile, level, consultant, dueOn) in try await connection.query(
                select.build(prefix: "SELECT t.id, t.lead_id, l.name, l.mobile, l.level, t.consultant_id, to_char(t.due_on, 'YYYY-MM-DD')"),
                logger: environment.logger
            ).decode((UUID, UUID, String, String, String, UUID?, String).self) {
                items.append(TaskView(
                    id: id, leadId: lead, leadName: name, mobile: mobile, level: LeadLevel(rawValue: level) ?? .B,
                    consultantId: consultant, dueOn: dueOn, when: TaskDue(dueOn: dueOn, today: today)))
            }
            return Page(items: items, request: page, total: total)
        }
    }
}
