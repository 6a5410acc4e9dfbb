import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// One service's messaging, in process: a schema, an outbox relay, and a consumer of its own
/// queue whose handler writes an `effect` row per event. Every pipeline uses event types and a
/// queue of its own, so tests never see each other's messages.
final class TestPipeline: @unchecked Sendable {
    let testDatabase: TestDatabase
    let queue: ConsumerQueue
    let eventType: String
    let publisher: EventPublisher
    private(set) var relays: [RunningService] = []
    private(set) var consumer: EventConsumer?
    private var consumerRun: RunningService?
    private var extraPublishers: [EventPublisher] = []

    var database: Database { testDatabase.database }
    var outbox: Outbox { Outbox(schema: database.schema) }

    init(deliveryLimit: Int = 5, consumerSettings: EventConsumer.Settings = .init(),
         extraHandlers: @escaping (inout EventHandlers, String) -> Void = { _, _ in }) async throws {
        testDatabase = try await TestDatabase()
        let name = TestInfrastructure.uniqueName("q")
        eventType = "test.\(name).happened.v1"
        var handlers = effectHandlers(eventType: eventType)
        extraHandlers(&handlers, name)
        queue = ConsumerQueue(name: name, eventTypes: handlers.eventTypes, deliveryLimit: deliveryLimit)
        publisher = EventPublisher(url: try TestInfrastructure.amqpURL, topology: MessagingTopology(), logger: TestInfrastructure.logger)
        self.handlers = handlers
        self.consumerSettings = consumerSettings
    }

    private let handlers: EventHandlers
    private let consumerSettings: EventConsumer.Settings

    /// Starts (or restarts) the consumer and waits until its queue is declared and consumed.
    func startConsumer() async throws {
        let consumer = EventConsumer(
            queue: queue, handlers: handlers, database: database, amqpURL: try TestInfrastructure.amqpURL,
            deadLetters: publisher, settings: consumerSettings, logger: TestInfrastructure.logger)
        self.consumer = consumer
        consumerRun = RunningService { try await consumer.run() }
        let consuming = try await eventually(timeout: .seconds(20)) { consumer.isConsuming }
        guard consuming else { throw TestFailure("the consumer did not connect to the broker within 20 s") }
    }

    /// Stops the consumer as a crash would: unacknowledged deliveries go back to the queue.
    func crashConsumer() async {
        consumer?.stop()
        await consumerRun?.stop()
        consumer = nil
        consumerRun = nil
    }

    /// Starts one more outbox relay on this schema, with a publisher of its own.
    func startRelay(
        batchSize: Int = 500, maximumRetryDelaySeconds: Int = 300, sweepInterval: Duration = .milliseconds(200),
        passBytes: Int = OutboxRelay.Settings().passBytes
    ) throws {
        let publisher = EventPublisher(url: try TestInfrastructure.amqpURL, topology: MessagingTopology(), logger: TestInfrastructure.logger)
        extraPublishers.append(publisher)
        var settings = OutboxRelay.Settings()
        settings.batchSize = batchSize
        settings.maximumRetryDelaySeconds = maximumRetryDelaySeconds
        settings.sweepInterval = sweepInterval
        settings.passBytes = passBytes
        let relay = OutboxRelay(database: database, publisher: publisher, appID: "tests", settings: settings, logger: TestInfrastructure.logger)
        relays.append(RunningService { try await relay.run() })
    }

    /// Writes events through the outbox, `perTransaction` at a time, as a service's writes would.
    func writeThroughOutbox(_ count: Int, startingAt first: Int = 0, perTransaction: Int = 100) async throws -> [String] {
        var ids: [String] = []
        var next = first
        while next < first + count {
            let events = (next..<min(first + count, next + perTransaction)).map { CloudEvent.test($0, type: eventType) }
            try await database.withTransaction { connection in
                try await self.outbox.append(events, on: connection, logger: TestInfrastructure.logger)
            }
            ids += events.map(\.id)
            next += events.count
        }
        return ids
    }

    /// Publishes straight to the exchange, as an outside publisher would.
    func publishDirectly(_ messages: [OutgoingMessage]) async throws -> [PublishOutcome] {
        try await publisher.publish(messages, to: MessagingTopology.eventsExchange)
    }

    func structuredMessage(_ event: CloudEvent<TestPayload>) throws -> OutgoingMessage {
        OutgoingMessage(
            routingKey: event.type,
            properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: event.type),
            body: try EventCoding.makeEncoder().encode(event))
    }

    /// Waits until the effects reach `count` (or `timeout` passes) and returns the counts.
    func waitForEffects(_ count: Int, timeout: Duration = .seconds(60)) async throws -> (total: Int, distinct: Int) {
        _ = try await eventually(timeout: timeout) { try await testDatabase.effectCounts().total >= count }
        return try await testDatabase.effectCounts()
    }

    func unpublishedCount() async throws -> Int {
        try await testDatabase.scalar("SELECT count(*)::int8 FROM \(database.schema.qualify("outbox")) WHERE published_at IS NULL")
    }

    /// Why the unsent rows wait, for a failure's message: per number of attempts and last
    /// error, how many rows and when the first is due, e.g. "3 × 2 attempts (last error: the
    /// broker refused the message (nack)), the first due in 6 s".
    func unpublishedSummary() async throws -> String {
        var lines: [String] = []
        let rows = try await testDatabase.client.query(PostgresQuery(unsafeSQL: """
            SELECT attempts::int8, coalesce(last_error, 'none'), count(*)::int8,
                   extract(epoch FROM min(available_at) - now())::float8
            FROM \(database.schema.qualify("outbox")) WHERE published_at IS NULL
            GROUP BY 1, 2 ORDER BY 1
            """))
        for try await (attempts, error, count, dueIn) in rows.decode((Int, String, Int, Double).self) {
            lines.append("\(count) × \(attempts) attempts (last error: \(error)), the first due in \(Int(dueIn)) s")
        }
        return lines.isEmpty ? "nothing unsent" : lines.joined(separator: "; ")
    }

    /// Runs `body` with a new pipeline and shuts the pipeline down however `body` ends.
    static func with(
        deliveryLimit: Int = 5, consumerSettings: EventConsumer.Settings = .init(),
        extraHandlers: @escaping (inout EventHandlers, String) -> Void = { _, _ in },
        _ body: (TestPipeline) async throws -> Void
    ) async throws {
        let pipeline = try await TestPipeline(deliveryLimit: deliveryLimit, consumerSettings: consumerSettings, extraHandlers: extraHandlers)
        do {
            try await body(pipeline)
        } catch {
            await pipeline.shutdown()
            throw error
        }
        await pipeline.shutdown()
    }

    func shutdown() async {
        await crashConsumer()
        for relay in relays { await relay.stop() }
        for publisher in extraPublishers + [publisher] { publisher.shutdown() }
        let queue = self.queue
        _ = try? await BrokerInspector.run { connection in
            try connection.deleteQueue(queue.name)
            try connection.deleteQueue(queue.deadLetterQueue)
        }
        await testDatabase.shutdown()
    }
}
