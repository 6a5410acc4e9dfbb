import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// The services and the gateway, each as its own process, with the demo identity seeded: what
/// the API tests run against. Requests go through the gateway, as a frontend's would.
final class Suite: @unchecked Sendable {
    let processes: [ServiceProcess]
    let gateway: ServiceProcess
    let database: AdminDatabase

    /// Starts Leads, Prospects, AfterSales, CustomerService, Coupons, Marketing and the gateway, and waits until the services'
    /// directories know the demo users.
    /// `afterSalesEnvironment`, `leadsEnvironment`, `prospectsEnvironment`, `couponsEnvironment`, `gatewayEnvironment`:
    /// `marketingEnvironment`: extra settings for those processes (a fixed clock, another service URL).
    static func start(
        afterSalesEnvironment: [String: String] = [:], leadsEnvironment: [String: String] = [:],
        prospectsEnvironment: [String: String] = [:], couponsEnvironment: [String: String] = [:],
        marketingEnvironment: [String: String] = [:], gatewayEnvironment: [String: String] = [:]
    ) async throws -> Suite {
        let database = try await AdminDatabase()
        let afterSales = try ServiceProcess(.afterSales)
        let customerService = try ServiceProcess(.customerService)
        let leads = try ServiceProcess(.leads)
        let prospects = try ServiceProcess(.prospects)
        let coupons = try ServiceProcess(.coupons)
        let marketing = try ServiceProcess(.marketing)
        let gateway = try ServiceProcess(.gateway)
        try afterSales.start(overrides: afterSalesEnvironment)
        try customerService.start()
        try leads.start(overrides: leadsEnvironment)
        try prospects.start(overrides: prospectsEnvironment)
        try coupons.start(overrides: couponsEnvironment)
        try marketing.start(overrides: [
            "CRM_COUPONS_URL": "http://127.0.0.1:\(coupons.port)", "CRM_AFTERSALES_URL": "http://127.0.0.1:\(afterSales.port)",
        ].merging(marketingEnvironment) { _, given in given })
        try await afterSales.waitUntilReady()
        try await customerService.waitUntilReady()
        try await leads.waitUntilReady()
        try await prospects.waitUntilReady()
        try await coupons.waitUntilReady()
        try await marketing.waitUntilReady()
        try gateway.start(overrides: [
            "CRM_SEED_DEMO": "1",
            "CRM_AFTERSALES_URL": "http://127.0.0.1:\(afterSales.port)",
            "CRM_CUSTOMER_SERVICE_URL": "http://127.0.0.1:\(customerService.port)",
            "CRM_LEADS_URL": "http://127.0.0.1:\(leads.port)",
            "CRM_PROSPECTS_URL": "http://127.0.0.1:\(prospects.port)",
            "CRM_COUPONS_URL": "http://127.0.0.1:\(coupons.port)",
            "CRM_MARKETING_URL": "http://127.0.0.1:\(marketing.port)",
            "CRM_BCRYPT_COST": "4",
        ].merging(gatewayEnvironment) { _, given in given })
        try await gateway.waitUntilReady()
        let suite = Suite(processes: [afterSales, customerService, leads, prospects, coupons, marketing, gateway], gateway: gateway, database: database)
        let known = try await eventually(timeout: .seconds(30)) {
            let users = try await database.scalar("""
                SELECT count(*)::int8 FROM customer_service.directory_user WHERE username IN ('cs.agent.1', 'cs.agent.2', 'cs.supervisor.1', 'cs.supervisor.2')
                """)
            let templates = try await database.scalar("SELECT count(*)::int8 FROM customer_service.visit_template WHERE is_default")
            let salesUsers = try await database.scalar("""
                SELECT count(*)::int8 FROM leads.directory_user WHERE username IN ('consultant.1', 'consultant.2', 'sales.manager.1', 'sales.manager.2')
                """)
            let prospectUsers = try await database.scalar("""
                SELECT count(*)::int8 FROM prospects.directory_user
                WHERE username IN ('consultant.1', 'consultant.3', 'sales.leader.1', 'sales.leader.2', 'sales.manager.1', 'consultant.2')
                """)
            let marketingUsers = try await database.scalar("""
                SELECT count(*)::int8 FROM marketing.directory_user WHERE username IN ('marketing.1', 'marketing.2', 'consultant.1', 'consultant.2')
                """)
            return users == 4 && templates >= 4 && salesUsers == 4 && prospectUsers == 6 && marketingUsers == 4
        }
        guard known else { throw TestFailure("the services never learned the demo users; gateway log:\n\(gateway.log.suffix(2000))") }
        return suite
    }

    private init(processes: [ServiceProcess], gateway: ServiceProcess, database: AdminDatabase) {
        self.processes = processes
        self.gateway = gateway
        self.database = database
    }

    func stop() async {
        for process in processes { await process.stop() }
        database.shutdown()
    }

    /// The running process of a service.
    func process(_ identity: ServiceIdentity) -> ServiceProcess? {
        processes.first { $0.identity == identity }
    }

    var logs: String { processes.map { "--- \($0.identity.name)\n\($0.log.suffix(3000))" }.joined(separator: "\n") }

    // MARK: HTTP

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        var isProblem: Bool { headers.first(name: "content-type")?.hasPrefix("application/problem+json") ?? false }
        /// The `field`s a problem names.
        var problemFields: [String] { (json["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? [] }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    }

    /// A request through the suite's gateway, or through `otherGateway` (one a test started
    /// with settings of its own).
    func request(
        _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, rawBody: String? = nil, bytes: Data? = nil,
        contentType: String = "application/json", timeout: Int64 = 30, headers: [String: String] = [:],
        via otherGateway: ServiceProcess? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\((otherGateway ?? gateway).port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: rawBody))
        } else if let bytes {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }

    /// Logs a demo user in; their access token.
    func login(_ username: String, password: String = "dealer-demo") async throws -> String {
        let reply = try await request(.POST, "/api/v1/auth/login", json: ["username": username, "password": password])
        guard reply.status == 200, let token = reply.json["accessToken"] as? String else {
            throw TestFailure("login of \(username) failed: \(reply.status) \(reply.text)")
        }
        return token
    }

    /// The demo user's id, as the gateway knows it.
    func userID(_ username: String) async throws -> String {
        let token = try await login(username)
        let reply = try await request(.GET, "/api/v1/auth/me", token: token)
        guard let id = reply.json["id"] as? String else { throw TestFailure("no id for \(username): \(reply.text)") }
        return id
    }
}
