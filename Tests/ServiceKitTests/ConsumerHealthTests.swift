import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Prometheus
@testable import ServiceKit
import TestSupport
import XCTest

/// Health tells the truth about a consumer (issue 11): one whose handler blocks — here a
/// test-only handler waiting for a lock the test holds — turns `/health/ready` to 503 once it
/// has held its deliveries without progress past the bound, `/health/live` past the longer
/// bound, and both back to 200 once the handler is released. The service is assembled by
/// `ServiceRunner.makeApplication`, as every service is.
final class ConsumerHealthTests: XCTestCase {
    func testABlockedHandlerTurnsReadinessThenLivenessTo503AndBackOnceReleased() async throws {
        let name = TestInfrastructure.uniqueName("health")
        let lockKey = Int64.random(in: 1...Int64(Int32.max))
        let eventType = "test.\(name).blocked.v1"
        var handlers = EventHandlers()
        handlers.on(eventType, as: TestPayload.self) { _, context in
            try await context.connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: context.logger)
        }
        let identity = ServiceIdentity(name: name, schema: name, defaultPort: 0, apiContext: name)
        let admin = try await TestDatabase()
        defer { Task { await admin.shutdown() } }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name)"))
        let configuration = try ServiceConfiguration(service: identity, environment: [
            "CRM_ENVIRONMENT": "development",
            "CRM_DATABASE_URL": try TestEnvironment.variable("CRM_TEST_POSTGRES_URL"),
            "CRM_AMQP_URL": try TestEnvironment.amqpURLText,
            "CRM_JWT_PUBLIC_KEYS": TestTokenKeys.publicKeys.json,
            "CRM_HTTP_PORT": "0",
            "CRM_CONSUMER_STALL_SECONDS": "2",
            "CRM_CONSUMER_STALL_LIVE_SECONDS": "5",
        ])
        let application = try await ServiceRunner.makeApplication(
            ServiceDefinition(identity: identity, migrationsFolder: nil, handlers: handlers),
            configuration: configuration, metrics: PrometheusCollectorRegistry())

        try await application.test(.live) { client in
            func status(_ path: String) async throws -> (Int, String) {
                try await client.execute(uri: path, method: .get) { response in
                    (Int(response.status.code), String(buffer: response.body))
                }
            }
            let ready = try await eventually(timeout: .seconds(30)) { try await status("/health/ready").0 == 200 }
            let readiness = try await status("/health/ready").1
            XCTAssertTrue(ready, "the service never became ready: \(readiness)")

            // The test holds the lock; the handler waits for it.
            try await admin.client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: TestInfrastructure.logger)
                let publisher = EventPublisher(url: try TestInfrastructure.amqpURL, topology: MessagingTopology(), logger: TestInfrastructure.logger)
                defer { publisher.shutdown() }
                let event = CloudEvent.test(1, type: eventType)
                let outcomes = try await publisher.publish([OutgoingMessage(
                    routingKey: event.type,
                    properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: event.type),
                    body: try EventCoding.makeEncoder().encode(event))], to: MessagingTopology.eventsExchange)
                XCTAssertEqual(outcomes, [.confirmed])

                var readiness = ""
                let notReady = try await eventually(timeout: .seconds(15)) {
                    let (code, body) = try await status("/health/ready")
                    readiness = body
                    return code == 503 && body.contains(#""consumer":"failing""#)
                }
                XCTAssertTrue(notReady, "a blocked consumer is still ready: \(readiness)")
                let (liveBeforeBound, _) = try await status("/health/live")
                XCTAssertEqual(liveBeforeBound, 200, "live fails before its own, longer bound")
                let notLive = try await eventually(timeout: .seconds(15)) { try await status("/health/live").0 == 503 }
                XCTAssertTrue(notLive, "a consumer blocked past the live bound is still live")

                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: TestInfrastructure.logger)
            }
            let recovered = try await eventually(timeout: .seconds(15)) {
                let ready = try await status("/health/ready").0
                let live = try await status("/health/live").0
                return ready == 200 && live == 200
            }
            let after = try await status("/health/ready").1
            XCTAssertTrue(recovered, "not ready again once released: \(after)")
        }
    }
}
