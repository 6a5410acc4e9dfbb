import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `GET /api/v1/prospects/tasks` (P4): the open follow-up tasks, as 到期 due today, 过期 overdue
/// or 将来 future on the store's clock.
struct ProspectTaskRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/tasks", use: list)
    }

    struct TaskView: Codable, Sendable {
        var id: UUID
        var prospectId: UUID
        var prospectName: String
        var mobile: String
        var level: ProspectLevel
        var consultantId: UUID?
        /// `yyyy-MM-dd` on the store's clock.
        var dueOn: String
        /// What the last follow-up planned for this one (test_drive, order …), if it planned.
        var planned: String?
        var plannedMethod: String?
        /// `due`, `overdue` or `future`, as of the service's today.
        var when: TaskDue
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TaskView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let when = query.oneOf("when", TaskDue.self)
        let consultantID = query.uuid("consultantId")
        let levelCode = query.code("level")
        let queryChecks = query.validator
        return try await environment.database.withTransaction { connection in
            // `level`: a code of the caller's store's `prospectLevel`.
            var check = queryChecks
            let level = check.filterCode("level", levelCode, in: try await environment.directory.dictionary(
                DataDictionaries.prospectLevel, store: principal.storeID, on: connection, logger: environment.logger))
            try check.throwIfInvalid()
            let today = try await environment.storeDay(principal.storeID, on: connection).today
            var sql = QueryBuilder(" FROM prospects.prospect_task t JOIN prospects.prospect p ON p.id = t.prospect_id WHERE t.state = 'open' AND p.deleted_at IS NULL")
            sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: environment.directory.schema)
            when?.restrict(&sql, column: "t.due_on", today: today)
            if let consultantID { sql.append(" AND t.consultant_id = ", bind: consultantID) }
            if let level { sql.append(" AND p.level = ", bind: level) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "t.due_on, t.id", page)
            var items: [TaskView] = []
            for try await (id, prospect, name, mobile, level, consultant, dueOn, planned, plannedMethod) in try await connection.query(
                select.build(prefix: """
                    SELECT t.id, t.prospect_id, p.name, p.mobile, p.level, t.consultant_id, to_char(t.due_on, 'YYYY-MM-DD'), t.planned, t.planned_method
                    """),
                logger: environment.logger
            ).decode((UUID, UUID, String, String, String, UUID?, String, String?, String?).self) {
                items.append(TaskView(
                    id: id, prospectId: prospect, prospectName: name, mobile: mobile, level: ProspectLevel(rawValue: level) ?? .B,
                    consultantId: consultant, dueOn: dueOn, planned: planned, plannedMethod: plannedMethod, when: TaskDue(dueOn: dueOn, today: today)))
            }
            return Page(items: items, request: page, total: total)
        }
    }
}
