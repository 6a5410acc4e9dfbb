import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// Events about one subject are handled in the order they arrived although 4 workers handle
/// batches at once, and the deliveries are acknowledged with coalesced `multiple` acks.
final class OrderingTests: XCTestCase {
    func testEventsAboutOneSubjectAreHandledInArrivalOrderAcrossTheWorkers() async throws {
        let subjects = 40, perSubject = 50
        var settings = EventConsumer.Settings()
        settings.batchSize = 25  // many small transactions on 4 workers, so they interleave
        settings.concurrency = 4
        let orderedType = "test.ordered.\(UUID().uuidString.prefix(8).lowercased()).v1"
        try await TestPipeline.with(consumerSettings: settings, extraHandlers: { handlers, _ in
            handlers.on(orderedType, as: TestPayload.self) { event, context in
                // `position` comes from a sequence, which counts outside transactions: the
                // order in which handlers really ran, whichever worker ran them.
                try await context.connection.query(PostgresQuery(
                    unsafeSQL: "INSERT INTO \(context.outbox.schema.qualify("arrival")) (subject, sequence) VALUES ($1, $2)",
                    binds: { var binds = PostgresBindings(); binds.append(event.subject ?? ""); binds.append(event.data.sequence); return binds }()),
                    logger: context.logger)
            }
        }) { pipeline in
            let arrival = pipeline.database.schema.qualify("arrival")
            _ = try await pipeline.testDatabase.client.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE \(arrival) (position bigserial PRIMARY KEY, subject text NOT NULL, sequence int NOT NULL)
                """))
            try await pipeline.startConsumer()

            // Round robin over the subjects, so each batch holds many subjects: 1st event of
            // every subject, then the 2nd of every subject, and so on. One publisher, one
            // channel: the queue holds them in this order.
            var messages: [OutgoingMessage] = []
            for sequence in 0..<perSubject {
                for subject in 0..<subjects {
                    var event = CloudEvent.test(sequence, type: orderedType)
                    event.subject = "thing-\(subject)"
                    messages.append(try pipeline.structuredMessage(event))
                }
            }
            for start in stride(from: 0, to: messages.count, by: 500) {
                let outcomes = try await pipeline.publishDirectly(Array(messages[start..<min(messages.count, start + 500)]))
                XCTAssertTrue(outcomes.allSatisfy { $0 == .confirmed })
            }

            let total = subjects * perSubject
            let arrived = try await eventually(timeout: .seconds(60)) {
                try await pipeline.testDatabase.scalar("SELECT count(*)::int8 FROM \(arrival)") >= total
            }
            XCTAssertTrue(arrived)
            let handled = try await pipeline.testDatabase.scalar("SELECT count(DISTINCT (subject, sequence))::int8 FROM \(arrival)")
            XCTAssertEqual(handled, total)
            let outOfOrder = try await pipeline.testDatabase.scalar("""
                SELECT count(*)::int8 FROM (
                    SELECT sequence < lag(sequence) OVER (PARTITION BY subject ORDER BY position) AS earlier FROM \(arrival)
                ) handled WHERE earlier
                """)
            XCTAssertEqual(outOfOrder, 0, "an event about a subject was handled before one that arrived ahead of it")

            // Every delivery acknowledged — with far fewer ack frames than deliveries.
            let consumer = try XCTUnwrap(pipeline.consumer)
            let acknowledged = try await eventually(timeout: .seconds(10)) { consumer.progress.deliveriesInHand == 0 }
            XCTAssertTrue(acknowledged)
            let frames = consumer.acknowledgementFrames
            await pipeline.crashConsumer()  // closes the channel: anything unacknowledged would return to the queue
            let left = try await BrokerInspector.messageCount(pipeline.queue.name)
            XCTAssertEqual(left, 0, "every delivery was acknowledged")
            XCTAssertGreaterThan(frames, 0)
            XCTAssertLessThanOrEqual(frames * 2, total, "acks are coalesced into multiple acks: \(frames) frames for \(total) deliveries")
        }
    }
}
