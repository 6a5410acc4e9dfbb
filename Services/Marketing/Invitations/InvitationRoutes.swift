import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// Invitation tasks (邀约任务, M3; seed §9 邀约任务创建 / 邀约任务跟进):
///
/// - `POST /api/v1/marketing/events/{id}/invitations` — the marketing manager
///   (`marketing.events.manage`) picks customers for an event, by mobile or from the prospects
///   Marketing knows, and hands them to a consultant: one task per customer and event;
/// - `GET /api/v1/marketing/invitations` — the tasks the caller may see: with
///   `marketing.events.manage` the store's, with `marketing.invitations.follow_up` and the `own`
///   scope (sales consultants) their own; filtered by `eventId`, `consultantId`, `result` (a code
///   of `invitationResult`, or `open` for none yet) and `q`;
/// - `GET /api/v1/marketing/invitations/{id}` — a task with its follow-ups;
/// - `POST /api/v1/marketing/invitations/{id}/follow-ups` — the assigned consultant records a
///   follow-up (method, content, result, note, next day); anyone else is refused (403).
struct InvitationRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("marketing/events/:id/invitations", use: create)
        group.get("marketing/invitations", use: list)
        group.get("marketing/invitations/:id", use: get)
        group.post("marketing/invitations/:id/follow-ups", use: followUp)
    }

    static let mostInvitees = 1_000

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<InvitationBatch> {
        let principal = try context.require(.manageMarketingEvents)
        let eventID = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: InvitationDraft.self, context: context)
        var check = FieldValidator()
        var invitees: [(mobile: String, name: String?)] = []
        for (index, customer) in (draft.customers ?? []).enumerated() {
            let mobile = check.mobile("customers[\(index)].mobile", customer.mobile)
            let name = check.optionalText("customers[\(index)].name", customer.name, maxLength: 30)
            invitees.append((mobile, name))
        }
        let prospectIDs = Array(Set(draft.prospectIds ?? []))
        let count = invitees.count + prospectIDs.count
        if count == 0 { check.fail("customers", "name at least one customer, in customers (by mobile) or prospectIds") }
        if count > Self.mostInvitees { check.fail("customers", "at most \(Self.mostInvitees) customers at once, customers and prospectIds together") }
        try check.throwIfInvalid()
        let batch = try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            guard let event = try await EventStore(connection: connection, logger: environment.logger)
                .event(eventID, store: principal.storeID, timeZone: day.timeZone, now: day.now)
            else { throw ProblemDetails.notFound("event \(eventID)") }
            guard event.endsAt > day.now else {
                throw ProblemDetails.conflict("\(event.number) ended at \(event.endsAtLocal) (store time): nobody can be invited to it any more")
            }
            try await environment.directory.requireActiveUser(
                draft.consultantId, inStore: principal.storeID, field: "consultantId", on: connection, logger: environment.logger)
            let prospects = try await CustomerStore(connection: connection, logger: environment.logger).prospects(prospectIDs, store: principal.storeID)
            let unknown = prospectIDs.filter { prospects[$0] == nil }
            if !unknown.isEmpty {
                throw ProblemDetails.validation(unknown.map { .init(field: "prospectIds", message: "\($0) is no prospect of the store") })
            }
            let store = InvitationStore(connection: connection, logger: environment.logger)
            var created: [UUID] = [], skipped: [SkippedInvitee] = [], seen: Set<String> = []
            let everyone = invitees.map { ($0.mobile, $0.name, UUID?.none) } + prospectIDs.map { (prospects[$0]!.mobile, prospects[$0]!.name, $0) }
            for (mobile, name, prospect) in everyone where seen.insert(mobile).inserted {
                let id = UUID()
                if let existing = try await store.add(
                    id: id, event: eventID, store: principal.storeID, mobile: mobile, name: name, prospect: prospect,
                    consultant: draft.consultantId, by: principal.userID)
                {
                    skipped.append(SkippedInvitee(mobile: mobile, taskId: existing))
                } else {
                    created.append(id)
                }
            }
            return InvitationBatch(created: try await store.tasks(created, timeZone: day.timeZone), skipped: skipped)
        }
        return EditedResponse(status: .created, response: batch)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<InvitationTaskView> {
        let principal = try Self.requireInvitations(context)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let event = query.uuid("eventId"), consultant = query.uuid("consultantId"), result = query.code("result")
        let text = query.string("q", maxLength: 30)
        return try await environment.database.withTransaction { connection in
            let results = try await environment.directory.dictionary(
                DataDictionaries.invitationResult, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let resultCode = result == "open" ? "open" : check.filterCode("result", result, in: results)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let day = try await environment.storeDay(principal.storeID, on: connection)
            return try await InvitationStore(connection: connection, logger: environment.logger).list(
                for: principal, event: event, consultant: consultant, result: resultCode, text: text, timeZone: day.timeZone, page: page,
                directory: environment.directory.schema)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> InvitationTaskDetail {
        let principal = try Self.requireInvitations(context)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let store = InvitationStore(connection: connection, logger: environment.logger)
            guard let task = try await store.task(id, store: principal.storeID, timeZone: day.timeZone),
                  principal.has(.manageMarketingEvents) || task.consultantId == principal.userID
            else { throw ProblemDetails.notFound("invitation task \(id)") }
            return InvitationTaskDetail(task: task, followUps: try await store.followUps(of: id))
        }
    }

    /// Only the consultant the task is assigned to records its follow-ups.
    @Sendable func followUp(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<InvitationTaskDetail> {
        let principal = try context.require(.followUpInvitations)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: InvitationFollowUpDraft.self, context: context)
        let detail = try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let store = InvitationStore(connection: connection, logger: environment.logger)
            guard let task = try await store.task(id, store: principal.storeID, timeZone: day.timeZone, forUpdate: true) else {
                throw ProblemDetails.notFound("invitation task \(id)")
            }
            guard task.consultantId == principal.userID else {
                throw ProblemDetails(
                    status: .forbidden,
                    detail: "this invitation task is assigned to \(task.consultantName ?? "another consultant"): only they record its follow-ups")
            }
            let words = try await environment.directory.dictionaries(
                [DataDictionaries.invitationMethod, DataDictionaries.invitationResult], store: principal.storeID, on: connection,
                logger: environment.logger)
            var check = FieldValidator()
            let method = check.requiredCode("method", draft.method, in: words[DataDictionaries.invitationMethod])
            let content = check.text("content", draft.content, maxLength: 1_000)
            let result = check.requiredCode("result", draft.result, in: words[DataDictionaries.invitationResult])
            let note = check.optionalText("note", draft.note, maxLength: 500)
            var next: String?
            if let text = draft.nextFollowUpOn, !text.isEmpty {
                if let day = CalendarDate.parse(text) { next = day } else { check.fail("nextFollowUpOn", "must be a real day written yyyy-MM-dd") }
                if let next, next < day.today { check.fail("nextFollowUpOn", "must be today (\(day.today)) or later") }
            }
            try check.throwIfInvalid()
            try await store.addFollowUp(
                id, id: UUID(), method: method!, content: content, result: result!, note: note, nextFollowUpOn: next, by: principal.userID,
                at: day.now)
            return InvitationTaskDetail(
                task: try await store.task(id, store: principal.storeID, timeZone: day.timeZone)!, followUps: try await store.followUps(of: id))
        }
        return EditedResponse(status: .created, response: detail)
    }

    /// The caller, when they may see invitation tasks: managers all of the store's, consultants their own.
    private static func requireInvitations(_ context: CRMRequestContext) throws -> Principal {
        let principal = try context.requirePrincipal()
        guard principal.has(.manageMarketingEvents) || principal.has(.followUpInvitations) else {
            throw ProblemDetails.forbidden(missing: .followUpInvitations)
        }
        return principal
    }
}
