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
        // Each consuming service declared its own quorum queue and dead-letter queue.
        for service in services where service.identity != .gateway {
            let name = service.identity.name
            let exists = try await BrokerQueues.exists(name)
            let deadExists = try await BrokerQueues.exists("\(name).dead")
            XCTAssertTrue(exists, "queue \(name)")
            XCTAssertTrue(deadExists, "queue \(name).dead")
        }
        for service in services { service.signal(SIGTERM) }
        for service in services {
            let status = await service.waitForExit(timeout: 15)
            XCTAssertEqual(status, 0, "\(service.identity.name) exits cleanly on SIGTERM; log:\n\(service.log.suffix(2000))")
        }
    }
}
