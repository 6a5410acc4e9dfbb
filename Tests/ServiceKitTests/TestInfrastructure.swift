import Contracts
import Foundation
import Logging
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// What the ServiceKit tests share.
enum TestInfrastructure {
    static var postgresURL: PostgresURL { get throws { try TestEnvironment.postgresURL } }
    static var amqpURL: AMQPURL { get throws { try TestEnvironment.amqpURL } }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["CRM_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// A name no other test uses, for schemas, queues and consumers.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A fresh schema in the test database with ServiceKit's tables and an `effect` table that
/// handlers write to, and a running pool. Call `shutdown()` at the end.
final class TestDatabase: @unchecked Sendable {
    let client: PostgresClient
    let database: Database
    private let runTask: Task<Void, Never>

    init() async throws {
        client = Database.makeClient(url: try TestInfrastructure.postgresURL, maximumConnections: 12, logger: TestInfrastructure.logger)
        let client = self.client
        runTask = Task { await client.run() }
        database = Database(client: client, schema: try SQLIdentifier(TestInfrastructure.uniqueName("t")), logger: TestInfrastructure.logger)
        try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(database.schema)"))
        try await MigrationRunner(database: database).apply([
            Migration(version: "001_effects", sql: "CREATE TABLE effect (event_id text NOT NULL, handled_at timestamptz NOT NULL DEFAULT now())"),
        ])
    }

    /// `(effects, distinct event ids)`: equal when nothing was doubled.
    func effectCounts() async throws -> (total: Int, distinct: Int) {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*), count(DISTINCT event_id) FROM \(database.schema.qualify("effect"))"))
        for try await (total, distinct) in rows.decode((Int, Int).self) { return (total, distinct) }
        return (0, 0)
    }

    func scalar(_ sql: String) async throws -> Int {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return value }
        return 0
    }

    func shutdown() async {
        try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(database.schema) CASCADE"))
        runTask.cancel()
    }
}

/// The payload the messaging tests send.
struct TestPayload: EventPayload, Equatable {
    static let eventType = "test.thing.happened.v1"
    var sequence: Int
}

extension CloudEvent where Payload == TestPayload {
    /// An event of a type only this test's queue is bound to.
    static func test(_ sequence: Int, type: String, id: String = UUID().uuidString.lowercased()) -> CloudEvent<TestPayload> {
        CloudEvent(id: id, source: "tests", type: type, data: TestPayload(sequence: sequence))
    }
}

/// Handlers that record one `effect` row per handled event of `eventType`.
func effectHandlers(eventType: String, alsoHandle extra: (inout EventHandlers) -> Void = { _ in }) -> EventHandlers {
    var handlers = EventHandlers()
    handlers.on(eventType, as: TestPayload.self) { event, context in
        try await context.connection.query(
            PostgresQuery(unsafeSQL: "INSERT INTO \(context.outbox.schema.qualify("effect")) (event_id) VALUES ($1)", binds: {
                var binds = PostgresBindings()
                binds.append(event.id)
                return binds
            }()), logger: context.logger)
    }
    extra(&handlers)
    return handlers
}

/// Runs a service (relay or consumer) in the background until `stop()`.
final class RunningService: @unchecked Sendable {
    private let task: Task<Void, Error>

    init(_ run: @escaping @Sendable () async throws -> Void) {
        task = Task { try await run() }
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// A broker connection for looking at queues, on a thread of its own like every rabbitmq-c call.
enum BrokerInspector {
    static func run<Result: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws -> Result) async throws -> Result {
        try await AMQPConnection.withTemporaryConnection(to: try TestInfrastructure.amqpURL, body)
    }

    static func messageCount(_ queue: String) async throws -> Int {
        try await run { try $0.messageCount(queue: queue) }
    }
}
