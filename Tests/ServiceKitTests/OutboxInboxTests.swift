import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// The guarantees of the messaging backbone, against the real broker and database: every event
/// written through an outbox has exactly one effect, however it is delivered.
final class OutboxInboxTests: XCTestCase {
    func testFiveThousandEventsThroughTheOutboxHaveExactlyFiveThousandEffects() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            try pipeline.startRelay()
            let ids = try await pipeline.writeThroughOutbox(5_000)
            XCTAssertEqual(Set(ids).count, 5_000)

            let effects = try await pipeline.waitForEffects(5_000)
            try await Task.sleep(for: .milliseconds(500))  // anything extra would show up now
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(effects.total, 5_000)
            XCTAssertEqual(settled.total, 5_000, "no event may have a second effect")
            XCTAssertEqual(settled.distinct, 5_000)
            let unpublished = try await pipeline.unpublishedCount()
            XCTAssertEqual(unpublished, 0, "every outbox row is marked sent")
        }
    }

    func testTheSameEventDeliveredTwiceHasOneEffect() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            // One subject: the consumer handles events about the same thing in order.
            var twice = CloudEvent.test(1, type: pipeline.eventType)
            twice.subject = "thing-1"
            var afterwards = CloudEvent.test(2, type: pipeline.eventType)
            afterwards.subject = "thing-1"
            // Two separate publishes, so the broker really delivers the event twice.
            _ = try await pipeline.publishDirectly([try pipeline.structuredMessage(twice)])
            _ = try await pipeline.publishDirectly([try pipeline.structuredMessage(twice)])
            let outcomes = try await pipeline.publishDirectly([try pipeline.structuredMessage(afterwards)])
            XCTAssertEqual(outcomes, [.confirmed])

            // Events with one subject are handled in order, so once the later event has its
            // effect, both copies of the first have been handled.
            let counts = try await pipeline.waitForEffects(2, timeout: .seconds(20))
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertEqual(counts.total, 2)
            let copies = try await pipeline.testDatabase.scalar(
                "SELECT count(*)::int8 FROM \(pipeline.database.schema.qualify("effect")) WHERE event_id = '\(twice.id)'")
            XCTAssertEqual(copies, 1)
            let inboxRows = try await pipeline.testDatabase.scalar("SELECT count(*)::int8 FROM \(pipeline.database.schema.qualify("inbox"))")
            XCTAssertEqual(inboxRows, 2)
        }
    }

    func testTwoRelaysOnOneOutboxGiveEachEventExactlyOneEffect() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            // Small batches so that both relays really take turns.
            try pipeline.startRelay(batchSize: 50)
            try pipeline.startRelay(batchSize: 50)
            var written: [String] = []
            for round in 0..<10 {
                written += try await pipeline.writeThroughOutbox(300, startingAt: round * 300, perTransaction: 30)
            }
            let effects = try await pipeline.waitForEffects(3_000)
            try await Task.sleep(for: .milliseconds(500))
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(effects.total, 3_000)
            XCTAssertEqual(settled.total, 3_000)
            XCTAssertEqual(settled.distinct, 3_000)
            let unpublished = try await pipeline.unpublishedCount()
            XCTAssertEqual(unpublished, 0)
        }
    }

    func testAConsumerCrashMidStreamLosesAndDoublesNothing() async throws {
        var settings = EventConsumer.Settings()
        settings.batchSize = 20  // many small commits, so the crash lands between some of them
        try await TestPipeline.with(consumerSettings: settings) { pipeline in
            try pipeline.startRelay()
            try await pipeline.startConsumer()
            _ = try await pipeline.writeThroughOutbox(3_000)
            _ = try await eventually(timeout: .seconds(30)) { try await pipeline.testDatabase.effectCounts().total >= 500 }
            await pipeline.crashConsumer()
            let atCrash = try await pipeline.testDatabase.effectCounts().total
            XCTAssertLessThan(atCrash, 3_000, "the crash must land mid-stream for this test to mean anything")
            try await pipeline.startConsumer()
            let effects = try await pipeline.waitForEffects(3_000)
            try await Task.sleep(for: .milliseconds(500))
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(effects.total, 3_000)
            XCTAssertEqual(settled.total, 3_000)
            XCTAssertEqual(settled.distinct, 3_000)
        }
    }

    /// The relay wakes on the outbox's `NOTIFY`: with the periodic sweep an hour away, a
    /// committed event still goes out.
    func testTheRelayWakesOnTheOutboxNotificationNotOnlyOnItsSweep() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            try pipeline.startRelay(sweepInterval: .seconds(3600))
            // Its first pass is done and it listens: the listening connection's last statement.
            let channel = pipeline.outbox.notificationChannel
            let listening = try await eventually(timeout: .seconds(20)) {
                try await pipeline.testDatabase.scalar(
                    "SELECT count(*)::int8 FROM pg_stat_activity WHERE query ILIKE 'LISTEN%\(channel)%'") > 0
            }
            XCTAssertTrue(listening, "the relay never listened on \(channel)")
            try await Task.sleep(for: .milliseconds(500))
            _ = try await pipeline.writeThroughOutbox(3)
            let effects = try await pipeline.waitForEffects(3, timeout: .seconds(30))
            XCTAssertEqual(effects.total, 3, "the notification did not wake the relay")
        }
    }
}
