import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// `coupons.prize_issue`: the answer given to each coupon prize asked for (M4), by its key.
struct PrizeIssueStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The answer already given for `key`, if any.
    func answer(for key: UUID) async throws -> CouponPrizeIssueAnswer? {
        let rows = try await connection.query("""
            SELECT outcome, coupon_id, code, to_char(last_day, 'YYYY-MM-DD') FROM coupons.prize_issue WHERE key = \(key)
            """, logger: logger)
        for try await (outcome, coupon, code, lastDay) in rows.decode((String, UUID?, String?, String?).self) {
            return CouponPrizeIssueAnswer(outcome: outcome, couponId: coupon, code: code, lastDay: lastDay)
        }
        return nil
    }

    /// Records the answer for the request's key.
    func record(_ request: CouponPrizeIssueRequest, answer: CouponPrizeIssueAnswer, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO coupons.prize_issue (key, store_id, definition_id, mobile, source, outcome, coupon_id, code, last_day, asked_at)
            VALUES (\(request.key), \(request.storeId), \(request.definitionId), \(request.mobile), \(request.source), \(answer.outcome),
                    \(answer.couponId), \(answer.code), \(answer.lastDay)::date, \(now))
            """, logger: logger)
    }

    /// The id of the coupon with `code`.
    func couponID(code: String) async throws -> UUID? {
        try await connection.query("SELECT id FROM coupons.coupon WHERE code = \(code)", logger: logger).decode(UUID.self).all().first
    }
}
