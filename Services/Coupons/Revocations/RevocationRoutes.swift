import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/revocations` (删除, C5; seed §6.4, §8.1): staff find a customer's coupon by
/// mobile and coupon id (the ledger's filters) and revoke it with the customer's explanation.
/// With the group's approval switch (优惠券审核开关) on, the revocation waits for HQ and the coupon
/// cannot be redeemed meanwhile; HQ approves (revoked) or rejects (unused again).
///
/// A revoked coupon does not return to its definition's available count: the quantity is the
/// most that may ever be issued, and the revoked coupon was issued — its code exists, was sent to
/// the customer and stays in the ledger. Otherwise issue-and-revoke could pass the quantity.
/// Requesting takes `coupons.revoke`; deciding `coupons.revocation.approve`.
struct RevocationRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/revocations", use: list)
        group.post("coupons/revocations", use: request)
        group.get("coupons/revocations/:id", use: get)
        group.post("coupons/revocations/:id/approve", use: approve)
        group.post("coupons/revocations/:id/reject", use: reject)
    }

    struct RevocationRequest: Decodable, Sendable {
        var couponId: UUID
        /// The customer's mobile, as staff found the coupon by it: it must be the coupon's.
        var mobile: String
        /// 客户说明.
        var explanation: String
    }

    struct Decision: Decodable, Sendable {
        var note: String?
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<RevocationView> {
        let principal = try context.require(.readCoupons)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let state = query.code("state"), mobile = query.mobile("mobile")
        return try await environment.database.withTransaction { connection in
            let states = try await environment.directory.dictionary(
                DataDictionaries.couponRevocationState, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let stateCode = check.filterCode("state", state, in: states)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await RevocationStore(connection: connection, logger: environment.logger)
                .list(for: principal, state: stateCode, mobile: mobile, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> RevocationView {
        let principal = try context.require(.readCoupons)
        let id = try context.parameters.uuid("id")
        let revocation = try await environment.database.withTransaction { connection in
            try await RevocationStore(connection: connection, logger: environment.logger).revocation(id, visibleTo: principal)
        }
        guard let revocation else { throw ProblemDetails.notFound("revocation \(id)") }
        return revocation
    }

    /// Revokes an unused coupon the store issued — at once, or pending HQ while the group's
    /// switch is on.
    @Sendable func request(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<RevocationView> {
        let principal = try context.require(.revokeCoupons)
        let body = try await request.decodeJSON(as: RevocationRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", body.mobile)
        let explanation = check.text("explanation", body.explanation, maxLength: 500)
        try check.throwIfInvalid()
        let id = UUID()
        let revocation = try await environment.database.withTransaction { connection in
            let now = environment.configuration.clock.now()
            let ledger = LedgerStore(connection: connection, logger: environment.logger)
            guard let coupon = try await ledger.coupon(id: body.couponId, issuedBy: principal.storeID, now: now, forUpdate: true) else {
                throw ProblemDetails.notFound("coupon \(body.couponId) issued by this store")
            }
            guard coupon.mobile == mobile else {
                throw ProblemDetails.validation([.init(field: "mobile", message: "is not the mobile coupon \(coupon.codeText) was issued to")])
            }
            guard coupon.state == "unused" else {
                let states = try await environment.directory.dictionary(DataDictionaries.couponState, store: principal.storeID, on: connection, logger: environment.logger)
                throw ProblemDetails.conflict("coupon \(coupon.codeText) is \(states.described(coupon.state)); only an unused coupon (未使用) can be revoked")
            }
            let rules = try await CouponSettingsStore(connection: connection, logger: environment.logger).groupSettings(principal.groupID)
            let store = RevocationStore(connection: connection, logger: environment.logger)
            try await store.request(
                id: id, coupon: coupon.id, store: principal.storeID, group: principal.groupID, explanation: explanation, by: principal.userID,
                at: now, approved: !rules.revocationApproval)
            let revocation = try await store.revocation(id, visibleTo: principal.widened(to: .store))!
            if !rules.revocationApproval { try await announce(revocation, coupon: coupon, approvedBy: nil, at: now, on: connection) }
            return revocation
        }
        return EditedResponse(status: .created, response: revocation)
    }

    @Sendable func approve(_ request: Request, context: CRMRequestContext) async throws -> RevocationView {
        try await decide(approved: true, request, context: context)
    }

    @Sendable func reject(_ request: Request, context: CRMRequestContext) async throws -> RevocationView {
        try await decide(approved: false, request, context: context)
    }

    private func decide(approved: Bool, _ request: Request, context: CRMRequestContext) async throws -> RevocationView {
        let principal = try context.require(.approveCouponRevocations)
        guard principal.scope == .group else {
            throw ProblemDetails(status: .forbidden, detail: "revocations are decided by HQ (总部审核): it needs the group scope")
        }
        let id = try context.parameters.uuid("id")
        // Approving needs no body; rejecting needs the reason.
        let body = approved ? Decision(note: nil) : try await request.decodeJSON(as: Decision.self, context: context)
        var check = FieldValidator()
        let note = check.optionalText("note", body.note, maxLength: 500)
        if !approved, note == nil { check.fail("note", "is required: tell the store why the revocation is rejected") }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let now = environment.configuration.clock.now()
            let store = RevocationStore(connection: connection, logger: environment.logger)
            guard let revocation = try await store.revocation(id, visibleTo: principal, forUpdate: true) else {
                throw ProblemDetails.notFound("revocation \(id)")
            }
            guard revocation.state == "pending" else {
                let states = try await environment.directory.dictionary(DataDictionaries.couponRevocationState, store: principal.storeID, on: connection, logger: environment.logger)
                throw ProblemDetails.conflict("this revocation is \(states.described(revocation.state)) already; only a pending one (待审核) can be decided")
            }
            guard revocation.requestedBy != principal.userID else {
                throw ProblemDetails(status: .forbidden, detail: "you asked for this revocation; someone else at HQ must decide it")
            }
            try await store.decide(id, approved: approved, by: principal.userID, note: note, at: now)
            let decided = try await store.revocation(id, visibleTo: principal)!
            if approved {
                let coupon = try await LedgerStore(connection: connection, logger: environment.logger)
                    .coupon(id: revocation.couponId, issuedBy: revocation.storeId, now: now)!
                try await announce(decided, coupon: coupon, approvedBy: principal.userID, at: now, on: connection)
            }
            return decided
        }
    }

    private func announce(_ revocation: RevocationView, coupon: CouponView, approvedBy: UUID?, at now: Date, on connection: PostgresConnection) async throws {
        try await environment.outbox.append(CloudEvent(
            source: "/crm/coupons", subject: coupon.id.uuidString.lowercased(),
            data: CouponRevoked(
                couponId: coupon.id, code: coupon.code, definitionId: coupon.definitionId, storeId: coupon.storeId, mobile: coupon.mobile,
                explanation: revocation.explanation, requestedBy: revocation.requestedBy, approvedBy: approvedBy, revokedAt: now),
            storeid: coupon.storeId.uuidString.lowercased()
        ), on: connection, logger: environment.logger)
    }
}
