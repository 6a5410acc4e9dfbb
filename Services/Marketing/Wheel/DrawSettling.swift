import Contracts
import Foundation
import Logging
import ServiceKit

/// Settles a draw that landed on a coupon prize (`issuing`) with Coupons' answer, exactly once
/// however many ask: the draw's UPDATE requires it to be `issuing` still. Issued → won, with the
/// coupon's code and last day, announced as `marketing.prize.won.v1`. Anything else → no prize (谢谢参与) with Coupons' reason, and the
/// prize's stock taken by the draw is given back — "keeps the stock" (M4).
///
/// The draw asks Coupons right after it commits; when Coupons does not answer (or the process
/// stops in between), `DrawSettlingPass` asks again with the same key, so the customer gets the
/// coupon once or not at all.
enum DrawSettling {
    /// A draw to settle.
    struct Pending: Sendable {
        var draw: UUID
        var wheel: UUID
        var wheelNumber: String
        var wheelName: String
        var store: UUID
        var mobile: String
        var name: String?
        var prize: UUID
        var prizeName: String
        var couponDefinition: UUID
    }

    /// Asks Coupons and settles; the answer, or nil when Coupons did not answer (the draw stays
    /// `issuing` for the pass).
    static func settle(_ pending: Pending, prizes: CouponPrizes, environment: ServiceEnvironment) async throws -> CouponPrizeIssueAnswer? {
        let answer: CouponPrizeIssueAnswer
        do {
            answer = try await prizes.issue(CouponPrizeIssueRequest(
                key: pending.draw, definitionId: pending.couponDefinition, storeId: pending.store, mobile: pending.mobile,
                name: pending.name, source: "大转盘 \(pending.wheelNumber)"))
        } catch let error as InternalCallError {
            if case .refused(let status, _) = error, (400..<500).contains(status) {
                // Not a passing outage: a wrong CRM_INTERNAL_TOKEN, or a version mismatch. Ops must act.
                environment.logger.error("Coupons refused the call for a coupon prize; check CRM_INTERNAL_TOKEN and versions", metadata: [
                    "draw": "\(pending.draw)", "error": "\(error)",
                ])
            } else {
                environment.logger.warning("Coupons did not answer for a coupon prize; the settling pass asks again", metadata: [
                    "draw": "\(pending.draw)", "error": "\(error)",
                ])
            }
            try await environment.database.withConnection { connection in
                try await DrawStore(connection: connection, logger: environment.logger, timeZone: .gmt).countSettleAttempt(pending.draw)
            }
            return nil
        }
        try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(pending.store, on: connection)
            let draws = DrawStore(connection: connection, logger: environment.logger, timeZone: day.timeZone)
            if answer.outcome == CouponPrizeIssueAnswer.issued {
                // Announced once: only by the settling that moved the draw from `issuing`.
                guard try await draws.settleWon(pending.draw, couponCode: answer.code, lastDay: answer.lastDay, at: day.now) else { return }
                try await environment.outbox.append(CloudEvent(
                    source: "/crm/marketing", subject: pending.draw.uuidString.lowercased(),
                    data: MarketingPrizeWon(
                        drawId: pending.draw, wheelId: pending.wheel, wheelNumber: pending.wheelNumber, wheelName: pending.wheelName,
                        storeId: pending.store, mobile: pending.mobile, name: pending.name, prizeId: pending.prize,
                        prizeName: pending.prizeName, prizeKind: WheelPrizeKind.coupon.rawValue, couponCode: answer.code,
                        couponLastDay: answer.lastDay, wonAt: day.now),
                    storeid: pending.store.uuidString.lowercased()), on: connection, logger: environment.logger)
            } else if let prize = try await draws.settleNoPrize(pending.draw, note: answer.outcome, at: day.now) {
                try await WheelStore(connection: connection, logger: environment.logger).returnPrize(prize)
            }
        }
        return answer
    }
}
