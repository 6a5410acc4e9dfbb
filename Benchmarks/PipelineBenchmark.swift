import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// (b) N events the way services exchange them: committed to an outbox in transactions of 100
/// by four concurrent writers (as a busy service's requests would), relayed with confirms, consumed through the inbox, each
/// writing a one-row effect in the same transaction as its inbox row.
struct PipelineBenchmark {
    let setup: BenchmarkSetup

    func run(events: Int) async throws -> Measurement {
        let client = Database.makeClient(url: setup.postgresURL, maximumConnections: 8, logger: setup.logger)
        let clientRun = Task { await client.run() }
        defer { clientRun.cancel() }
        let name = "bench_pipe_\(UUID().uuidString.prefix(6).lowercased())"
        let database = Database(client: client, schema: try SQLIdentifier(name), logger: setup.logger)
        try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name)"))
        try await MigrationRunner(database: database).apply([
            Migration(version: "001_effect", sql: "CREATE TABLE effect (event_id text PRIMARY KEY, latency_ms double precision NOT NULL)"),
        ])

        let eventType = "bench.\(name).sent.v1"
        var handlers = EventHandlers()
        let effectTable = database.schema.qualify("effect")
        // The effect is set-based, so the handler writes a batch's rows with one statement.
        handlers.onBatch(eventType, as: BenchPayload.self) { events, context in
            var binds = PostgresBindings()
            binds.append(events.map(\.id))
            binds.append(events.map(\.data.sentAt))
            try await context.connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(effectTable)
                SELECT id, extract(epoch FROM clock_timestamp() - sent_at) * 1000
                FROM unnest($1::text[], $2::timestamptz[]) AS event(id, sent_at)
                """, binds: binds), logger: context.logger)
        }
        let publisher = EventPublisher(url: setup.amqpURL, topology: MessagingTopology(), logger: setup.logger)
        defer { publisher.shutdown() }
        let consumer = EventConsumer(
            queue: ConsumerQueue(name: name, eventTypes: handlers.eventTypes), handlers: handlers, database: database,
            amqpURL: setup.amqpURL, deadLetters: publisher, logger: setup.logger)
        let relay = OutboxRelay(database: database, publisher: publisher, appID: "bench", logger: setup.logger)
        let consumerRun = Task { try await consumer.run() }
        let relayRun = Task { try await relay.run() }
        defer {
            consumerRun.cancel()
            relayRun.cancel()
        }
        while !consumer.isConsuming { try await Task.sleep(for: .milliseconds(20)) }

        let outbox = Outbox(schema: database.schema)
        let started = Date()
        // Four writers, as four concurrent requests of a busy service would commit.
        let writers = 4
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var next = writer * 100
                    while next < events {
                        let batch = (next..<min(events, next + 100)).map { index in
                            CloudEvent(source: "bench", type: eventType, data: BenchPayload(sequence: index, sentAt: Date()))
                        }
                        try await database.withTransaction { connection in
                            try await outbox.append(batch, on: connection, logger: setup.logger)
                        }
                        next += writers * 100
                    }
                }
            }
            try await group.waitForAll()
        }
        let writeSeconds = Date().timeIntervalSince(started)
        // Wait for the last effect.
        var handled = 0
        while handled < events {
            try await Task.sleep(for: .milliseconds(20))
            for try await count in try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM \(effectTable)")).decode(Int.self) {
                handled = count
            }
        }
        let seconds = Date().timeIntervalSince(started)
        var latencies: [Double] = []
        for try await latency in try await client.query(PostgresQuery(unsafeSQL: "SELECT latency_ms FROM \(effectTable)")).decode(Double.self) {
            latencies.append(latency)
        }
        consumer.stop()
        var relaySeconds = 0.0
        for try await value in try await client.query(PostgresQuery(unsafeSQL: """
            SELECT extract(epoch FROM max(published_at))::float8 FROM \(database.schema.qualify("outbox"))
            """)).decode(Double.self) {
            relaySeconds = value - started.timeIntervalSince1970
        }
        print(String(format: "    (writers committed all %d events in %.2f s; the relay had published the last at %.2f s)", events, writeSeconds, relaySeconds))
        return Measurement(events: events, seconds: seconds, latenciesMilliseconds: latencies)
    }
}
