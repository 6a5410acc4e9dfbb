import Contracts
import Crypto
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/tasks` (发放任务, C2; seed §6.2): a task is written as a draft and
/// published. A push issues its coupons at publishing, all or nothing: when fewer are left than
/// it needs, it issues none and says how many are left. A claim task opens a link customers
/// claim from (`ClaimRoutes`). With the store's approval switch on, publishing sends the task
/// to a manager, and it issues when approved. Reading takes `coupons.read`, writing
/// `coupons.issue`, deciding `coupons.task.approve`.
struct IssueTaskRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/tasks", use: list)
        group.post("coupons/tasks", use: create)
        group.get("coupons/tasks/:id", use: get)
        group.put("coupons/tasks/:id", use: replace)
        group.delete("coupons/tasks/:id", use: delete)
        group.get("coupons/tasks/:id/preview", use: preview)
        group.post("coupons/tasks/:id/publish", use: publish)
        group.post("coupons/tasks/:id/approve", use: approve)
        group.post("coupons/tasks/:id/reject", use: reject)
        group.post("coupons/tasks/:id/close", use: close)
    }

    private func tasks<Result: Sendable>(_ body: (IssueTaskStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(IssueTaskStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<IssueTaskView> {
        let principal = try context.require(.readCoupons)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let kind = query.code("kind"), mode = query.code("mode"), state = query.code("state")
        return try await tasks { store, connection in
            let words = try await environment.directory.dictionaries(
                [DataDictionaries.couponTaskKind, DataDictionaries.couponIssueMode, DataDictionaries.couponTaskState],
                store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let kindCode = check.filterCode("kind", kind, in: words[DataDictionaries.couponTaskKind])
            let modeCode = check.filterCode("mode", mode, in: words[DataDictionaries.couponIssueMode])
            let stateCode = check.filterCode("state", state, in: words[DataDictionaries.couponTaskState])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await store.list(store: principal.storeID, kind: kindCode, mode: modeCode, state: stateCode, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskView {
        let principal = try context.require(.readCoupons)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, _ in try await requireTask(id, store: principal.storeID, in: store) }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<IssueTaskView> {
        let principal = try context.require(.issueCoupons)
        let draft = try await request.decodeJSON(as: IssueTaskDraft.self, context: context)
        let id = UUID()
        let now = environment.configuration.clock.now()
        let task = try await tasks { store, connection in
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: fields.kind.numberPrefix, store: principal.storeID, at: now)
            try await store.create(
                id: id, number: number, store: principal.storeID, fields: fields, name: fields.name ?? Self.defaultName(fields.kind, number),
                by: principal.userID)
            return try await requireTask(id, store: principal.storeID, in: store)
        }
        return EditedResponse(status: .created, response: task)
    }

    /// `快速发券_KS2612010001`, as the seed names quick tasks.
    static func defaultName(_ kind: IssueTaskKind, _ number: String) -> String {
        switch kind {
        case .quick: "快速发券_\(number)"
        case .conditional: "条件发券_\(number)"
        case .imported: "导表发券_\(number)"
        }
    }

    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskView {
        let principal = try context.require(.issueCoupons)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: IssueTaskDraft.self, context: context)
        return try await tasks { store, connection in
            let current = try await requireEditable(id, store: principal.storeID, in: store, doing: "edited")
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            try await store.replace(
                id, fields: fields, name: fields.name ?? Self.defaultName(fields.kind, current.number), by: principal.userID,
                kindChanged: fields.kind.rawValue != current.kind)
            return try await requireTask(id, store: principal.storeID, in: store)
        }
    }

    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskView {
        let principal = try context.require(.issueCoupons)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, _ in
            let task = try await requireEditable(id, store: principal.storeID, in: store, doing: "deleted")
            try await store.delete(id)
            return task
        }
    }

    /// How many customers the task would issue to now (a conditional task's matches, the list of
    /// the others), and the first 20.
    @Sendable func preview(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskPreview {
        let principal = try context.require(.readCoupons)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, connection in
            let task = try await requireTask(id, store: principal.storeID, in: store)
            if task.kind == IssueTaskKind.conditional.rawValue {
                let customers = CustomerStore(connection: connection, logger: environment.logger)
                let first = try await customers.customers(of: principal.storeID, matching: task.conditions, limit: 20)
                return IssueTaskPreview(
                    customers: try await customers.count(of: principal.storeID, matching: task.conditions),
                    first: first.map { .init(mobile: $0.mobile, name: $0.name) })
            }
            let listed = try await store.recipients(of: id)
            return IssueTaskPreview(customers: listed.count, first: listed.prefix(20).map { .init(mobile: $0.mobile, name: $0.name) })
        }
    }

    /// Publishes a draft: to the manager when the store asks for approval, else at once.
    @Sendable func publish(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskResult {
        let principal = try context.require(.issueCoupons)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, connection in
            let task = try await requireEditable(id, store: principal.storeID, in: store, doing: "published")
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let rules = try await CouponSettingsStore(connection: connection, logger: environment.logger).storeSettings(principal.storeID)
            if rules.taskApproval {
                try await store.awaitApproval(id, by: principal.userID, at: day.now)
                return IssueTaskResult(task: try await requireTask(id, store: principal.storeID, in: store), skippedAtLimit: [])
            }
            return try await carryOut(task, principal: principal, day: day, store: store, connection: connection)
        }
    }

    /// Approves a task waiting for approval; it issues (or opens its link) now. Its author may
    /// not approve it.
    @Sendable func approve(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskResult {
        let principal = try context.require(.approveCouponTasks)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, connection in
            let task = try await requireAwaitingApproval(id, store: principal.storeID, in: store, by: principal)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            try await store.recordDecision(id, by: principal.userID, at: day.now, rejectionReason: nil)
            return try await carryOut(task, principal: principal, day: day, store: store, connection: connection)
        }
    }

    struct Rejection: Decodable, Sendable {
        var reason: String
    }

    /// Rejects a task waiting for approval with a reason; its author may edit and publish it again.
    @Sendable func reject(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskView {
        let principal = try context.require(.approveCouponTasks)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: Rejection.self, context: context)
        var check = FieldValidator()
        let reason = check.text("reason", body.reason, maxLength: 500)
        try check.throwIfInvalid()
        return try await tasks { store, _ in
            _ = try await requireAwaitingApproval(id, store: principal.storeID, in: store, by: principal)
            try await store.recordDecision(id, by: principal.userID, at: environment.configuration.clock.now(), rejectionReason: reason)
            return try await requireTask(id, store: principal.storeID, in: store)
        }
    }

    /// Shuts a claim task's link: claims after this answer 409.
    @Sendable func close(_ request: Request, context: CRMRequestContext) async throws -> IssueTaskView {
        let principal = try context.require(.issueCoupons)
        let id = try context.parameters.uuid("id")
        return try await tasks { store, connection in
            guard let (task, _) = try await store.task(id, store: principal.storeID, lock: "FOR UPDATE") else {
                throw ProblemDetails.notFound("issuing task \(id)")
            }
            guard task.state == IssueTaskState.claiming.rawValue else {
                throw ProblemDetails.conflict("task \(task.number) is \(try await stateLabel(task.state, store: principal.storeID, on: connection)); only a claim task whose link is open (领取中) can be closed")
            }
            try await store.close(id)
            return try await requireTask(id, store: principal.storeID, in: store)
        }
    }

    /// Issues a push task's coupons, or opens a claim task's link.
    private func carryOut(
        _ task: IssueTaskView, principal: Principal, day: StoreDay, store: IssueTaskStore, connection: PostgresConnection
    ) async throws -> IssueTaskResult {
        let definitions = DefinitionStore(connection: connection, logger: environment.logger)
        guard let definition = try await definitions.definition(task.definitionId, store: principal.storeID, now: day.now, forUpdate: true) else {
            throw ProblemDetails.notFound("coupon definition \(task.definitionId)")
        }
        guard definition.enabled else { throw IssueRefusal.disabled(number: definition.number).problem }
        switch IssueMode(rawValue: task.mode) {
        case .claim:
            do {
                _ = try CouponIssuer.validity(of: definition, on: day)
            } catch let refusal as IssueRefusal {
                throw refusal.problem
            }
            if task.kind != IssueTaskKind.conditional.rawValue, try await store.recipients(of: task.id).isEmpty {
                throw ProblemDetails.validation([.init(field: "recipients", message: "the task lists no customers who could claim; upload a list first")])
            }
            try await store.openClaims(task.id, token: Self.claimToken(), at: day.now)
            return IssueTaskResult(task: try await requireTask(task.id, store: principal.storeID, in: store), skippedAtLimit: [])
        case .push, nil:
            let recipients = task.kind == IssueTaskKind.conditional.rawValue
                ? try await CustomerStore(connection: connection, logger: environment.logger).customers(of: principal.storeID, matching: task.conditions)
                : try await store.recipients(of: task.id)
            guard !recipients.isEmpty else {
                throw ProblemDetails.validation([.init(
                    field: task.kind == IssueTaskKind.conditional.rawValue ? "conditions" : "recipients",
                    message: task.kind == IssueTaskKind.conditional.rawValue ? "select no customer of the store" : "the task lists no customers; upload a list first")])
            }
            let issuer = CouponIssuer(connection: connection, logger: environment.logger, outbox: environment.outbox)
            let outcome: IssueOutcome
            do {
                outcome = try await issuer.issue(
                    CouponIssuer.Issue(
                        definition: definition, perPerson: task.perPerson, taskID: task.id,
                        taskNumber: task.number, issuedBy: principal.userID, day: day),
                    to: recipients)
            } catch let refusal as IssueRefusal {
                throw refusal.problem
            }
            guard outcome.couponsIssued > 0 else {
                throw ProblemDetails.conflict(
                    "every customer of task \(task.number) already holds \(definition.perCustomerLimit) coupons of \(definition.number), the most one may hold; nothing was issued")
            }
            try await store.recordIssued(task.id, outcome: outcome, at: day.now)
            return IssueTaskResult(
                task: try await requireTask(task.id, store: principal.storeID, in: store), skippedAtLimit: Array(outcome.skippedAtLimit.prefix(100)))
        }
    }

    /// 32 random bytes, base64url: the secret part of a claim link.
    static func claimToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func requireTask(_ id: UUID, store: UUID, in tasks: IssueTaskStore) async throws -> IssueTaskView {
        guard let (task, _) = try await tasks.task(id, store: store) else { throw ProblemDetails.notFound("issuing task \(id)") }
        return task
    }

    private func requireEditable(_ id: UUID, store: UUID, in tasks: IssueTaskStore, doing action: String) async throws -> IssueTaskView {
        guard let (task, _) = try await tasks.task(id, store: store, lock: "FOR UPDATE") else { throw ProblemDetails.notFound("issuing task \(id)") }
        guard IssueTaskState(rawValue: task.state)?.isEditable == true else {
            throw ProblemDetails.conflict("task \(task.number) is \(try await stateLabel(task.state, store: store, on: tasks.connection)); only a draft (草稿) or a rejected task (审核未通过) can be \(action)")
        }
        return task
    }

    private func requireAwaitingApproval(_ id: UUID, store: UUID, in tasks: IssueTaskStore, by principal: Principal) async throws -> IssueTaskView {
        guard let (task, _) = try await tasks.task(id, store: store, lock: "FOR UPDATE") else { throw ProblemDetails.notFound("issuing task \(id)") }
        guard task.state == IssueTaskState.awaitingApproval.rawValue else {
            throw ProblemDetails.conflict("task \(task.number) is \(try await stateLabel(task.state, store: store, on: tasks.connection)); only a task waiting for approval (待审核) can be approved or rejected")
        }
        guard try await !tasks.writers(of: id).contains(principal.userID) else {
            throw ProblemDetails(status: .forbidden, detail: "you wrote, edited or published task \(task.number); another manager must approve or reject it")
        }
        return task
    }

    /// The store's word for a task state, for a 409's detail.
    private func stateLabel(_ state: String, store: UUID, on connection: PostgresConnection) async throws -> String {
        let states = try await environment.directory.dictionary(DataDictionaries.couponTaskState, store: store, on: connection, logger: environment.logger)
        return states.described(state)
    }

    private func checked(_ draft: IssueTaskDraft, store: UUID, on connection: PostgresConnection) async throws -> IssueTaskFields {
        let words = try await environment.directory.dictionaries(
            [DataDictionaries.couponTaskKind, DataDictionaries.couponIssueMode, DataDictionaries.prospectLevel,
             DataDictionaries.prospectSource, DataDictionaries.prospectState],
            store: store, on: connection, logger: environment.logger)
        let fields = try IssueTaskFields(checking: draft, dictionaries: words)
        let definition = try await DefinitionStore(connection: connection, logger: environment.logger)
            .definition(fields.definitionID, store: store, now: environment.configuration.clock.now())
        guard let definition else {
            throw ProblemDetails.validation([.init(field: "definitionId", message: "is not a coupon definition of this store")])
        }
        var check = FieldValidator()
        check.require(definition.enabled, "definitionId", "\(definition.number) is disabled (已禁用); enable it first")
        check.require(
            fields.perPerson <= definition.perCustomerLimit, "perPerson",
            "must be at most \(definition.perCustomerLimit), the most coupons of \(definition.number) one customer may hold")
        try check.throwIfInvalid()
        return fields
    }
}
