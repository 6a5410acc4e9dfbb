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
}
