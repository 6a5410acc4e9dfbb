import Contracts
import Foundation
import ServiceKit

/// (a) N events through the AMQP layer alone: the publisher with confirms, many in flight, and
/// a consumer that acknowledges each delivery.
struct RawBusBenchmark {
    let setup: BenchmarkSetup

    func run(events: Int) async throws -> Measurement {
        let name = "bench_raw_\(UUID().uuidString.prefix(6).lowercased())"
        let eventType = "bench.\(name).sent.v1"
        let stream = DeliveryStream(url: setup.amqpURL, queue: ConsumerQueue(name: name, eventTypes: [eventType]), prefetch: 1000, logger: setup.logger)
        stream.start()
        defer { stream.stop() }
        while !stream.isConsuming { try await Task.sleep(for: .milliseconds(20)) }

        let publisher = EventPublisher(url: setup.amqpURL, topology: MessagingTopology(), logger: setup.logger)
        defer { publisher.shutdown() }
        let encoder = EventCoding.makeEncoder()
        let started = Date()

        // Consume concurrently with publishing, as a live system does.
        let consumer = Task { () -> [Double] in
            var latencies: [Double] = []
            latencies.reserveCapacity(events)
            let decoder = EventCoding.makeDecoder()
            while latencies.count < events, let batch = await stream.deliveries.nextBatch(limit: 500) {
                let now = Date()
                for received in batch {
                    let event = try decoder.decode(CloudEvent<BenchPayload>.self, from: received.delivery.message.body)
                    latencies.append(now.timeIntervalSince(event.data.sentAt) * 1000)
                    stream.settle(received, .ack)
                }
            }
            return latencies
        }

        // Publish in batches of 500, a few batches in flight, like the relay's passes.
        var sent = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while sent < events {
                let count = min(500, events - sent)
                let messages = try (sent..<sent + count).map { index in
                    let event = CloudEvent(source: "bench", type: eventType, data: BenchPayload(sequence: index, sentAt: Date()))
                    return OutgoingMessage(
                        routingKey: eventType,
                        properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: eventType),
                        body: try encoder.encode(event))
                }
                sent += count
                group.addTask {
                    let outcomes = try await publisher.publish(messages, to: MessagingTopology.eventsExchange)
                    guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw BenchmarkError("the broker refused some events") }
                }
                inFlight += 1
                if inFlight >= 4 {
                    try await group.next()
                    inFlight -= 1
                }
            }
            try await group.waitForAll()
        }
        let latencies = try await consumer.value
        return Measurement(events: events, seconds: Date().timeIntervalSince(started), latenciesMilliseconds: latencies)
    }
}

struct BenchPayload: Codable, Sendable {
    var sequence: Int
    var sentAt: Date
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
