import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// A binary-mode CloudEvent (attributes in AMQP headers, the data as the body), as an ERP that
/// uses a CloudEvents SDK publishes it, goes through the real broker to its handler once.
final class ContentModeTests: XCTestCase {
    func testBinaryModeEventsThroughTheBrokerAreHandledOnce() async throws {
        try await TestPipeline.with { pipeline in
            try await pipeline.startConsumer()
            // `ce-` is what the AMQP binding's SDKs in Go and JavaScript write; `cloudEvents:` the
            // binding's own spelling.
            let messages = ["ce-", "cloudEvents:"].enumerated().map { index, prefix in
                OutgoingMessage(
                    routingKey: pipeline.eventType,
                    properties: MessageProperties(contentType: "application/json", headers: [
                        "\(prefix)specversion": .string("1.0"), "\(prefix)id": .string("binary-\(index)-\(pipeline.queue.name)"),
                        "\(prefix)source": .string("erp/test"), "\(prefix)type": .string(pipeline.eventType),
                        "\(prefix)time": .string("2026-11-22T08:30:00+08:00"), "\(prefix)subject": .string("thing-\(index)"),
                    ]),
                    body: Data(#"{"sequence": \#(index)}"#.utf8))
            }
            let outcomes = try await pipeline.publishDirectly(messages + messages)  // and an ERP's resend of both
            XCTAssertEqual(outcomes, Array(repeating: .confirmed, count: 4))

            let effects = try await pipeline.waitForEffects(2, timeout: .seconds(20))
            XCTAssertEqual(effects.distinct, 2)
            let consumer = try XCTUnwrap(pipeline.consumer)
            _ = try await eventually(timeout: .seconds(20)) { consumer.progress.deliveriesInHand == 0 }
            let settled = try await pipeline.testDatabase.effectCounts()
            XCTAssertEqual(settled.total, 2, "each event handled once")
            let ids = try await pipeline.testDatabase.scalar("""
                SELECT count(*)::int8 FROM \(pipeline.database.schema.qualify("effect"))
                WHERE event_id IN ('binary-0-\(pipeline.queue.name)', 'binary-1-\(pipeline.queue.name)')
                """)
            XCTAssertEqual(ids, 2, "the id comes from the ce-id / cloudEvents:id header")
            let deadLettered = try await BrokerInspector.messageCount(pipeline.queue.deadLetterQueue)
            XCTAssertEqual(deadLettered, 0)
        }
    }
}
