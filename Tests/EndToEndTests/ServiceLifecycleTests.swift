import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Every service, as a process: starts, migrates its own schema as its own role, declares its
/// queue, reports ready, serves metrics, and exits cleanly on SIGTERM.
final class ServiceLifecycleTests: XCTestCase {
    func testEveryServiceBecomesReadyAndStopsGracefullyOnSIGTERM() async throws {
        let services = try ServiceIdentity.all.map(ServiceProcess.init)
        defer { services.forEach { $0.signal(SIGKILL) } }
        for service in services { try service.start() }
        for service in services {
            try await service.waitUntilReady()
            let (status, body) = try await service.get("/health/ready")
            XCTAssertEqual(status, 200)
            let report = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            XCTAssertEqual(report?["status"] as? String, "ready", service.identity.name)
            let metrics = try await service.get("/metrics")
            XCTAssertEqual(metrics.status, 200)
            XCTAssertTrue(String(decoding: metrics.body, as: UTF8.self).contains("# TYPE"), "\(service.identity.name) serves Prometheus text")
            let missing = try await service.get("/api/v1/no-such-thing")
            XCTAssertEqual(missing.status, 404)
        }
        // Each consuming service declared its own quorum queue — with the delivery limit and
        // dead-lettering into crm.dead → <service>.dead — and the dead-letter queue.
        for service in services where service.identity != .gateway {
            let name = service.identity.name
            let expected: [String: AMQPFieldValue] = [
                "x-queue-type": .string("quorum"), "x-dead-letter-exchange": .string("crm.dead"),
                "x-dead-letter-routing-key": .string(name), "x-delivery-limit": .int(5),
            ]
            let asExpected = try await BrokerQueues.acceptsDeclaration(of: name, arguments: expected)
            XCTAssertTrue(asExpected, "queue \(name) is a quorum queue with delivery limit 5 dead-lettering to crm.dead")
            for (argument, other) in [
                ("x-queue-type", AMQPFieldValue.string("classic")), ("x-delivery-limit", .int(6)),
                ("x-dead-letter-exchange", .string("elsewhere")), ("x-dead-letter-routing-key", .string("elsewhere")),
            ] {
                var changed = expected
                changed[argument] = other
                let accepted = try await BrokerQueues.acceptsDeclaration(of: name, arguments: changed)
                XCTAssertFalse(accepted, "queue \(name) is not declared with \(argument) = \(other)")
            }
            let deadIsQuorum = try await BrokerQueues.acceptsDeclaration(of: "\(name).dead", arguments: ["x-queue-type": .string("quorum")])
            XCTAssertTrue(deadIsQuorum, "queue \(name).dead")
        }
        for service in services { service.signal(SIGTERM) }
        for service in services {
            let status = await service.waitForExit(timeout: 15)
            XCTAssertEqual(status, 0, "\(service.identity.name) exits cleanly on SIGTERM; log:\n\(service.log.suffix(2000))")
        }
    }
}
