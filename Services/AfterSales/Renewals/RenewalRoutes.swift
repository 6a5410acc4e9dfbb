import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/after-sales/renewal-tasks` (续保招揽, SPEC AS6): the list, one task with its
/// follow-ups, assignment, follow-ups and defeats, and the renewal recorded by hand.
///
/// Who sees what: `aftersales.renewal.read` with the role's scope — the after-sales director
/// (售后总监, store scope) the store's tasks, a renewal specialist (续保专员, own scope) only the
/// tasks assigned to them; a task outside the caller's scope is a 404, as if it did not exist.
/// Assigning takes `aftersales.renewal.assign`; follow-ups, defeats and renewals take
/// `aftersales.renewal.follow-up`, on a task in the caller's scope.
struct RenewalRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/renewal-tasks", use: list)
        group.get("after-sales/renewal-tasks/:id", use: get)
        group.put("after-sales/renewal-tasks/:id/assignee", use: assign)
        group.post("after-sales/renewal-tasks/:id/follow-ups", use: followUp)
        group.post("after-sales/renewal-tasks/:id/renewal", use: renew)
    }

    private var directory: SQLIdentifier { environment.directory.schema }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<RenewalTaskView> {
        let principal = try context.require(.readRenewals)
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            let filter = try RenewalFilter(request, dictionaries: try await .of(principal.storeID, in: environment, on: connection))
            return try await RenewalStore(connection: connection, logger: environment.logger)
                .list(filter, principal: principal, directory: directory, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> RenewalTaskView {
        let principal = try context.require(.readRenewals)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            try await task(id, principal: principal, on: connection)
        }
    }

    /// The task as it is now, or a 404.
    private func task(_ id: UUID, principal: Principal, on connection: PostgresConnection) async throws -> RenewalTaskView {
        guard let task = try await RenewalStore(connection: connection, logger: environment.logger)
            .task(id, principal: principal, directory: directory)
        else { throw ProblemDetails.notFound("renewal task \(id)") }
        return task
    }

    /// Assigns an open task to a renewal specialist of its store (role `renewal`, active).
    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> RenewalTaskView {
        let principal = try context.require(.assignRenewals)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RenewalAssignment.self, context: context)
        return try await environment.database.withTransaction { connection in
            let store = RenewalStore(connection: connection, logger: environment.logger)
            guard let task = try await store.lockedTask(id, principal: principal, directory: directory) else {
                throw ProblemDetails.notFound("renewal task \(id)")
            }
            guard task.state == .open else {
                throw try await closed(task, "only an open task is assigned", on: connection)
            }
            let user = try await environment.directory.requireActiveUser(
                body.assigneeId, inStore: task.storeID, field: "assigneeId", on: connection, logger: environment.logger)
            guard user.role == RenewalScheduler.specialistRole else {
                throw ProblemDetails.validation([.init(field: "assigneeId", message: "is not a renewal specialist (续保专员, role renewal) of the store")])
            }
            let day = try await environment.storeDay(task.storeID, on: connection)
            try await store.assign(id, to: user.id, at: day.now)
            return try await self.task(id, principal: principal, on: connection)
        }
    }

    /// Records a follow-up at the task's stage; `defeated` with a reason ends it (failure).
    @Sendable func followUp(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<RenewalTaskView> {
        let principal = try context.require(.followUpRenewals)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RenewalFollowUpInput.self, context: context)
        let task = try await environment.database.withTransaction { connection in
            let store = RenewalStore(connection: connection, logger: environment.logger)
            guard let task = try await store.lockedTask(id, principal: principal, directory: directory) else {
                throw ProblemDetails.notFound("renewal task \(id)")
            }
            let day = try await environment.storeDay(task.storeID, on: connection)
            let reasons = try await RenewalDictionaries.of(task.storeID, in: environment, on: connection).defeatReasons
            let followUp = try body.validated(reasons: reasons, today: day.today)
            guard task.state == .open else {
                throw try await closed(task, "follow-ups are recorded on open tasks only", on: connection)
            }
            try await store.recordFollowUp(followUp, on: task, by: principal.userID, at: day.now)
            return try await self.task(id, principal: principal, on: connection)
        }
        return EditedResponse(status: .created, response: task)
    }

    /// Records the renewed policy, issued today: the task succeeds (续保成功) if today is on or
    /// before the old policy's last day, and the car's insurance expiry becomes the new one.
    @Sendable func renew(_ request: Request, context: CRMRequestContext) async throws -> RenewalTaskView {
        let principal = try context.require(.followUpRenewals)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RenewalInput.self, context: context)
        return try await environment.database.withTransaction { connection in
            let store = RenewalStore(connection: connection, logger: environment.logger)
            guard let vehicle = try await store.vehicle(ofTask: id, principal: principal, directory: directory) else {
                throw ProblemDetails.notFound("renewal task \(id)")
            }
            try await store.lockVehicle(vehicle)
            guard let task = try await store.lockedTask(id, principal: principal, directory: directory) else {
                throw ProblemDetails.notFound("renewal task \(id)")
            }
            let policy = try body.validated(oldExpiry: task.insuranceExpiry)
            guard task.state == .open else {
                throw try await closed(task, "a renewal is recorded on an open task only", on: connection)
            }
            let day = try await environment.storeDay(task.storeID, on: connection)
            guard day.today <= task.insuranceExpiry else {
                throw ProblemDetails.conflict("the policy ended on \(task.insuranceExpiry); a renewal after that day does not save the task")
            }
            let vin = try await store.vin(ofVehicle: vehicle)
            guard try await store.recordPolicy(
                policy, store: task.storeID, vehicle: vehicle, vin: vin, task: task.id, issuedOn: day.today, source: "crm",
                by: principal.userID, at: day.now)
            else {
                throw ProblemDetails.conflict("the store has \(policy.insurer)'s policy \(policy.policyNo) recorded already")
            }
            try await store.markRenewed(task.id, at: day.now)
            try await store.extendInsurance(ofVehicle: vehicle, to: policy.newExpiry)
            try await VehicleStore(connection: connection, logger: environment.logger).announceChanges(of: [vehicle], to: environment.outbox)
            return try await self.task(id, principal: principal, on: connection)
        }
    }

    /// The 409 for a task that is no longer open, its state in the store's words (已续保, 已失效 …).
    private func closed(_ task: RenewalStore.TaskState, _ rule: String, on connection: PostgresConnection) async throws -> ProblemDetails {
        let states = try await RenewalDictionaries.of(task.storeID, in: environment, on: connection).states
        return ProblemDetails.conflict("the renewal task is \(states.label(task.state.rawValue) ?? task.state.rawValue): \(rule)")
    }
}
