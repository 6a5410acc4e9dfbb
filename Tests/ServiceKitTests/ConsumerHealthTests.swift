import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
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
///
/// Its `/metrics` says the same (README, Operations): `crm_consumer_deliveries_in_hand` is above
/// 0 and `crm_consumer_oldest_unacked_seconds` grows past the stall bound while the handler is
/// blocked, and both are back to 0 once it is released.
final class ConsumerHealthTests: XCTestCase {
    /// The registry `/metrics` shows. A service's metrics reach it through the process-wide
    /// `MetricsSystem`, which `ServiceRunner.run` bootstraps in a service process; this test
    /// process bootstraps it once, here, so that the consumer's gauges land where `/metrics` reads.
    private static let metrics: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

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
            configuration: configuration, metrics: Self.metrics)

        try await application.test(.live) { client in
            func status(_ path: String) async throws -> (Int, String) {
                try await client.execute(uri: path, method: .get) { response in
                    (Int(response.status.code), String(buffer: response.body))
                }
            }
            /// A gauge of this test's consumer in the Prometheus text of `/metrics`; nil if absent.
            func gauge(_ metric: String) async throws -> Double? {
                let text = try await status("/metrics").1
                let prefix = #"\#(metric){consumer="\#(name)"} "#
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
                return Double(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces))
            }
            let ready = try await eventually(timeout: .seconds(30)) { try await status("/health/ready").0 == 200 }
            let readiness = try await status("/health/ready").1
            XCTAssertTrue(ready, "the service never became ready: \(readiness)")
            let inHandBefore = try await gauge("crm_consumer_deliveries_in_hand")
            let oldestBefore = try await gauge("crm_consumer_oldest_unacked_seconds")
            XCTAssertEqual(inHandBefore, 0, "crm_consumer_deliveries_in_hand before any event")
            XCTAssertEqual(oldestBefore, 0, "crm_consumer_oldest_unacked_seconds before any event")

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
                // Not ready: the delivery has been in hand, unsettled, past the 2 s stall bound.
                let inHand = try await gauge("crm_consumer_deliveries_in_hand")
                let oldestAtReadyBound = try await gauge("crm_consumer_oldest_unacked_seconds")
                XCTAssertGreaterThan(inHand ?? 0, 0, "crm_consumer_deliveries_in_hand while the handler is blocked: \(String(describing: inHand))")
                XCTAssertGreaterThanOrEqual(
                    oldestAtReadyBound ?? 0, 2, "crm_consumer_oldest_unacked_seconds once not ready (stall bound 2 s): \(String(describing: oldestAtReadyBound))")
                let (liveBeforeBound, _) = try await status("/health/live")
                XCTAssertEqual(liveBeforeBound, 200, "live fails before its own, longer bound")
                let notLive = try await eventually(timeout: .seconds(15)) { try await status("/health/live").0 == 503 }
                XCTAssertTrue(notLive, "a consumer blocked past the live bound is still live")
                // Not live: past the 5 s bound, and the oldest delivery's age has kept growing.
                let oldestAtLiveBound = try await gauge("crm_consumer_oldest_unacked_seconds")
                XCTAssertGreaterThanOrEqual(
                    oldestAtLiveBound ?? 0, 5, "crm_consumer_oldest_unacked_seconds once not live (bound 5 s): \(String(describing: oldestAtLiveBound))")
                XCTAssertGreaterThan(oldestAtLiveBound ?? 0, oldestAtReadyBound ?? .infinity, "crm_consumer_oldest_unacked_seconds did not grow while blocked")
                let inHandAtLiveBound = try await gauge("crm_consumer_deliveries_in_hand")
                XCTAssertGreaterThan(inHandAtLiveBound ?? 0, 0, "crm_consumer_deliveries_in_hand once not live")

                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: TestInfrastructure.logger)
            }
            let recovered = try await eventually(timeout: .seconds(15)) {
                let ready = try await status("/health/ready").0
                let live = try await status("/health/live").0
                return ready == 200 && live == 200
            }
            let after = try await status("/health/ready").1
            XCTAssertTrue(recovered, "not ready again once released: \(after)")
            var released: (Double?, Double?) = (nil, nil)
            let drained = try await eventually(timeout: .seconds(10)) {
                released = (try await gauge("crm_consumer_deliveries_in_hand"), try await gauge("crm_consumer_oldest_unacked_seconds"))
                return released == (0, 0)
            }
            XCTAssertTrue(drained, "in hand / oldest unacknowledged once released: \(String(describing: released))")
        }
    }
}
