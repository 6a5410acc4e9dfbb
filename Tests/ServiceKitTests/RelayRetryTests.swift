import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// An event the broker does not take — here: published `mandatory` while no queue is bound to
/// its type, so the broker returns it — stays in the outbox and is tried again with growing
/// pauses (1 s, 2 s, 4 s … up to `maximumRetryDelaySeconds`), until its consumer's queue exists.
final class RelayRetryTests: XCTestCase {
    func testAnUnroutableEventWaitsWithGrowingPausesForItsQueueAndIsThenDeliveredOnce() async throws {
        try await TestPipeline.with { pipeline in
            // The relay runs, but the consumer (which declares the queue) does not yet.
            try pipeline.startRelay()
            let ids = try await pipeline.writeThroughOutbox(1)
            let tries = try await Self.watchRetries(of: ids[0], in: pipeline, until: 3)

            // After the k-th refusal the row waits 2^(k-1) s; seen within a few tenths of it.
            for (attempts, secondsToWait) in tries where attempts >= 1 {
                let pause = pow(2.0, Double(attempts - 1))
                XCTAssertGreaterThan(secondsToWait, pause / 2, "attempt \(attempts): retried too soon (\(tries))")
                XCTAssertLessThanOrEqual(secondsToWait, pause + 0.5, "attempt \(attempts): \(tries)")
            }
            let row = try await Self.outboxRow(ids[0], in: pipeline)
            XCTAssertNil(row.publishedAt, "a returned event is not marked sent")
            XCTAssertFalse(row.lastError.isEmpty, "the broker's reason is kept")
            let effectsBefore = try await pipeline.testDatabase.effectCounts().total
            XCTAssertEqual(effectsBefore, 0)

            // The queue appears: the next try gets the event to it, once.
            try await pipeline.startConsumer()
            let effects = try await pipeline.waitForEffects(1, timeout: .seconds(30))
            XCTAssertEqual(effects.total, 1, "delivered once the queue exists")
            try await Task.sleep(for: .seconds(1))
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(settled.total, 1)
            let sent = try await Self.outboxRow(ids[0], in: pipeline)
            XCTAssertNotNil(sent.publishedAt)
        }
    }

    func testThePauseBetweenTriesStopsGrowingAtTheMaximum() async throws {
        try await TestPipeline.with { pipeline in
            try pipeline.startRelay(maximumRetryDelaySeconds: 2)
            let ids = try await pipeline.writeThroughOutbox(1)
            // Pauses 1, 2, then 2, 2 … instead of 4, 8.
            let tries = try await Self.watchRetries(of: ids[0], in: pipeline, until: 5)
            let later = tries.filter { $0.attempts >= 3 }
            XCTAssertFalse(later.isEmpty)
            for (attempts, secondsToWait) in later {
                XCTAssertLessThanOrEqual(secondsToWait, 2.5, "attempt \(attempts) waits at most the maximum: \(tries)")
                XCTAssertGreaterThan(secondsToWait, 1, "attempt \(attempts): \(tries)")
            }
        }
    }

    /// Polls the outbox row every 50 ms until it has been tried `count` times, and returns for
    /// each try seen how long the row had left to wait when it was first seen.
    private static func watchRetries(of id: String, in pipeline: TestPipeline, until count: Int) async throws -> [(attempts: Int, secondsToWait: Double)] {
        var seen: [(attempts: Int, secondsToWait: Double)] = []
        let giveUp = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < giveUp {
            let row = try await outboxRow(id, in: pipeline)
            XCTAssertNil(row.publishedAt, "no queue is bound, so nothing can have been delivered")
            if row.attempts > (seen.last?.attempts ?? 0) { seen.append((row.attempts, row.secondsToWait)) }
            if row.attempts >= count { return seen }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the relay did not try the event \(count) times within 60 s: \(seen)")
    }

    private static func outboxRow(_ id: String, in pipeline: TestPipeline) async throws -> (attempts: Int, secondsToWait: Double, lastError: String, publishedAt: Date?) {
        let rows = try await pipeline.testDatabase.client.query(PostgresQuery(unsafeSQL: """
            SELECT attempts, extract(epoch FROM available_at - clock_timestamp())::float8, coalesce(last_error, ''), published_at
            FROM \(pipeline.database.schema.qualify("outbox")) WHERE event_id = '\(id)'
            """))
        for try await row in rows.decode((Int, Double, String, Date?).self) { return row }
        throw TestFailure("no outbox row \(id)")
    }
}
