import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// Messages that cannot be handled end in `<service>.dead`, and the others flow on.
final class DeadLetterTests: XCTestCase {
    func testAMalformedMessageIsDeadLetteredAtItsFirstDeliveryAndTheNextOnesFlow() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            // Make sure the consumer is up (its queue declared) first.
            _ = try await pipeline.publishDirectly([try pipeline.structuredMessage(.test(0, type: pipeline.eventType))])
            _ = try await pipeline.waitForEffects(1, timeout: .seconds(20))

            let garbage = OutgoingMessage(
                routingKey: pipeline.eventType,
                properties: MessageProperties(contentType: "application/cloudevents+json", messageID: "garbage-1"),
                body: Data("{ this is not json".utf8))
            let outcomes = try await pipeline.publishDirectly([garbage])
            XCTAssertEqual(outcomes, [.confirmed])
            let deadLettered = try await eventually(timeout: .seconds(20)) {
                try await BrokerInspector.messageCount(pipeline.queue.deadLetterQueue) == 1
            }
            XCTAssertTrue(deadLettered, "the malformed message must end in \(pipeline.queue.deadLetterQueue)")

            let queue = pipeline.queue
            let dead = try await BrokerInspector.run { try $0.get(queue: queue.deadLetterQueue) }
            XCTAssertEqual(dead?.body, garbage.body, "the dead letter is the original message")
            XCTAssertEqual(dead?.properties.messageID, "garbage-1")
            guard case .string(let reason)? = dead?.properties.headers["x-crm-dead-reason"] else {
                return XCTFail("the dead letter says why it died")
            }
            XCTAssertTrue(reason.contains("not a JSON object"), reason)
            // Dead-lettered by the consumer at its first delivery, not handed back for retries
            // first: the copy keeps the delivery's headers, and a quorum queue counts each
            // redelivery in `x-delivery-count`.
            if case .int(let count)? = dead?.properties.headers["x-delivery-count"] {
                XCTAssertEqual(count, 0, "dead-lettered at the first delivery, not after retries")
            }

            // The next messages flow on.
            _ = try await pipeline.publishDirectly((1...5).map { try pipeline.structuredMessage(.test($0, type: pipeline.eventType)) })
            let counts = try await pipeline.waitForEffects(6, timeout: .seconds(10))
            XCTAssertEqual(counts.total, 6)
        }
    }

    func testAnEventWhoseDataDoesNotMatchItsTypeIsDeadLetteredWithTheFieldNamed() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            let body = #"{"specversion":"1.0","id":"bad-data-1","source":"erp","type":"\#(pipeline.eventType)","data":{"sequence":"seven"}}"#
            _ = try await pipeline.publishDirectly([OutgoingMessage(
                routingKey: pipeline.eventType, properties: MessageProperties(contentType: "application/cloudevents+json"), body: Data(body.utf8))])
            let queue = pipeline.queue
            let arrived = try await eventually(timeout: .seconds(10)) { try await BrokerInspector.messageCount(queue.deadLetterQueue) == 1 }
            XCTAssertTrue(arrived)
            let dead = try await BrokerInspector.run { try $0.get(queue: queue.deadLetterQueue) }
            guard case .string(let reason)? = dead?.properties.headers["x-crm-dead-reason"] else { return XCTFail("no reason") }
            XCTAssertTrue(reason.contains("sequence"), reason)
        }
    }

    func testAHandlerThatAlwaysThrowsIsDeadLetteredAfterTheDeliveryLimitWhileOthersFlow() async throws {
        struct AlwaysFails: Error {}
        let attempts = AttemptCounter()
        var settings = EventConsumer.Settings()
        settings.retryPause = .milliseconds(20)
        try await TestPipeline.with(deliveryLimit: 3, consumerSettings: settings, extraHandlers: { handlers, name in
            handlers.on("test.\(name).poison.v1", as: TestPayload.self) { _, _ in
                attempts.increment()
                throw AlwaysFails()
            }
        }) { pipeline in
            try await pipeline.startConsumer()
            let poisonType = pipeline.eventType.replacingOccurrences(of: ".happened.v1", with: ".poison.v1")
            var poison = CloudEvent.test(0, type: poisonType)
            poison.id = "poison-1"
            _ = try await pipeline.publishDirectly([try pipeline.structuredMessage(poison)])
            _ = try await pipeline.publishDirectly((1...20).map { try pipeline.structuredMessage(.test($0, type: pipeline.eventType)) })

            let counts = try await pipeline.waitForEffects(20, timeout: .seconds(20))
            XCTAssertEqual(counts.total, 20, "the other events flow past the failing one")
            let queue = pipeline.queue
            let deadLettered = try await eventually(timeout: .seconds(20)) { try await BrokerInspector.messageCount(queue.deadLetterQueue) == 1 }
            XCTAssertTrue(deadLettered, "the failing event ends in \(queue.deadLetterQueue)")
            let dead = try await BrokerInspector.run { try $0.get(queue: queue.deadLetterQueue) }
            XCTAssertEqual(dead?.properties.messageID, "poison-1")
            // Handed out `deliveryLimit` times before the broker gave up (plus at most one more
            // try inside a batch each time).
            XCTAssertGreaterThanOrEqual(attempts.value, 3)
            XCTAssertLessThanOrEqual(attempts.value, 8)
            let stillQueued = try await BrokerInspector.messageCount(queue.name)
            XCTAssertEqual(stillQueued, 0)
        }
    }
}

final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
