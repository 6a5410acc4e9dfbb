import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/customer-service/visit-tasks` (CS2): lists with filters and export, one task, and
/// assignment by supervisors, singly and in bulk.
struct VisitTaskRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("customer-service/visit-tasks", use: list)
        group.get("customer-service/visit-tasks/export", use: export)
        group.post("customer-service/visit-tasks/assign", use: assignMany)
        group.get("customer-service/visit-tasks/:id", use: get)
        group.post("customer-service/visit-tasks/:id/assign", use: assignOne)
    }

    struct AssignRequest: Decodable {
        var assigneeId: UUID
    }

    struct BulkAssignRequest: Decodable {
        var taskIds: [UUID]
        var assigneeId: UUID
    }

    struct BulkAssignResult: Codable, ResponseEncodable {
        var assigned: Int
    }

    private func queries<Result: Sendable>(_ body: (VisitTaskQueries, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(VisitTaskQueries(connection: connection, logger: environment.logger, directory: environment.directory), connection)
        }
    }

    /// The list's filters, checked against the caller's store's dictionaries.
    private func filter(_ request: Request, principal: Principal, on connection: PostgresConnection) async throws -> VisitTaskFilter {
        try VisitTaskFilter(request, dictionaries: try await CustomerServiceDictionaries.load(
            store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<VisitTaskView> {
        let principal = try context.require(.readVisitTasks)
        let page = try PageRequest(request: request)
        let (items, total) = try await queries { tasks, connection in
            try await tasks.list(try await filter(request, principal: principal, on: connection), principal: principal, page: page)
        }
        return Page(items: items, request: page, total: total)
    }

    /// The list as a spreadsheet; each row's codes in its own store's words.
    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readVisitTasks)
        let format = try ExportFormat(request: request)
        let (items, total, dictionaries) = try await queries { tasks, connection in
            let (items, total) = try await tasks.list(try await filter(request, principal: principal, on: connection), principal: principal, page: ExportLimit.page)
            let dictionaries = try await CustomerServiceDictionaries.load(
                stores: items.map(\.storeId), directory: environment.directory, on: connection, logger: environment.logger)
            return (items, total, dictionaries)
        }
        try ExportLimit.check(total: total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        return try await Response.export(
            CustomerServiceExports.visitTasks(items, dictionaries: dictionaries, timeZone: timeZone), as: format, fileName: "visit-tasks")
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> VisitTaskView {
        let principal = try context.require(.readVisitTasks)
        let id = try context.parameters.uuid("id")
        guard let task = try await queries({ tasks, _ in try await tasks.task(id, principal: principal) }) else {
            throw ProblemDetails.notFound("visit task \(id)")
        }
        return task
    }

    @Sendable func assignOne(_ request: Request, context: CRMRequestContext) async throws -> VisitTaskView {
        let principal = try context.require(.assignVisitTasks)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: AssignRequest.self, context: context)
        return try await queries { tasks, connection in
            guard let task = try await tasks.task(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("visit task \(id)") }
            try await checkAssignee(body.assigneeId, field: "assigneeId", store: task.storeId, connection: connection)
            guard ["pending", "assigned"].contains(task.state) else {
                throw ProblemDetails.conflict("the task is \(task.state); only pending or assigned tasks are assigned")
            }
            try await assign([id], to: body.assigneeId, by: principal.userID, connection: connection)
            // Read back store-wide: the new assignee may be outside the assigner's own scope.
            guard let assigned = try await tasks.task(id, principal: principal.widened(to: .store)) else {
                throw ProblemDetails.notFound("visit task \(id)")
            }
            return assigned
        }
    }

    @Sendable func assignMany(_ request: Request, context: CRMRequestContext) async throws -> BulkAssignResult {
        let principal = try context.require(.assignVisitTasks)
        let body = try await request.decodeJSON(as: BulkAssignRequest.self, context: context)
        var check = FieldValidator()
        check.require(!body.taskIds.isEmpty, "taskIds", "must name at least one task")
        check.require(body.taskIds.count <= 1000, "taskIds", "must name at most 1000 tasks")
        try check.throwIfInvalid()
        return try await queries { tasks, connection in
            // Every task must exist for the caller and be open, or nothing is assigned.
            var check = FieldValidator()
            for (index, id) in body.taskIds.enumerated() {
                guard let task = try await tasks.task(id, principal: principal, forUpdate: true) else {
                    check.fail("taskIds[\(index)]", "is not a visit task of yours")
                    continue
                }
                if !["pending", "assigned"].contains(task.state) {
                    throw ProblemDetails.conflict("task \(index + 1) (\(task.orderNo)) is \(task.state); only pending or assigned tasks are assigned")
                }
            }
            try check.throwIfInvalid()
            try await checkAssignee(body.assigneeId, field: "assigneeId", store: principal.storeID, connection: connection)
            try await assign(Array(Set(body.taskIds)), to: body.assigneeId, by: principal.userID, connection: connection)
            return BulkAssignResult(assigned: Set(body.taskIds).count)
        }
    }

    /// A 422 unless the assignee is an active user of the task's store.
    private func checkAssignee(_ id: UUID, field: String, store: UUID, connection: PostgresConnection) async throws {
        try await environment.directory.requireActiveUser(id, inStore: store, field: field, on: connection, logger: environment.logger)
    }

    private func assign(_ ids: [UUID], to assignee: UUID, by supervisor: UUID, connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE customer_service.visit_task SET assignee_id = \(assignee), assigned_by = \(supervisor), assigned_at = \(environment.configuration.clock.now()),
                state = 'assigned', updated_at = now()
            WHERE id = ANY(\(ids))
            """, logger: environment.logger)
    }
}
