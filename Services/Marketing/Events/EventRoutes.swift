import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/events` (活动管理, M3; seed §9.3 新增活动, 预览启用活动, 后期可修改和停用): the
/// marketing manager writes an event, puts it online (上架) for the customer-facing pages to take
/// registrations, and takes it offline (下架). A pending event may be edited, and deleted while
/// nobody has registered; once online it keeps what customers registered for. Every route takes
/// `marketing.events.manage`; an event is its store's.
struct EventRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/events", use: list)
        group.post("marketing/events", use: create)
        group.get("marketing/events/:id", use: get)
        group.put("marketing/events/:id", use: replace)
        group.delete("marketing/events/:id", use: delete)
        group.post("marketing/events/:id/online", use: putOnline)
        group.post("marketing/events/:id/offline", use: takeOffline)
    }

    private func events<Result: Sendable>(_ body: (EventStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(EventStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<EventView> {
        let principal = try context.require(.manageMarketingEvents)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let state = query.code("state"), text = query.string("q", maxLength: 60), from = query.date("from"), to = query.date("to")
        return try await events { store, connection in
            var check = FieldValidator()
            let states = try await environment.directory.dictionary(
                DataDictionaries.marketingEventState, store: principal.storeID, on: connection, logger: environment.logger)
            let stateCode = check.filterCode("state", state, in: states)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let day = try await environment.storeDay(principal.storeID, on: connection)
            return try await store.list(
                store: principal.storeID, state: stateCode, text: text, from: from, to: to, timeZone: day.timeZone, now: day.now, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> EventView {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        return try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            guard let event = try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now) else {
                throw ProblemDetails.notFound("event \(id)")
            }
            return event
        }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<EventView> {
        let principal = try context.require(.manageMarketingEvents)
        let draft = try await request.decodeJSON(as: EventDraft.self, context: context)
        let id = UUID()
        let event = try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let fields = try await checked(draft, store: principal.storeID, day: day, on: connection)
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "HD", store: principal.storeID, at: day.now)
            try await store.create(id: id, number: number, store: principal.storeID, fields: fields, by: principal.userID)
            return try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
        return EditedResponse(status: .created, response: event)
    }

    /// Replaces a pending event with the body; an event that has been online keeps what its
    /// registrants signed up for (409).
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> EventView {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: EventDraft.self, context: context)
        return try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedEvent(id, store: store, principal: principal, day: day)
            guard current.state == EventState.pending.rawValue else {
                throw try await refusal("edited", current, principal: principal, on: connection)
            }
            let fields = try await checked(draft, store: principal.storeID, day: day, on: connection)
            try await store.replace(id, fields: fields)
            return try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    /// Deletes a pending event nobody registered for or was invited to; answers it as it was.
    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> EventView {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        return try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedEvent(id, store: store, principal: principal, day: day)
            guard current.state == EventState.pending.rawValue else {
                throw try await refusal("deleted", current, principal: principal, on: connection)
            }
            guard current.counts.registered == 0 else {
                throw ProblemDetails.conflict("\(current.number) cannot be deleted: \(current.counts.registered) customers have registered for it")
            }
            guard try await InvitationStore(connection: connection, logger: environment.logger).count(event: id) == 0 else {
                throw ProblemDetails.conflict("\(current.number) cannot be deleted: consultants have invitation tasks (邀约任务) for it")
            }
            try await store.delete(id)
            return current
        }
    }

    /// Puts a pending or offline event online (上架): the public page takes registrations until
    /// it ends. An event that has ended cannot go online (409).
    @Sendable func putOnline(_ request: Request, context: CRMRequestContext) async throws -> EventView {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        return try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedEvent(id, store: store, principal: principal, day: day)
            guard current.state != EventState.online.rawValue else {
                throw try await refusal("put online", current, principal: principal, on: connection)
            }
            guard current.endsAt > day.now else {
                throw ProblemDetails.conflict("\(current.number) ended at \(current.endsAtLocal) (store time): an event that has ended cannot go online")
            }
            try await store.setState(id, .online, at: day.now)
            return try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    /// Takes an online event offline (下架): the public page stops taking registrations; those
    /// already made stay, and check-in goes on.
    @Sendable func takeOffline(_ request: Request, context: CRMRequestContext) async throws -> EventView {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        return try await events { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedEvent(id, store: store, principal: principal, day: day)
            guard current.state == EventState.online.rawValue else {
                throw try await refusal("taken offline", current, principal: principal, on: connection)
            }
            try await store.setState(id, .offline, at: day.now)
            return try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    private func lockedEvent(_ id: UUID, store: EventStore, principal: Principal, day: StoreDay) async throws -> EventView {
        guard let event = try await store.event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now, forUpdate: true) else {
            throw ProblemDetails.notFound("event \(id)")
        }
        return event
    }

    /// 409 naming the state in the store's words (`EventState.refusal`).
    private func refusal(_ what: String, _ event: EventView, principal: Principal, on connection: PostgresConnection) async throws -> ProblemDetails {
        let states = try await environment.directory.dictionary(
            DataDictionaries.marketingEventState, store: principal.storeID, on: connection, logger: environment.logger)
        return EventState.refusal(event.number, is: event.state, cannot: what, words: states)
    }

    private func checked(_ draft: EventDraft, store: UUID, day: StoreDay, on connection: PostgresConnection) async throws -> EventFields {
        let words = try await environment.directory.dictionaries(
            [DataDictionaries.marketingEventCharge], store: store, on: connection, logger: environment.logger)
        return try EventFields(checking: draft, dictionaries: words, timeZone: day.timeZone)
    }
}
