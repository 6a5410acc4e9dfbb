import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// Batch handlers: one call for the fresh events of a type in a consumer batch, with the same
/// exactly-once guarantee as single handlers.
final class BatchHandlerTests: XCTestCase {
    /// Handlers whose batch handler writes all of a call's rows with one statement, and records
    /// how many events each call got.
    static func batchEffects(into calls: CallSizes) -> (inout EventHandlers, String) -> Void {
        { handlers, name in
            handlers.onBatch("test.\(name).batched.v1", as: TestPayload.self) { events, context in
                calls.record(events.count)
                if events.contains(where: { $0.data.sequence == -1 }) { throw TestFailure("a poisoned event") }
                var binds = PostgresBindings()
                binds.append(events.map(\.id))
                try await context.connection.query(PostgresQuery(
                    unsafeSQL: "INSERT INTO \(context.outbox.schema.qualify("effect")) (event_id) SELECT unnest($1::text[])",
                    binds: binds), logger: context.logger)
            }
        }
    }

    func testBatchedEventsHaveExactlyOneEffectEachAndAreHandledManyAtATime() async throws {
        let calls = CallSizes()
        try await TestPipeline.with(extraHandlers: Self.batchEffects(into: calls)) { pipeline in
            try await pipeline.startConsumer()
            let batchedType = pipeline.eventType.replacingOccurrences(of: ".happened.v1", with: ".batched.v1")
            let events = (0..<3_000).map { CloudEvent.test($0, type: batchedType) }
            for chunk in stride(from: 0, to: events.count, by: 500) {
                _ = try await pipeline.publishDirectly(try events[chunk..<chunk + 500].map(pipeline.structuredMessage))
            }
            // A redelivered copy is skipped by the inbox as for single handlers.
            _ = try await pipeline.publishDirectly([try pipeline.structuredMessage(events[0])])
            let counts = try await pipeline.waitForEffects(3_000)
            try await Task.sleep(for: .milliseconds(500))
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(counts.total, 3_000)
            XCTAssertEqual(settled.total, 3_000)
            XCTAssertEqual(settled.distinct, 3_000)
            XCTAssertGreaterThan(calls.largest, 1, "events that arrive together are handled in one call")
            XCTAssertEqual(calls.total, 3_000, "each event is handed to the batch handler once")
        }
    }

    func testAFailingEventInABatchDoesNotHoldBackTheOthers() async throws {
        let calls = CallSizes()
        var settings = EventConsumer.Settings()
        settings.retryPause = .milliseconds(10)
        try await TestPipeline.with(deliveryLimit: 2, consumerSettings: settings, extraHandlers: Self.batchEffects(into: calls)) { pipeline in
            try await pipeline.startConsumer()
            let batchedType = pipeline.eventType.replacingOccurrences(of: ".happened.v1", with: ".batched.v1")
            var events = (0..<100).map { CloudEvent.test($0, type: batchedType) }
            events[50] = CloudEvent.test(-1, type: batchedType)
            _ = try await pipeline.publishDirectly(try events.map(pipeline.structuredMessage))
            let counts = try await pipeline.waitForEffects(99, timeout: .seconds(20))
            XCTAssertEqual(counts.total, 99, "all but the failing event are handled")
            let queue = pipeline.queue
            let deadLettered = try await eventually(timeout: .seconds(20)) { try await BrokerInspector.messageCount(queue.deadLetterQueue) == 1 }
            XCTAssertTrue(deadLettered)
        }
    }
}

final class CallSizes: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [Int] = []
    func record(_ size: Int) { lock.lock(); sizes.append(size); lock.unlock() }
    var largest: Int { lock.lock(); defer { lock.unlock() }; return sizes.max() ?? 0 }
    /// Events handed over, over all calls.
    var total: Int { lock.lock(); defer { lock.unlock() }; return sizes.reduce(0, +) }
}
