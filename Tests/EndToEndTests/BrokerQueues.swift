import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Looks at and publishes to the test run's broker, on a thread of its own (rabbitmq-c blocks).
enum BrokerQueues {
    static func run<Result: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws -> Result) async throws -> Result {
        try await AMQPConnection.withTemporaryConnection(to: try TestEnvironment.amqpURL, body)
    }

    static func exists(_ queue: String) async throws -> Bool {
        do {
            _ = try await run { try $0.messageCount(queue: queue) }
            return true
        } catch AMQPError.broker(code: 404, _) {
            return false
        }
    }

    /// Whether the broker takes a declaration of `queue` with `arguments`. AMQP cannot read a
    /// queue's arguments back, but the broker refuses (406 PRECONDITION_FAILED) a declaration
    /// of an existing queue whose arguments differ — so this tells what the queue is.
    static func acceptsDeclaration(of queue: String, arguments: [String: AMQPFieldValue]) async throws -> Bool {
        do {
            try await run { try $0.declareQueue(queue, arguments: arguments) }
            return true
        } catch AMQPError.broker(code: 406, _) {
            return false
        }
    }

    /// Publishes events as the dealer's ERP does: structured CloudEvents on `crm.events`.
    static func publish<Payload: EventPayload>(_ events: [CloudEvent<Payload>]) async throws {
        let url = try TestEnvironment.amqpURL
        let publisher = EventPublisher(url: url, topology: MessagingTopology(), logger: .init(label: "erp"))
        defer { publisher.shutdown() }
        let encoder = EventCoding.makeEncoder()
        let messages = try events.map { event in
            OutgoingMessage(
                routingKey: event.type,
                properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: event.type, timestamp: event.time),
                body: try encoder.encode(event))
        }
        var index = 0
        while index < messages.count {
            let batch = Array(messages[index..<min(messages.count, index + 500)])
            let outcomes = try await publisher.publish(batch, to: MessagingTopology.eventsExchange)
            guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw TestFailure("the broker did not take every event: \(Set(outcomes.map { "\($0)" }))") }
            index += batch.count
        }
    }
}
