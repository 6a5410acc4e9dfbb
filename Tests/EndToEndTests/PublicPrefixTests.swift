import Foundation
import Hummingbird
@testable import ServiceKit
import TestSupport
import XCTest

/// The public prefix through the gateway: `/api/v1/public/<context>/…` reaches the service
/// that owns the context without a token (and without the caller's, if it sent one), nothing
/// authenticated is reachable through it, and each client is rate-limited there — by its
/// socket's address, or by `X-Forwarded-For` when the gateway trusts proxies in front of it.
///
/// Marketing is played by a `RecordingUpstream`, which shows what the gateway forwarded;
/// crm-coupons is the real service, with no public route yet.
final class PublicPrefixTests: XCTestCase {
    var suite: Suite!
    var recorder: RecordingUpstream!
    var otherGateways: [ServiceProcess] = []

    /// Starts the suite with Marketing played by the recorder, crm-coupons logging each request
    /// (`LogRequestsMiddleware` at debug), and `gateway` settings.
    func start(gateway: [String: String] = [:]) async throws {
        recorder = try RecordingUpstream()
        try await recorder.start()
        suite = try await Suite.start(
            couponsEnvironment: ["CRM_LOG_LEVEL": "debug"],
            gatewayEnvironment: ["CRM_MARKETING_URL": recorder.url].merging(gateway) { _, given in given })
    }

    /// A second gateway in front of the suite's services (Marketing: the recorder) with
    /// `settings` of its own.
    func startGateway(_ settings: [String: String]) async throws -> ServiceProcess {
        var upstreams = ["CRM_MARKETING_URL": recorder.url]
        // The recorder plays Marketing, in place of the suite's crm-marketing.
        for process in suite.processes where process.identity != .gateway && process.identity != .marketing {
            upstreams["CRM_\(process.identity.name.uppercased().replacingOccurrences(of: "-", with: "_"))_URL"] = "http://127.0.0.1:\(process.port)"
        }
        let gateway = try ServiceProcess(.gateway)
        otherGateways.append(gateway)
        try gateway.start(overrides: upstreams.merging(settings) { _, given in given })
        try await gateway.waitUntilReady()
        return gateway
    }

    override func tearDown() async throws {
        for gateway in otherGateways { await gateway.stop() }
        await suite?.stop()
        await recorder?.stop()
    }

    /// (a) A real service gets the request without a token: crm-coupons answers 404 for a path
    /// it has no route for, and its own request log names the path and our request id; that
    /// 404 is not the gateway's (which would be 401 without a token, outside the prefix).
    func testAPublicPathReachesTheServiceWithoutAToken() async throws {
        try await start()
        let requestID = "public-claim-\(UUID().uuidString.prefix(8))"
        let path = "/api/v1/public/coupons/claims/QR-7731"
        let reply = try await suite.request(.GET, path, headers: ["X-Request-Id": requestID])
        XCTAssertEqual(reply.status, 404, reply.text)
        XCTAssertTrue(reply.isProblem, reply.text)
        XCTAssertEqual(reply.json["instance"] as? String, path)
        XCTAssertEqual(reply.json["requestId"] as? String, requestID)

        let coupons = try XCTUnwrap(suite.process(.coupons))
        var logged: [String: Any]?
        _ = try await eventually(timeout: .seconds(5)) {
            logged = coupons.log.split(separator: "\n")
                .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
                .first { $0["requestID"] as? String == requestID && $0["message"] as? String == "Request" }
            return logged != nil
        }
        XCTAssertEqual(logged?["hb.request.path"] as? String, path, "crm-coupons never logged the request \(requestID):\n\(coupons.log.suffix(3000))")
        XCTAssertEqual(logged?["hb.request.method"] as? String, "GET")
        XCTAssertEqual(logged?["service"] as? String, "coupons")

        // The same without the prefix needs a token, as before.
        let staffPath = try await suite.request(.GET, "/api/v1/coupons/claims/QR-7731")
        XCTAssertEqual(staffPath.status, 401, staffPath.text)
    }

    /// (a) What the gateway forwards on the public prefix: method, path and query as sent, the
    /// body, `X-Request-Id` — and not the caller's `Authorization`, which it does pass on for
    /// the authenticated route. Public writes are not in the audit log; staff writes are.
    func testThePublicPrefixIsForwardedAsSentButWithoutTheCallersToken() async throws {
        try await start()
        let token = try await suite.login("admin")
        let reply = try await suite.request(
            .POST, "/api/v1/public/marketing/events/E-1/registrations?channel=wechat", token: token,
            rawBody: #"{"mobile":"13800138000"}"#, headers: ["X-Request-Id": "registration-1"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["upstream"] as? String, "recorder")
        let received = recorder.requests
        XCTAssertEqual(received.count, 1)
        let registration = try XCTUnwrap(received.first)
        XCTAssertEqual(registration.method, "POST")
        XCTAssertEqual(registration.target, "/api/v1/public/marketing/events/E-1/registrations?channel=wechat")
        XCTAssertEqual(registration.body, #"{"mobile":"13800138000"}"#)
        XCTAssertEqual(registration.headers[.contentType], "application/json")
        XCTAssertEqual(registration.headers[.requestID], "registration-1")
        XCTAssertNil(registration.headers[.authorization], "the caller's token went on through the public prefix")

        // The authenticated route forwards the token, and its write is audited.
        let staff = try await suite.request(
            .POST, "/api/v1/marketing/events", token: token, rawBody: #"{"name":"车展"}"#, headers: ["X-Request-Id": "staff-event-1"])
        XCTAssertEqual(staff.status, 200, staff.text)
        XCTAssertEqual(recorder.requests.last?.target, "/api/v1/marketing/events")
        XCTAssertEqual(recorder.requests.last?.headers[.authorization], "Bearer \(token)")
        let auditedStaff = try await suite.database.scalar(
            "SELECT count(*)::int8 FROM identity.audit_log WHERE request_id = 'staff-event-1' AND path = '/api/v1/marketing/events'")
        let auditedPublic = try await suite.database.scalar("SELECT count(*)::int8 FROM identity.audit_log WHERE request_id = 'registration-1'")
        XCTAssertEqual(auditedStaff, 1)
        XCTAssertEqual(auditedPublic, 0)
    }

    /// (b) A staff route is not reachable through the public prefix, with a valid token or
    /// however the path is written: the service mounts only public routes there, and the token
    /// does not get through anyway.
    func testAnAuthenticatedRouteIsNotReachableThroughThePublicPrefix() async throws {
        try await start()
        let token = try await suite.login("sa.1")
        let direct = try await suite.request(.GET, "/api/v1/after-sales/repair-orders", token: token)
        XCTAssertEqual(direct.status, 200, direct.text)
        for path in [
            "/api/v1/public/after-sales/repair-orders",
            "/api/v1/public/after-sales/after-sales/repair-orders",
            "/api/v1/public/after-sales/../../after-sales/repair-orders",
            "/api/v1/public/after-sales/..%2F..%2Fafter-sales/repair-orders",
        ] {
            let reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 404, "\(path): \(reply.text)")
            XCTAssertTrue(reply.isProblem, "\(path): \(reply.text)")
            XCTAssertNil(reply.json["items"], "\(path): \(reply.text)")
        }
        // The gateway's own routes are not under the prefix either.
        for path in ["/api/v1/public/auth/me", "/api/v1/public/identity/users", "/api/v1/public/dictionaries"] {
            let reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 404, "\(path): \(reply.text)")
        }
        let anonymous = try await suite.request(.GET, "/api/v1/after-sales/repair-orders")
        XCTAssertEqual(anonymous.status, 401, anonymous.text)
    }

    /// (c) Past the burst a client gets a 429 problem with `Retry-After`, the request goes no
    /// further, and after waiting that long it passes again. A slow rate (one request per 2 s)
    /// keeps the test's timing loose: the four requests only need to be sent within a second.
    func testPastTheLimitA429WithRetryAfterAndAfterWaitingRequestsPassAgain() async throws {
        try await start(gateway: ["CRM_PUBLIC_RATE_PER_SECOND": "0.5", "CRM_PUBLIC_RATE_BURST": "3"])
        var statuses: [Int] = []
        for _ in 1...3 { statuses.append(try await suite.request(.GET, "/api/v1/public/marketing/news").status) }
        XCTAssertEqual(statuses, [200, 200, 200])
        let refused = try await suite.request(.GET, "/api/v1/public/marketing/news")
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertTrue(refused.isProblem, refused.text)
        XCTAssertEqual(refused.headers.first(name: "retry-after"), "2")
        XCTAssertEqual(refused.json["status"] as? Int, 429)
        XCTAssertEqual(refused.json["type"] as? String, "https://dealer-crm.dev/problems/too-many-requests")
        XCTAssertEqual(refused.json["detail"] as? String, "too many requests from your network in a short time; wait 2 seconds and try again")
        XCTAssertEqual(refused.json["instance"] as? String, "/api/v1/public/marketing/news")
        XCTAssertEqual(recorder.requests.count, 3, "the refused request reached the service")

        // Staff routes are not limited by it.
        let token = try await suite.login("admin")
        for _ in 1...5 {
            let staff = try await suite.request(.GET, "/api/v1/marketing/news", token: token)
            XCTAssertEqual(staff.status, 200, staff.text)
        }

        try await Task.sleep(for: .seconds(2))
        let again = try await suite.request(.GET, "/api/v1/public/marketing/news")
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(recorder.requests.count, 3 + 5 + 1)
    }

    /// (d) `X-Forwarded-For` tells clients apart only when the gateway is told it sits behind a
    /// proxy (`CRM_TRUSTED_PROXY_HOPS`); then it is the entry that proxy appended, not what the
    /// client wrote, that counts. The test plays the proxy (every request comes from 127.0.0.1).
    func testXForwardedForTellsClientsApartOnlyWhenTheGatewayTrustsAProxy() async throws {
        let slow = ["CRM_PUBLIC_RATE_PER_SECOND": "0.1", "CRM_PUBLIC_RATE_BURST": "1"]  // one request per client per 10 s
        try await start(gateway: slow)
        func status(_ forwardedFor: String, via gateway: ServiceProcess? = nil) async throws -> Int {
            try await suite.request(.GET, "/api/v1/public/marketing/news", headers: ["X-Forwarded-For": forwardedFor], via: gateway).status
        }
        // Not trusted (the default): the header is ignored, the socket's address is the client.
        let untrusted = [try await status("203.0.113.1"), try await status("203.0.113.2")]
        XCTAssertEqual(untrusted, [200, 429])

        let behindProxy = try await startGateway(slow.merging(["CRM_TRUSTED_PROXY_HOPS": "1"]) { _, given in given })
        let trusted = [
            try await status("203.0.113.1", via: behindProxy),
            try await status("203.0.113.2", via: behindProxy),
            try await status("203.0.113.1", via: behindProxy),
            // The client wrote the first entry itself; the proxy appended 203.0.113.2.
            try await status("198.51.100.9, 203.0.113.2", via: behindProxy),
            try await status("203.0.113.3", via: behindProxy),
        ]
        XCTAssertEqual(trusted, [200, 200, 429, 429, 200])
        XCTAssertEqual(recorder.requests.count, 1 + 3)
    }
}
