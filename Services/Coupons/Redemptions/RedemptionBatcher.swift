import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Group commit of redemptions (核销, C4): the redemptions that arrive while others are being
/// written go to PostgreSQL together — one transaction, one UPDATE for all their codes, one
/// INSERT of their events, one commit — instead of a transaction each. Under a till rush that is
/// several times fewer round trips and commits per redemption; alone, a redemption is a batch of
/// one and waits for nothing. The batch also checks its order kinds against the stores'
/// dictionaries (as read lately, `RecentDictionaries`), and announces its redemptions as one
/// message.
///
/// Exactly once is kept by the same rule as before, in the database: each code's row is updated
/// only `WHERE state = 'unused' AND …`, so of two batches holding one code, the second finds it
/// used. Within a batch a code appears once — a repeat waits for the next batch — and the codes
/// are sorted, so two batches lock their rows in the same order and do not deadlock each other.
/// A batch that fails (the database is away) fails each of its redemptions; none is half-written.
actor RedemptionBatcher {
    private struct Pending {
        var code: String
        var redemption: Redemption
        var continuation: CheckedContinuation<CouponView?, Error>
    }

    private let environment: ServiceEnvironment
    private var waiting: [Pending] = []
    private var running = 0
    /// Batches written at once. One: a batch then takes every redemption that arrived while the
    /// one before it was written, so batches are as large as the rush makes them (15–25 at 32
    /// clients, against 5 with four side by side), and PostgreSQL and this service spend about
    /// half as much per redemption — more redemptions a second, and shorter waits (`./crm bench`
    /// (h): 1,951/s against 1,185/s, p50 16 ms against 25 ms). Starting the next batch while one
    /// commits made the batches smaller and cost more than the overlap gained.
    private let concurrentBatches: Int
    private let largestBatch = 128

    init(environment: ServiceEnvironment, concurrentBatches: Int = 1) {
        self.environment = environment
        self.concurrentBatches = concurrentBatches
    }

    /// Redeems `code` with the rule of `RedemptionStore.redeem` and announces it
    /// (`coupons.coupon.redeemed.v1`) in the same transaction. The coupon as used, or nil when
    /// the rule refused it (the caller explains why).
    /// - Throws: what the batch's transaction threw.
    func redeem(code: String, _ redemption: Redemption) async throws -> CouponView? {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Pending(code: code, redemption: redemption, continuation: continuation))
            startBatches()
        }
    }

    private func startBatches() {
        while running < concurrentBatches, !waiting.isEmpty {
            var batch: [Pending] = []
            var codes = Set<String>()
            var later: [Pending] = []
            for pending in waiting {
                if batch.count < largestBatch, codes.insert(pending.code).inserted {
                    batch.append(pending)
                } else {
                    later.append(pending)
                }
            }
            waiting = later
            running += 1
            // High priority: the batch is every waiting redemption's critical path; its
            // continuations should not queue behind the HTTP work of the requests it serves.
            Task(priority: .high) { [batch] in await self.write(batch) }
        }
    }

    private func write(_ batch: [Pending]) async {
        do {
            let outcomes = try await withDeadline(Self.batchDeadline, "a redemption batch") {
                try await self.redeemAndAnnounce(batch)
            }
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(with: outcome!) }
        } catch is DeadlineExceeded {
            // Its transaction may still commit: a retry then gets "already used … on order …".
            let problem = ProblemDetails.unavailable("the redemption took too long to be written; try again")
            for pending in batch { pending.continuation.resume(throwing: problem) }
        } catch {
            for pending in batch { pending.continuation.resume(throwing: error) }
        }
        running -= 1
        startBatches()
    }

    /// The longest a batch may take before its redemptions are answered 503 and the next batch
    /// starts: with one batch at a time, a batch stuck on a connection that vanished mid-answer
    /// must not hold every redemption of the process.
    static let batchDeadline: Duration = .seconds(15)

    /// One batch's transaction: the order kinds checked, the UPDATE, the events. The outcome of
    /// each redemption at its index.
    private nonisolated func redeemAndAnnounce(_ batch: [Pending]) async throws -> [Result<CouponView?, Error>?] {
        try await environment.database.withTransaction { connection in
            var outcomes = try await checkOrderKinds(of: batch, on: connection)
            let accepted = batch.indices.filter { outcomes[$0] == nil }
            let coupons = try await RedemptionStore(connection: connection, logger: environment.logger)
                .redeem(accepted.map { (batch[$0].code, batch[$0].redemption) }.sorted { $0.0 < $1.0 })
            let byCode = Dictionary(uniqueKeysWithValues: coupons.map { ($0.code, $0) })
            var events: [CloudEvent<CouponRedeemed>] = []
            for index in accepted {
                let coupon = byCode[batch[index].code]
                outcomes[index] = .success(coupon)
                if let coupon { events.append(RedemptionRoutes.redeemed(coupon, redemption: batch[index].redemption, undone: nil)) }
            }
            // One message for the batch's redemptions (a CloudEvents batch, asyncapi.yaml).
            try await environment.outbox.appendAsBatch(events, on: connection, logger: environment.logger)
            return outcomes
        }
    }

    /// The 422 of each redemption whose order kind its store's `couponOrderKind` set does not
    /// allow, at its index; nil for the others. The sets as read at most two seconds ago
    /// (`RecentDictionaries`): a read per batch was a fifth of its round trips.
    private nonisolated func checkOrderKinds(of batch: [Pending], on connection: PostgresConnection) async throws -> [Result<CouponView?, Error>?] {
        let orderKinds = try await environment.directory.recentDictionaries(
            [DataDictionaries.couponOrderKind], stores: batch.map(\.redemption.store), on: connection, logger: environment.logger)
        return batch.map { pending in
            var check = FieldValidator()
            _ = check.requiredCode(
                "orderKind", pending.redemption.orderKind, in: orderKinds[pending.redemption.store][DataDictionaries.couponOrderKind])
            return check.errors.isEmpty ? nil : .failure(ProblemDetails.validation(check.errors))
        }
    }
}
