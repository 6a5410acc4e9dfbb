import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/wheels` (大转盘, M4; seed §9.4 发布大转盘抽奖内容): the marketing manager
/// writes a wheel and its prizes, puts it online (上架) for the customer-facing page to take
/// draws within its period, and takes it offline (下架). A pending wheel may be edited and
/// deleted; once online its prizes and odds stay as customers drew them. Every route takes
/// `marketing.wheels.manage`; a wheel is its store's.
///
/// A coupon prize names a coupon definition of the store, checked with Coupons when the wheel is
/// saved (422 when the store has none, or it is disabled; 503 when Coupons does not answer).
struct WheelRoutes: Sendable {
    let environment: ServiceEnvironment
    let prizes: CouponPrizes

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/wheels", use: list)
        group.post("marketing/wheels", use: create)
        group.get("marketing/wheels/:id", use: get)
        group.put("marketing/wheels/:id", use: replace)
        group.delete("marketing/wheels/:id", use: delete)
        group.post("marketing/wheels/:id/online", use: putOnline)
        group.post("marketing/wheels/:id/offline", use: takeOffline)
    }

    private func wheels<Result: Sendable>(_ body: (WheelStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(WheelStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<WheelView> {
        let principal = try context.require(.manageWheels)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let state = query.code("state"), text = query.string("q", maxLength: 60)
        return try await wheels { store, connection in
            var check = FieldValidator()
            let states = try await environment.directory.dictionary(
                DataDictionaries.marketingEventState, store: principal.storeID, on: connection, logger: environment.logger)
            let stateCode = check.filterCode("state", state, in: states)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let day = try await environment.storeDay(principal.storeID, on: connection)
            return try await store.list(store: principal.storeID, state: stateCode, text: text, timeZone: day.timeZone, now: day.now, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> WheelView {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        return try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            guard let wheel = try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now) else {
                throw ProblemDetails.notFound("wheel \(id)")
            }
            return wheel
        }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<WheelView> {
        let principal = try context.require(.manageWheels)
        let draft = try await request.decodeJSON(as: WheelDraft.self, context: context)
        let fields = try await checked(draft, store: principal.storeID)
        let newPrizes = try await couponChecked(fields, store: principal.storeID)
        let id = UUID()
        let wheel = try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            try await requireAudienceEvent(fields, store: principal.storeID, on: connection)
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "DZ", store: principal.storeID, at: day.now)
            try await store.create(id: id, number: number, store: principal.storeID, fields: fields, prizes: newPrizes, by: principal.userID)
            return try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
        return EditedResponse(status: .created, response: wheel)
    }

    /// Replaces a pending wheel and its prizes with the body (409 once it has been online).
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> WheelView {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: WheelDraft.self, context: context)
        let fields = try await checked(draft, store: principal.storeID)
        let newPrizes = try await couponChecked(fields, store: principal.storeID)
        return try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedWheel(id, store: store, principal: principal, day: day)
            guard current.state == EventState.pending.rawValue else {
                throw try await refusal("edited", current, principal: principal, on: connection)
            }
            try await requireAudienceEvent(fields, store: principal.storeID, on: connection)
            try await store.replace(id, fields: fields, prizes: newPrizes)
            return try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    /// Deletes a pending wheel (nobody has drawn: only an online wheel takes draws); answers it as it was.
    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> WheelView {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        return try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedWheel(id, store: store, principal: principal, day: day)
            guard current.state == EventState.pending.rawValue, current.counts.draws == 0 else {
                throw try await refusal("deleted", current, principal: principal, on: connection)
            }
            try await store.delete(id)
            return current
        }
    }

    /// Puts a pending or offline wheel online (上架); one whose period is over cannot go online (409).
    @Sendable func putOnline(_ request: Request, context: CRMRequestContext) async throws -> WheelView {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        return try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedWheel(id, store: store, principal: principal, day: day)
            guard current.state != EventState.online.rawValue else {
                throw try await refusal("put online", current, principal: principal, on: connection)
            }
            guard current.endsAt > day.now else {
                throw ProblemDetails.conflict("\(current.number) ended at \(current.endsAtLocal) (store time): a wheel whose period is over cannot go online")
            }
            try await store.setState(id, .online)
            return try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    /// Takes an online wheel offline (下架): the page stops taking draws; prizes won stay won.
    @Sendable func takeOffline(_ request: Request, context: CRMRequestContext) async throws -> WheelView {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        return try await wheels { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let current = try await lockedWheel(id, store: store, principal: principal, day: day)
            guard current.state == EventState.online.rawValue else {
                throw try await refusal("taken offline", current, principal: principal, on: connection)
            }
            try await store.setState(id, .offline)
            return try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)!
        }
    }

    private func lockedWheel(_ id: UUID, store: WheelStore, principal: Principal, day: StoreDay) async throws -> WheelView {
        guard let wheel = try await store.wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now, forUpdate: true) else {
            throw ProblemDetails.notFound("wheel \(id)")
        }
        return wheel
    }

    /// 409 naming the state in the store's words (`EventState.refusal`).
    private func refusal(_ what: String, _ wheel: WheelView, principal: Principal, on connection: PostgresConnection) async throws -> ProblemDetails {
        let states = try await environment.directory.dictionary(
            DataDictionaries.marketingEventState, store: principal.storeID, on: connection, logger: environment.logger)
        return EventState.refusal(wheel.number, is: wheel.state, cannot: what, words: states)
    }

    private static let sets = [
        DataDictionaries.wheelAudience, DataDictionaries.wheelDrawPeriod, DataDictionaries.wheelPrizeKind,
    ]

    private func checked(_ draft: WheelDraft, store: UUID) async throws -> WheelFields {
        try await environment.database.withConnection { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: store, on: connection, logger: environment.logger)
            let day = try await environment.storeDay(store, on: connection)
            return try WheelFields(checking: draft, dictionaries: words, timeZone: day.timeZone)
        }
    }

    /// 422 unless the audience's event is one of the store's.
    private func requireAudienceEvent(_ fields: WheelFields, store: UUID, on connection: PostgresConnection) async throws {
        guard let event = fields.audienceEventId else { return }
        let day = try await environment.storeDay(store, on: connection)
        guard try await EventStore(connection: connection, logger: environment.logger)
            .event(event, store: store, timeZone: day.timeZone, now: day.now) != nil
        else {
            throw ProblemDetails.validation([.init(field: "audienceEventId", message: "is not an event of this store")])
        }
    }

    /// Each coupon prize's definition, asked of Coupons: the store's and enabled, or one 422
    /// naming every prize that is not.
    private func couponChecked(_ fields: WheelFields, store: UUID) async throws -> [WheelStore.NewPrize] {
        var errors: [ProblemDetails.FieldError] = []
        var newPrizes: [WheelStore.NewPrize] = []
        for (index, prize) in fields.prizes.enumerated() {
            guard let definitionID = prize.couponDefinitionId else {
                newPrizes.append(WheelStore.NewPrize(fields: prize, couponDefinitionNumber: nil))
                continue
            }
            let definition: CouponDefinitionSummary?
            do {
                definition = try await prizes.definition(definitionID, store: store)
            } catch {
                environment.logger.warning("Coupons did not answer about a prize's definition", metadata: ["error": "\(error)"])
                throw ProblemDetails.unavailable("Coupons does not answer, so the coupon prizes cannot be checked; save the wheel again in a moment")
            }
            let field = "prizes[\(index)].couponDefinitionId"
            guard let definition else {
                errors.append(.init(field: field, message: "is not a coupon definition of this store"))
                continue
            }
            guard definition.enabled else {
                errors.append(.init(field: field, message: "\(definition.number) \(definition.name) is disabled (已禁用): enable it in Coupons first"))
                continue
            }
            newPrizes.append(WheelStore.NewPrize(fields: prize, couponDefinitionNumber: definition.number))
        }
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        return newPrizes
    }
}
