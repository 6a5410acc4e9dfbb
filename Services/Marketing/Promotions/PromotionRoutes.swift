import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/promotions` (降价促销, M2; seed §9.2): the marketing manager writes a car's
/// promotion — list price, discount, the promotion price they make, conditions, the days it runs
/// on the store's calendar — and publishes or withdraws it. The promotion price is derived,
/// never taken from the client (`PricePromotionFields`). Reading takes `marketing.read`,
/// writing `marketing.content.manage`; both see only the caller's store.
struct PromotionRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/promotions", use: list)
        group.post("marketing/promotions", use: create)
        group.get("marketing/promotions/:id", use: get)
        group.put("marketing/promotions/:id", use: replace)
        group.delete("marketing/promotions/:id", use: delete)
        group.post("marketing/promotions/:id/publish", use: publish)
        group.post("marketing/promotions/:id/withdraw", use: withdraw)
    }

    /// The body with the promotion store and the caller's store's day, in one transaction.
    private func promotions<Result: Sendable>(
        store: UUID, _ body: (PromotionStore, StoreDay, PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(store, on: connection)
            return try await body(PromotionStore(connection: connection, logger: environment.logger), day, connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<PricePromotionView> {
        let principal = try context.require(.readMarketing)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let state = query.code("state"), current = query.bool("current"), text = query.string("q", maxLength: 60)
        return try await promotions(store: principal.storeID) { store, day, connection in
            var check = FieldValidator()
            let states = try await environment.directory.dictionary(
                DataDictionaries.publicationState, store: principal.storeID, on: connection, logger: environment.logger)
            let stateCode = check.filterCode("state", state, in: states)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await store.list(
                store: principal.storeID, state: stateCode.flatMap(PublicationState.init(rawValue:)), current: current, text: text,
                today: day.today, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> PricePromotionView {
        let principal = try context.require(.readMarketing)
        let id = try context.parameters.uuid("id")
        return try await promotions(store: principal.storeID) { store, day, _ in
            try await Self.require(id, store: principal.storeID, today: day.today, in: store)
        }
    }

    /// A new draft (草稿) of the caller's store. A last day before today on the store's calendar
    /// is refused: the promotion could never be shown.
    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<PricePromotionView> {
        let principal = try context.require(.manageMarketingContent)
        let draft = try await request.decodeJSON(as: PricePromotionDraft.self, context: context)
        let fields = try PricePromotionFields(checking: draft)
        let id = UUID()
        let promotion = try await promotions(store: principal.storeID) { store, day, _ in
            try Self.refusePast(fields.validUntil, today: day.today)
            try await store.create(id: id, store: principal.storeID, fields: fields, by: principal.userID)
            return try await store.promotion(id, store: principal.storeID, today: day.today)!
        }
        return EditedResponse(status: .created, response: promotion)
    }

    /// Replaces the promotion with the body, in any state: a published one shows the edit at
    /// once. A last day before today is refused unless the promotion had it already.
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> PricePromotionView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: PricePromotionDraft.self, context: context)
        let fields = try PricePromotionFields(checking: draft)
        return try await promotions(store: principal.storeID) { store, day, _ in
            let current = try await Self.require(id, store: principal.storeID, today: day.today, in: store, forUpdate: true)
            if fields.validUntil != current.validUntil { try Self.refusePast(fields.validUntil, today: day.today) }
            try await store.replace(id, fields: fields, by: principal.userID)
            return try await store.promotion(id, store: principal.storeID, today: day.today)!
        }
    }

    /// Deletes a draft (草稿) — the only state that may be deleted: one that has been on the site
    /// is withdrawn instead, and stays on record (409). Answers it as it was.
    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> PricePromotionView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        return try await promotions(store: principal.storeID) { store, day, connection in
            let promotion = try await Self.require(id, store: principal.storeID, today: day.today, in: store, forUpdate: true)
            if PublicationState(rawValue: promotion.state)?.canDelete != true {
                let words = try await environment.directory.dictionary(
                    DataDictionaries.publicationState, store: principal.storeID, on: connection, logger: environment.logger)
                throw PublicationState.refusal("promotion “\(promotion.title)”", is: promotion.state, words: words, only: "a draft (草稿)", can: "deleted")
            }
            try await store.delete(id)
            return promotion
        }
    }

    /// Publishes a draft or withdrawn promotion: shown on the site on the days of its validity.
    /// 409 for one published already; 422 naming `validUntil` for one whose last day has passed.
    @Sendable func publish(_ request: Request, context: CRMRequestContext) async throws -> PricePromotionView {
        try await move(request, context: context, to: .published, allowed: \.canPublish, only: "a draft (草稿) or a withdrawn promotion (已撤回)", action: "published")
    }

    /// Takes a published promotion off the site; 409 for any other.
    @Sendable func withdraw(_ request: Request, context: CRMRequestContext) async throws -> PricePromotionView {
        try await move(request, context: context, to: .withdrawn, allowed: \.canWithdraw, only: "a published promotion (已发布)", action: "withdrawn")
    }

    private func move(
        _ request: Request, context: CRMRequestContext, to state: PublicationState, allowed: KeyPath<PublicationState, Bool>,
        only: String, action: String
    ) async throws -> PricePromotionView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        return try await promotions(store: principal.storeID) { store, day, connection in
            let promotion = try await Self.require(id, store: principal.storeID, today: day.today, in: store, forUpdate: true)
            if PublicationState(rawValue: promotion.state)?[keyPath: allowed] != true {
                let words = try await environment.directory.dictionary(
                    DataDictionaries.publicationState, store: principal.storeID, on: connection, logger: environment.logger)
                throw PublicationState.refusal("promotion “\(promotion.title)”", is: promotion.state, words: words, only: only, can: action)
            }
            if state == .published { try Self.refusePast(promotion.validUntil, today: day.today) }
            try await store.setState(id, state, at: day.now, by: principal.userID)
            return try await store.promotion(id, store: principal.storeID, today: day.today)!
        }
    }

    /// 422 naming `validUntil` when the last day is before `today` (store days, `yyyy-MM-dd`).
    private static func refusePast(_ validUntil: String, today: String) throws {
        if validUntil < today {
            throw ProblemDetails.validation([.init(
                field: "validUntil", message: "must not be before today (\(today)) on the store's calendar: the promotion could never be shown")])
        }
    }

    /// The promotion of the caller's store, or 404.
    static func require(_ id: UUID, store: UUID, today: String, in promotions: PromotionStore, forUpdate: Bool = false) async throws -> PricePromotionView {
        guard let promotion = try await promotions.promotion(id, store: store, today: today, forUpdate: forUpdate) else {
            throw ProblemDetails.notFound("price promotion \(id)")
        }
        return promotion
    }
}
