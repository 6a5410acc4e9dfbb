import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/redemptions` (核销, C4): an SA or cashier redeems a coupon by its code on a
/// repair order or sales order — exactly once, however many try at the same moment — and
/// undoes it when the order is cancelled. Takes `coupons.redeem`.
struct RedemptionRoutes: Sendable {
    let environment: ServiceEnvironment
    /// Redemptions arriving together are written together (group commit).
    let batcher: RedemptionBatcher

    init(environment: ServiceEnvironment) {
        self.environment = environment
        batcher = RedemptionBatcher(environment: environment)
    }

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("coupons/redemptions", use: redeem)
        group.post("coupons/redemptions/undo", use: undo)
    }

    struct RedeemRequest: Decodable, Sendable {
        /// As typed: spaces and dashes are ignored.
        var code: String
        /// `couponOrderKind`: repair_order, sales_order.
        var orderKind: String?
        var orderNumber: String
        /// The order's amount in yuan, for the minimum spend.
        var orderAmount: Decimal
    }

    /// The coupon and the order it was used on: the order number must be the redemption's, so
    /// that cancelling one order cannot free a coupon used on another.
    struct UndoRequest: Decodable, Sendable {
        var code: String
        var orderNumber: String
    }

    @Sendable func redeem(_ request: Request, context: CRMRequestContext) async throws -> CouponView {
        let principal = try context.require(.redeemCoupons)
        let body = try await request.decodeJSON(as: RedeemRequest.self, context: context)
        let code = CouponCode(typed: body.code)
        var check = FieldValidator()
        if code == nil { check.fail("code", LedgerRoutes.invalidCode) }
        let orderNumber = check.text("orderNumber", body.orderNumber, maxLength: 40)
        check.money("orderAmount", body.orderAmount)
        let orderKind = body.orderKind?.trimmed ?? ""
        // The order kind is checked against the store's dictionary in the batch (as read lately,
        // `RecentDictionaries`); a request that fails already checks it here, so that its problem
        // names every bad field.
        if !check.errors.isEmpty || orderKind.isEmpty {
            let orderKinds = try await environment.recentDictionaries([DataDictionaries.couponOrderKind], stores: [principal.storeID])
            _ = check.requiredCode("orderKind", body.orderKind, in: orderKinds[principal.storeID][DataDictionaries.couponOrderKind])
            try check.throwIfInvalid()
        }

        let now = environment.configuration.clock.now()
        let redemption = Redemption(
            store: principal.storeID, group: principal.groupID, by: principal.userID, orderKind: orderKind,
            orderNumber: orderNumber, orderAmount: body.orderAmount, at: now)
        // Written with the redemptions arriving at the same moment, and announced in their
        // transaction; an order kind the store does not know is refused there (422).
        if let coupon = try await batcher.redeem(code: code!.digits, redemption) { return coupon }
        return try await environment.database.withConnection { connection in
            let ledger = LedgerStore(connection: connection, logger: environment.logger)
            throw try await refusal(code!, amount: body.orderAmount, principal: principal, now: now, ledger: ledger, connection: connection)
        }
    }

    /// Why a redemption matched nothing, in the store's words.
    private func refusal(
        _ code: CouponCode, amount: Decimal, principal: Principal, now: Date, ledger: LedgerStore, connection: PostgresConnection
    ) async throws -> ProblemDetails {
        // A store-only coupon of another store is not this store's to see: 404, as for no coupon.
        guard let coupon = try await ledger.coupon(code: code.digits, visibleTo: principal.widened(to: .store), now: now) else {
            return .notFound("coupon \(code)")
        }
        let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
        if coupon.usableIn == CouponUsableIn.store.rawValue, coupon.storeId != principal.storeID {
            let issuer = try await environment.directory.store(coupon.storeId, on: connection, logger: environment.logger)?.name
            return .conflict("coupon \(code) is valid only in the store that issued it (\(issuer ?? "another store")), not in this one")
        }
        switch coupon.state {
        case "used":
            var place: String?
            if let store = coupon.usedStoreId { place = try await environment.directory.store(store, on: connection, logger: environment.logger)?.name }
            return .conflict("coupon \(code) was already used (已使用) at \(place ?? "another store") on \(LocalDateTime(coupon.usedAt!, in: timeZone).text), order \(coupon.orderNumber ?? "")")
        case "revoked":
            return .conflict("coupon \(code) was revoked (已删除) and cannot be used")
        case "revocation_pending":
            return .conflict("coupon \(code) is waiting for HQ to approve its revocation (删除待审核) and cannot be used meanwhile")
        case "expired":
            return .conflict("coupon \(code) expired (已过期): its last day was \(coupon.lastDay)")
        default:
            if coupon.effectiveFrom > now {
                return .conflict("coupon \(code) is valid from \(LocalDateTime(coupon.effectiveFrom, in: timeZone).text), not yet")
            }
            if let minimum = coupon.minimumSpend, amount < minimum {
                return .validation([.init(
                    field: "orderAmount", message: "must be at least \(Money.printed(minimum)) yuan, the minimum spend of \(coupon.name)")])
            }
            return .conflict("coupon \(code) cannot be used right now; try again")
        }
    }

    /// Undoes a redemption made in this store: the coupon is unused again, or expired if its
    /// last day has passed.
    @Sendable func undo(_ request: Request, context: CRMRequestContext) async throws -> CouponView {
        let principal = try context.require(.redeemCoupons)
        let body = try await request.decodeJSON(as: UndoRequest.self, context: context)
        guard let code = CouponCode(typed: body.code) else {
            throw ProblemDetails.validation([.init(field: "code", message: LedgerRoutes.invalidCode)])
        }
        return try await environment.database.withTransaction { connection in
            let now = environment.configuration.clock.now()
            let ledger = LedgerStore(connection: connection, logger: environment.logger)
            guard let before = try await ledger.coupon(code: code.digits, visibleTo: principal, now: now, forUpdate: true) else {
                throw ProblemDetails.notFound("coupon \(code)")
            }
            guard before.state == "used", before.usedStoreId == principal.storeID else {
                throw ProblemDetails.conflict("coupon \(code) was not used in this store, so there is no redemption here to undo")
            }
            guard before.orderNumber == body.orderNumber.trimmed else {
                throw ProblemDetails.validation([.init(
                    field: "orderNumber", message: "coupon \(code) was used on order \(before.orderNumber ?? ""), not \(body.orderNumber.trimmed)")])
            }
            guard try await RedemptionStore(connection: connection, logger: environment.logger).undo(code: code.digits, store: principal.storeID) != nil else {
                throw ProblemDetails.conflict("coupon \(code) was not used in this store, so there is no redemption here to undo")
            }
            let coupon = try await ledger.coupon(code: code.digits, visibleTo: principal, now: now)!
            let redemption = Redemption(
                store: principal.storeID, group: principal.groupID, by: before.usedBy ?? principal.userID,
                orderKind: before.orderKind ?? "", orderNumber: before.orderNumber ?? "", orderAmount: before.orderAmount ?? 0,
                at: before.usedAt ?? now)
            try await announce(coupon, redemption: redemption, undone: (principal.userID, now), on: connection)
            return coupon
        }
    }

    /// `undone`: who undid the redemption and when, for an undo.
    private func announce(_ coupon: CouponView, redemption: Redemption, undone: (by: UUID, at: Date)?, on connection: PostgresConnection) async throws {
        try await environment.outbox.append(Self.redeemed(coupon, redemption: redemption, undone: undone), on: connection, logger: environment.logger)
    }

    /// `coupons.coupon.redeemed.v1` for a redemption, or for its undo (`undone`: by whom, when).
    static func redeemed(_ coupon: CouponView, redemption: Redemption, undone: (by: UUID, at: Date)?) -> CloudEvent<CouponRedeemed> {
        CloudEvent(
            source: "/crm/coupons", subject: coupon.id.uuidString.lowercased(),
            data: CouponRedeemed(
                couponId: coupon.id, code: coupon.code, definitionId: coupon.definitionId, mobile: coupon.mobile,
                storeId: redemption.store, redeemedBy: redemption.by, orderKind: redemption.orderKind,
                orderNumber: redemption.orderNumber, orderAmount: redemption.orderAmount, faceValue: coupon.faceValue,
                redeemedAt: redemption.at, undone: undone != nil, undoneBy: undone?.by, undoneAt: undone?.at),
            storeid: redemption.store.uuidString.lowercased())
    }
}
