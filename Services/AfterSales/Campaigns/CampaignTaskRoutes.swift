import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/after-sales/campaign-tasks` (招揽任务的分配与跟进, AS4; seed §5.2): the cars of live
/// campaigns, assigned to service advisors by the director, followed up by their SA, defeated
/// with a reason of the store's dictionary. Success and failure are not set here: the car's
/// return (a repair order) and the campaign's end decide them (`CampaignTaskStore`).
struct CampaignTaskRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/campaign-tasks", use: list)
        group.post("after-sales/campaign-tasks/assign", use: assign)
        group.get("after-sales/campaign-tasks/:id", use: get)
        group.post("after-sales/campaign-tasks/:id/follow-ups", use: followUp)
        group.post("after-sales/campaign-tasks/:id/defeat", use: defeat)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<CampaignTaskView> {
        let principal = try context.require(.readCampaigns)
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            let states = try await environment.directory.dictionary(
                DataDictionaries.campaignTaskState, store: principal.storeID, on: connection, logger: environment.logger)
            let filter = try CampaignTaskFilter(request, caller: principal.userID, states: states)
            return try await CampaignTaskStore(connection: connection, logger: environment.logger).list(filter, store: principal.storeID, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> CampaignTaskDetail {
        let principal = try context.require(.readCampaigns)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            let tasks = CampaignTaskStore(connection: connection, logger: environment.logger)
            guard let task = try await tasks.task(id, store: principal.storeID) else { throw ProblemDetails.notFound("campaign task \(id)") }
            return CampaignTaskDetail(task: task, followUps: try await tasks.followUps(of: id))
        }
    }

    /// Gives open tasks to one SA (勾选客户后分配). Tasks of other stores, or closed ones, are a
    /// 422 naming them; nothing changes then.
    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> Page<CampaignTaskView> {
        let principal = try context.require(.manageCampaigns)
        let body = try await request.decodeJSON(as: CampaignTaskAssignment.self, context: context)
        var check = FieldValidator()
        let ids = Array(Set(body.taskIds))
        check.require(!ids.isEmpty, "taskIds", "needs at least one task")
        check.require(ids.count <= 1000, "taskIds", "must name at most 1,000 tasks")
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let advisor = try await environment.directory.requireActiveUser(
                body.serviceAdvisorId, inStore: principal.storeID, field: "serviceAdvisorId", on: connection, logger: environment.logger)
            let tasks = CampaignTaskStore(connection: connection, logger: environment.logger)
            let changed = Set(try await tasks.assign(ids, store: principal.storeID, to: (advisor.id, advisor.displayName)))
            let refused = ids.filter { !changed.contains($0) }
            if !refused.isEmpty {
                throw ProblemDetails.validation(refused.map {
                    .init(field: "taskIds", message: "\($0.uuidString.lowercased()) is not an open task of the store")
                })
            }
            var assigned: [CampaignTaskView] = []
            for id in ids.sorted(by: { $0.uuidString < $1.uuidString }) {
                if let task = try await tasks.task(id, store: principal.storeID) { assigned.append(task) }
            }
            return Page.all(assigned)
        }
    }

    /// Records a follow-up on an open task (its SA, or a director). The next follow-up defaults
    /// to today plus the store's interval for the task's customer class (seed §8.3).
    @Sendable func followUp(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<CampaignTaskDetail> {
        let principal = try context.require(.followUpCampaigns)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: NewCampaignFollowUp.self, context: context)
        let detail = try await environment.database.withTransaction { connection in
            let tasks = CampaignTaskStore(connection: connection, logger: environment.logger)
            let task = try await openTask(id, principal: principal, in: tasks)
            let sets = try await environment.directory.dictionaries(
                [DataDictionaries.campaignContactMethod, DataDictionaries.campaignFollowUpResult],
                store: principal.storeID, on: connection, logger: environment.logger)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            var check = FieldValidator()
            let method = check.requiredCode("method", body.method, in: sets[DataDictionaries.campaignContactMethod])
            let content = check.text("content", body.content ?? "", maxLength: FieldValidator.freeTextLength)
            let result = check.requiredCode("result", body.result, in: sets[DataDictionaries.campaignFollowUpResult])
            let note = check.optionalText("note", body.note, maxLength: FieldValidator.freeTextLength)
            let next = check.optionalDate("nextFollowUpOn", body.nextFollowUpOn)
            if let next, next < day.today { check.fail("nextFollowUpOn", "must be today (\(day.today)) or later") }
            try check.throwIfInvalid()
            let settings = try await AfterSalesSettingsStore(connection: connection, logger: environment.logger).settings(store: principal.storeID)
            let names = try await environment.directory.displayNames(of: [principal.userID], on: connection, logger: environment.logger)
            try await tasks.addFollowUp(CampaignFollowUpView(
                id: UUID(), taskId: id, method: method!, content: content, result: result!, note: note,
                nextFollowUpOn: next ?? ServiceClock.day(day.today, plus: settings.followUpDays.days(for: task.customerClass)),
                recordedBy: principal.userID, recordedByName: names[principal.userID] ?? principal.username, recordedAt: day.now))
            return CampaignTaskDetail(task: try await tasks.task(id, store: principal.storeID)!, followUps: try await tasks.followUps(of: id))
        }
        return EditedResponse(status: .created, response: detail)
    }

    /// Gives an open task up (战败) with a reason of the store's `afterSalesDefeatReason`
    /// dictionary (internal: price, workmanship, waiting time, attitude; external: unreachable,
    /// moved, rarely driven, other garage, car sold, other — seed §8.3).
    @Sendable func defeat(_ request: Request, context: CRMRequestContext) async throws -> CampaignTaskDetail {
        let principal = try context.require(.followUpCampaigns)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: CampaignDefeat.self, context: context)
        return try await environment.database.withTransaction { connection in
            let tasks = CampaignTaskStore(connection: connection, logger: environment.logger)
            try await openTask(id, principal: principal, in: tasks)
            let reasons = try await environment.directory.dictionary(
                DataDictionaries.afterSalesDefeatReason, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let reason = check.requiredCode("reason", body.reason, in: reasons)
            let note = check.optionalText("note", body.note, maxLength: FieldValidator.freeTextLength)
            try check.throwIfInvalid()
            try await tasks.defeat(id, reason: reason!, note: note, by: principal.userID, at: environment.configuration.clock.now())
            return CampaignTaskDetail(task: try await tasks.task(id, store: principal.storeID)!, followUps: try await tasks.followUps(of: id))
        }
    }

    /// The task, locked, if it is open, of the caller's store, and theirs to follow up: its SA's,
    /// or anyone's for a director (`aftersales.campaign.manage`).
    @discardableResult
    private func openTask(_ id: UUID, principal: Principal, in tasks: CampaignTaskStore) async throws -> CampaignTaskView {
        guard let task = try await tasks.task(id, store: principal.storeID, forUpdate: true) else {
            throw ProblemDetails.notFound("campaign task \(id)")
        }
        guard task.state == "open" else {
            let states = try await environment.directory.dictionary(
                DataDictionaries.campaignTaskState, store: principal.storeID, on: tasks.connection, logger: environment.logger)
            throw ProblemDetails.conflict(
                "campaign task \(id) is closed (\(states.label(task.state) ?? task.state)); only an open task is followed up")
        }
        if task.serviceAdvisorId != principal.userID, !principal.has(.manageCampaigns) {
            throw ProblemDetails(
                status: .forbidden, type: "https://dealer-crm.dev/problems/forbidden", title: "Forbidden",
                detail: "campaign task \(id) is \(task.serviceAdvisorName.map { "assigned to \($0)" } ?? "not assigned to anyone"); only its service advisor or an after-sales director follows it up")
        }
        return task
    }
}
