import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// What staff get through the gateway when a service does not answer.
final class GatewayProxyTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        // Marketing's URL names a loopback port nothing listens on: a stopped service.
        let deadPort = try ServiceProcess.freePort()
        suite = try await Suite.start(gatewayEnvironment: ["CRM_MARKETING_URL": "http://127.0.0.1:\(deadPort)"])
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    func testAServiceThatDoesNotAnswerIsA503ProblemWithRetryAfter() async throws {
        let admin = try await suite.login("admin")
        let reply = try await suite.request(.GET, "/api/v1/marketing/news", token: admin, timeout: 10)
        XCTAssertEqual(reply.status, 503, reply.text)
        XCTAssertTrue(reply.isProblem, reply.text)
        XCTAssertEqual(reply.headers.first(name: "retry-after"), "5")
        XCTAssertTrue((reply.json["detail"] as? String)?.contains("marketing") ?? false, reply.text)
        // The gateway itself stays ready: one service away does not take the others down.
        let others = try await suite.request(.GET, "/api/v1/after-sales/repair-orders", token: try await suite.login("sa.1"))
        XCTAssertEqual(others.status, 200, others.text)
    }
}
