import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// CloudEvents batches (`Outbox.appendAsBatch`, `application/cloudevents-batch+json`): one
/// message carrying many events, each handled once through the inbox, the message settled once
/// all of its events are.
final class BatchMessageTests: XCTestCase {
    /// A batch message of `events`, published as the relay publishes an outbox row that holds them.
    private func batchMessage(_ events: [CloudEvent<TestPayload>], type: String) throws -> OutgoingMessage {
        let encoded = try Outbox.encode(events)
        return OutgoingMessage(
            routingKey: type,
            properties: MessageProperties(contentType: CloudEventContentType.batch, messageID: UUID().uuidString, type: type),
            body: Data(("[" + encoded.envelopes.joined(separator: ",") + "]").utf8))
    }

    func testEveryEventOfABatchIsHandledOnceAlsoWhenTheMessageComesTwice() async throws {
        try await TestPipeline.with { pipeline in
            try pipeline.startRelay()
            try await pipeline.startConsumer()
            let batch = (0..<300).map { CloudEvent.test($0, type: pipeline.eventType) }
            let singles = (300..<305).map { CloudEvent.test($0, type: pipeline.eventType) }
            try await pipeline.database.withTransaction { connection in
                try await pipeline.outbox.appendAsBatch(batch, on: connection, logger: TestInfrastructure.logger)
                try await pipeline.outbox.append(singles, on: connection, logger: TestInfrastructure.logger)
            }
            let outbox = pipeline.database.schema.qualify("outbox")
            let rows = try await pipeline.testDatabase.scalar("SELECT count(*)::int8 FROM \(outbox)")
            XCTAssertEqual(rows, 6, "the 300 events are one outbox row, the 5 others one each")
            let events = try await pipeline.testDatabase.scalar(
                "SELECT count(DISTINCT event_id)::int8 FROM \(pipeline.database.schema.qualify("outbox_event"))")
            XCTAssertEqual(events, 305, "outbox_event shows every event")

            var counts = try await pipeline.waitForEffects(305, timeout: .seconds(30))
            XCTAssertEqual(counts.total, 305)
            XCTAssertEqual(counts.distinct, 305)

            // The same batch again, as a redelivery would bring it: nothing is done twice, and
            // the message is acknowledged.
            _ = try await pipeline.publishDirectly([try batchMessage(batch, type: pipeline.eventType)])
            let queue = pipeline.queue
            let inbox = pipeline.database.schema.qualify("inbox")
            let settled = try await eventually(timeout: .seconds(20)) {
                let queued = try await BrokerInspector.messageCount(queue.name)
                let handled = try await pipeline.testDatabase.scalar("SELECT count(*)::int8 FROM \(inbox)")
                return queued == 0 && handled == 305
            }
            XCTAssertTrue(settled)
            try await Task.sleep(for: .milliseconds(500))
            counts = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(counts.total, 305, "a batch that comes again changes nothing")
        }
    }

    /// 1,201 events go as batches of 500, 500 and 201; a relay whose byte budget holds one
    /// batch a pass sends them in three passes (three commit times) and every event arrives once.
    func testLargeBatchesAreSplitAndARelayPassReadsNoMoreThanItsByteBudget() async throws {
        try await TestPipeline.with { pipeline in
            try pipeline.startRelay(passBytes: 1)
            try await pipeline.startConsumer()
            let events = (0..<1_201).map { CloudEvent.test($0, type: pipeline.eventType) }
            try await pipeline.database.withTransaction { connection in
                try await pipeline.outbox.appendAsBatch(events, on: connection, logger: TestInfrastructure.logger)
            }
            let counts = try await pipeline.waitForEffects(1_201, timeout: .seconds(30))
            XCTAssertEqual(counts.total, 1_201)
            XCTAssertEqual(counts.distinct, 1_201)
            let outboxEvent = pipeline.database.schema.qualify("outbox_event")
            var sizes: [Int] = []
            for try await size in try await pipeline.testDatabase.client.query(PostgresQuery(unsafeSQL: """
                SELECT count(*)::int8 FROM \(outboxEvent) GROUP BY message_id ORDER BY min(seq)
                """)).decode(Int.self) { sizes.append(size) }
            XCTAssertEqual(sizes, [500, 500, 201])
            let passes = try await pipeline.testDatabase.scalar(
                "SELECT count(DISTINCT published_at)::int8 FROM \(pipeline.database.schema.qualify("outbox"))")
            XCTAssertEqual(passes, 3, "one row a pass: the budget holds only the first row of each")
        }
    }

    func testAFailingEventBringsItsBatchBackAndTheOthersAreNotDoneTwice() async throws {
        struct NotYet: Error {}
        let attempts = AttemptCounter()
        var settings = EventConsumer.Settings()
        settings.retryPause = .milliseconds(20)
        try await TestPipeline.with(consumerSettings: settings, extraHandlers: { handlers, name in
            handlers.on("test.\(name).flaky.v1", as: TestPayload.self) { event, context in
                if event.data.sequence == 7 {
                    attempts.increment()
                    if attempts.value <= 2 { throw NotYet() }
                }
                try await context.connection.query(PostgresQuery(
                    unsafeSQL: "INSERT INTO \(context.outbox.schema.qualify("effect")) (event_id) VALUES ($1)",
                    binds: { var binds = PostgresBindings(); binds.append(event.id); return binds }()), logger: context.logger)
            }
        }) { pipeline in
            try await pipeline.startConsumer()
            let flakyType = pipeline.eventType.replacingOccurrences(of: ".happened.v1", with: ".flaky.v1")
            let batch = (0..<20).map { CloudEvent.test($0, type: flakyType) }
            _ = try await pipeline.publishDirectly([try batchMessage(batch, type: flakyType)])

            let counts = try await pipeline.waitForEffects(20, timeout: .seconds(30))
            XCTAssertEqual(counts.total, 20, "every event once: the 19 that passed were skipped when the batch came back")
            XCTAssertEqual(counts.distinct, 20)
            XCTAssertEqual(attempts.value, 3, "the failing event: in the batch's transaction, alone, then again after the redelivery")
            let queue = pipeline.queue
            let empty = try await eventually(timeout: .seconds(10)) { try await BrokerInspector.messageCount(queue.name) == 0 }
            XCTAssertTrue(empty, "the batch is acknowledged once all its events are handled")
            let dead = try await BrokerInspector.messageCount(queue.deadLetterQueue)
            XCTAssertEqual(dead, 0)
        }
    }

    func testABatchWithAnUnreadableEventIsDeadLetteredWholeWithTheEventNamed() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            let good = try Outbox.encode([CloudEvent.test(1, type: pipeline.eventType), CloudEvent.test(3, type: pipeline.eventType)])
            let bad = #"{"specversion":"1.0","id":"bad-2","source":"tests","type":"\#(pipeline.eventType)","data":{"sequence":"two"}}"#
            let body = "[" + [good.envelopes[0], bad, good.envelopes[1]].joined(separator: ",") + "]"
            _ = try await pipeline.publishDirectly([OutgoingMessage(
                routingKey: pipeline.eventType,
                properties: MessageProperties(contentType: CloudEventContentType.batch, messageID: "batch-1", type: pipeline.eventType),
                body: Data(body.utf8))])
            let queue = pipeline.queue
            let arrived = try await eventually(timeout: .seconds(10)) { try await BrokerInspector.messageCount(queue.deadLetterQueue) == 1 }
            XCTAssertTrue(arrived)
            let dead = try await BrokerInspector.run { try $0.get(queue: queue.deadLetterQueue) }
            XCTAssertEqual(dead?.properties.messageID, "batch-1")
            guard case .string(let reason)? = dead?.properties.headers["x-crm-dead-reason"] else { return XCTFail("no reason") }
            XCTAssertTrue(reason.contains("event 1 of the batch") && reason.contains("sequence"), reason)
            let counts = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(counts.total, 0, "none of the batch's events is handled")

            // The next messages flow on.
            _ = try await pipeline.publishDirectly([try batchMessage((10..<15).map { CloudEvent.test($0, type: pipeline.eventType) }, type: pipeline.eventType)])
            let after = try await pipeline.waitForEffects(5, timeout: .seconds(10))
            XCTAssertEqual(after.total, 5)
        }
    }
}
