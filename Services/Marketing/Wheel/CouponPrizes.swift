import Contracts
import Foundation
import ServiceKit

/// Where the wheel's coupon prizes come from: Coupons, asked over its internal routes
/// (`/internal/v1/coupons/…`, ServiceKit `InternalServiceClient`) at the moment of the draw —
/// the one answer the wheel cannot wait for as an event, because a coupon Coupons cannot issue
/// (sold out, disabled, the customer's limit) turns the draw into "no prize" and keeps the
/// wheel's stock (M4).
///
/// `CRM_COUPONS_URL` (default `http://127.0.0.1:8085`) says where Coupons is; the installation's
/// `CRM_INTERNAL_TOKEN` opens its internal routes.
struct CouponPrizes: Sendable {
    let client: InternalServiceClient

    init(couponsURL: String, token: String?) {
        client = InternalServiceClient(baseURL: couponsURL, token: token ?? "", timeout: .seconds(5))
    }

    /// The store's coupon definition, or nil when the store has none with that id.
    /// - Throws: `InternalCallError` when Coupons does not answer.
    func definition(_ id: UUID, store: UUID) async throws -> CouponDefinitionSummary? {
        try await client.get(
            "/internal/v1/coupons/definitions/\(id.uuidString.lowercased())?store=\(store.uuidString.lowercased())",
            answer: CouponDefinitionSummary.self)
    }

    /// One coupon for the draw `key` (idempotent: the same key answers the same coupon).
    /// - Throws: `InternalCallError` when Coupons does not answer; the draw stays `issuing`
    ///   and the settling pass asks again.
    func issue(_ request: CouponPrizeIssueRequest) async throws -> CouponPrizeIssueAnswer {
        try await client.post("/internal/v1/coupons/prize-issues", request, answer: CouponPrizeIssueAnswer.self)
    }
}
