import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/definitions` (新增优惠券, C1; seed §6.1): the finance director defines
/// coupons — what they are worth, how many may ever be issued, how long and where they are
/// valid — and enables or disables them. A disabled definition issues nothing (no push, no
/// claim, no referral); coupons already issued from it stay usable until they expire, because
/// the customer holds them. Reading takes `coupons.read`, writing `coupons.definition.manage`.
struct DefinitionRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/definitions", use: list)
        group.post("coupons/definitions", use: create)
        group.get("coupons/definitions/:id", use: get)
        group.put("coupons/definitions/:id", use: replace)
        group.post("coupons/definitions/:id/enable", use: enable)
        group.post("coupons/definitions/:id/disable", use: disable)
    }

    private func definitions<Result: Sendable>(_ body: (DefinitionStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(DefinitionStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<CouponDefinitionView> {
        let principal = try context.require(.readCoupons)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let kind = query.code("kind"), enabled = query.bool("enabled"), text = query.string("q", maxLength: 60)
        return try await definitions { store, connection in
            var check = FieldValidator()
            let kinds = try await environment.directory.dictionary(
                DataDictionaries.couponKind, store: principal.storeID, on: connection, logger: environment.logger)
            let kindCode = check.filterCode("kind", kind, in: kinds)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await store.list(
                for: principal, kind: kindCode, enabled: enabled, text: text, now: environment.configuration.clock.now(), page: page,
                directory: environment.directory.schema)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionView {
        let principal = try context.require(.readCoupons)
        let id = try context.parameters.uuid("id")
        let now = environment.configuration.clock.now()
        guard let definition = try await definitions({ store, _ in try await store.definition(id, visibleTo: principal, now: now) }) else {
            throw ProblemDetails.notFound("coupon definition \(id)")
        }
        return definition
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<CouponDefinitionView> {
        let principal = try context.require(.defineCoupons)
        let draft = try await request.decodeJSON(as: CouponDefinitionDraft.self, context: context)
        let id = UUID()
        let now = environment.configuration.clock.now()
        let definition = try await definitions { store, connection in
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "M", store: principal.storeID, at: now)
            try await store.create(id: id, number: number, store: principal.storeID, group: principal.groupID, fields: fields, by: principal.userID)
            return try await store.definition(id, store: principal.storeID, now: now)!
        }
        return EditedResponse(status: .created, response: definition)
    }

    /// Replaces the definition with the body. Once coupons have been issued from it, only the
    /// name, the description and the quantity may change (not below what was issued): the
    /// issued coupons carry the face value, validity and where they are valid.
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionView {
        let principal = try context.require(.defineCoupons)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: CouponDefinitionDraft.self, context: context)
        let now = environment.configuration.clock.now()
        return try await definitions { store, connection in
            guard let current = try await store.definition(id, store: principal.storeID, now: now, forUpdate: true) else {
                throw ProblemDetails.notFound("coupon definition \(id)")
            }
            let fields = try await checked(draft, store: principal.storeID, on: connection, current: current.fields)
            if current.counts.issued > 0 {
                let changed = fields.changesBeyondNameDescriptionAndQuantity(from: current.fields)
                if !changed.isEmpty {
                    throw ProblemDetails.validation(changed.map {
                        .init(field: $0, message: "cannot change: \(current.counts.issued) coupons have been issued from \(current.number); only name, description and quantity may change")
                    })
                }
                if fields.quantity < current.counts.issued {
                    throw ProblemDetails.validation([.init(
                        field: "quantity", message: "must be at least \(current.counts.issued), the coupons already issued")])
                }
            }
            try await store.replace(id, fields: fields)
            return try await store.definition(id, store: principal.storeID, now: now)!
        }
    }

    @Sendable func enable(_ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionView {
        try await setEnabled(true, request, context: context)
    }

    @Sendable func disable(_ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionView {
        try await setEnabled(false, request, context: context)
    }

    private func setEnabled(_ enabled: Bool, _ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionView {
        let principal = try context.require(.defineCoupons)
        let id = try context.parameters.uuid("id")
        let now = environment.configuration.clock.now()
        return try await definitions { store, _ in
            guard try await store.definition(id, store: principal.storeID, now: now, forUpdate: true) != nil else {
                throw ProblemDetails.notFound("coupon definition \(id)")
            }
            try await store.setEnabled(id, enabled)
            return try await store.definition(id, store: principal.storeID, now: now)!
        }
    }

    /// The draft checked; a last day before today is refused unless the definition had it already.
    private func checked(
        _ draft: CouponDefinitionDraft, store: UUID, on connection: PostgresConnection, current: CouponDefinitionFields? = nil
    ) async throws -> CouponDefinitionFields {
        let words = try await environment.directory.dictionaries(
            [DataDictionaries.couponKind, DataDictionaries.couponValidity, DataDictionaries.couponUsableIn],
            store: store, on: connection, logger: environment.logger)
        let fields = try CouponDefinitionFields(checking: draft, dictionaries: words)
        let today = try await environment.storeDay(store, on: connection).today
        if let until = fields.validUntil, until < today, until != current?.validUntil {
            throw ProblemDetails.validation([.init(field: "validUntil", message: "must not be before today (\(today)): such coupons would be expired when issued")])
        }
        return fields
    }
}
