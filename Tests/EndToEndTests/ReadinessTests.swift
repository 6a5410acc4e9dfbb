import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// `/health/ready` tells the truth: with the broker or the database out of reach the service
/// stays alive (so an orchestrator does not restart it in a loop) but reports not ready, naming
/// what fails.
final class ReadinessTests: XCTestCase {
    struct Report: Decodable {
        var status: String
        var checks: [String: String]
    }

    func report(of service: ServiceProcess) async throws -> (status: Int, report: Report) {
        let (status, body) = try await service.get("/health/ready")
        return (status, try JSONDecoder().decode(Report.self, from: body))
    }

    /// Waits until the service answers HTTP at all (live), whatever its readiness.
    func waitUntilLive(_ service: ServiceProcess) async throws {
        let live = try await eventually(timeout: .seconds(30)) {
            guard service.isRunning else { throw TestFailure("\(service.identity.name) exited; log:\n\(service.log)") }
            return (try? await service.get("/health/live"))?.status == 200
        }
        XCTAssertTrue(live, "log:\n\(service.log.suffix(1500))")
    }

    func testABrokerOutOfReachMakesTheServiceNotReadyButLive() async throws {
        let closedPort = try ServiceProcess.freePort()
        let leads = try ServiceProcess(.leads)
        try leads.start(overrides: ["CRM_AMQP_URL": "amqp://guest:guest@127.0.0.1:\(closedPort)/"])
        defer { leads.signal(SIGKILL) }
        try await waitUntilLive(leads)
        let (status, report) = try await report(of: leads)
        XCTAssertEqual(status, 503)
        XCTAssertEqual(report.status, "not ready")
        XCTAssertEqual(report.checks["broker"], "failing")
        XCTAssertEqual(report.checks["postgres"], "ok")
        await leads.stop()
    }

    func testADatabaseOutOfReachMakesTheServiceNotReadyButLive() async throws {
        let closedPort = try ServiceProcess.freePort()
        let coupons = try ServiceProcess(.coupons)
        try coupons.start(overrides: ["CRM_DATABASE_URL": "postgres://crm_coupons:dealer-crm-dev@127.0.0.1:\(closedPort)/dealer_crm"])
        defer { coupons.signal(SIGKILL) }
        try await waitUntilLive(coupons)
        let (status, report) = try await report(of: coupons)
        XCTAssertEqual(status, 503)
        XCTAssertEqual(report.checks["postgres"], "failing")
        XCTAssertEqual(report.checks["migrations"], "failing")
        XCTAssertEqual(report.checks["broker"], "ok")
        XCTAssertTrue(coupons.isRunning, "it keeps retrying the database instead of exiting")
    }

    /// Ready means the service consumes its queue: a queue it cannot declare — here one made by
    /// hand as a classic queue, as a changed `CRM_AMQP_DELIVERY_LIMIT` would also cause — keeps it
    /// not ready, naming the queue, and it becomes ready once the queue is put right.
    func testAServiceThatCannotDeclareItsQueueIsNotReadyUntilItCan() async throws {
        let queue = ServiceIdentity.coupons.name
        try await BrokerQueues.run { connection in
            try connection.deleteQueue(queue)
            try connection.declareQueue(queue, arguments: ["x-queue-type": .string("classic")])
        }
        let coupons = try ServiceProcess(.coupons)
        try coupons.start()
        defer { coupons.signal(SIGKILL) }
        try await waitUntilLive(coupons)
        // Migrations applied and the broker reachable: only the queue is missing.
        let settled = try await eventually(timeout: .seconds(30)) {
            (try? await self.report(of: coupons))?.report.checks["migrations"] == "ok"
        }
        XCTAssertTrue(settled)
        let (status, report) = try await report(of: coupons)
        XCTAssertEqual(status, 503, "log:\n\(coupons.log.suffix(1500))")
        XCTAssertEqual(report.checks["queue"], "failing")
        XCTAssertEqual(report.checks["broker"], "ok")

        try await BrokerQueues.run { try $0.deleteQueue(queue) }
        try await coupons.waitUntilReady()
        let declared = try await BrokerQueues.acceptsDeclaration(of: queue, arguments: [
            "x-queue-type": .string("quorum"), "x-dead-letter-exchange": .string("crm.dead"),
            "x-dead-letter-routing-key": .string(queue), "x-delivery-limit": .int(5),
        ])
        XCTAssertTrue(declared, "the service declared its quorum queue once it could")
        await coupons.stop()
    }
}
