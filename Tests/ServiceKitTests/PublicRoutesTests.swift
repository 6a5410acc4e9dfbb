import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Prometheus
@testable import ServiceKit
import TestSupport
import XCTest

/// Where `ServiceRunner` mounts a service's routes: its public ones under
/// `/api/v1/public/<apiContext>`, without a token, and its authenticated ones under `/api/v1`
/// only — no path under the public prefix leads to one of them. The service is assembled by
/// `ServiceRunner.makeApplication`, as every service is.
final class PublicRoutesTests: XCTestCase {
    func testPublicRoutesAnswerUnderThePublicPrefixWithoutATokenAndAuthenticatedOnesNeverDo() async throws {
        let name = TestInfrastructure.uniqueName("public")
        let identity = ServiceIdentity(name: name, schema: name, defaultPort: 0, apiContext: name)
        XCTAssertEqual(identity.publicPathPrefix, "api/v1/public/\(name)")
        let admin = try await TestDatabase()
        defer { Task { await admin.shutdown() } }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name)"))
        let configuration = try ServiceConfiguration(service: identity, environment: [
            "CRM_ENVIRONMENT": "development",
            "CRM_DATABASE_URL": try TestEnvironment.variable("CRM_TEST_POSTGRES_URL"),
            "CRM_AMQP_URL": try TestEnvironment.amqpURLText,
            "CRM_JWT_PUBLIC_KEYS": TestTokenKeys.publicKeys.json,
            "CRM_HTTP_PORT": "0",
        ])
        let definition = ServiceDefinition(
            identity: identity, migrationsFolder: nil, handlers: nil,
            routes: { group, _ in
                group.get("\(name)/vouchers") { _, context in "vouchers for \(try context.requirePrincipal().username)" }
            },
            publicRoutes: { group, _ in
                group.get("claims/{token}") { _, context in
                    "claim \(try context.parameters.require("token")), signed in: \(context.principal != nil)"
                }
            })
        let application = try await ServiceRunner.makeApplication(definition, configuration: configuration, metrics: PrometheusCollectorRegistry())

        let signer = try await TokenKeys(keys: TestTokenKeys.signing, jwksURL: nil, logger: .init(label: "test"))
        let token = try await signer.sign(AccessClaims(
            userID: UUID(), use: .access, username: "sa.public", store: StoreID.forStoreCode("HX000001"), group: UUID(), team: nil,
            role: "sa", scope: .store, permissions: [], issuedAt: Date(), lifetime: 600))

        try await application.test(.live) { client in
            func get(_ path: String, token: String? = nil) async throws -> (status: Int, body: String) {
                let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
                return try await client.execute(uri: path, method: .get, headers: headers) { response in
                    (Int(response.status.code), String(buffer: response.body))
                }
            }
            // Until the (empty) migrations are applied every API request is a 503.
            let started = try await eventually(timeout: .seconds(30)) { try await get("/api/v1/public/\(name)/claims/x").status != 503 }
            XCTAssertTrue(started, "the service never applied its migrations")

            let claim = try await get("/api/v1/public/\(name)/claims/QR-7731")
            XCTAssertEqual(claim.status, 200, claim.body)
            XCTAssertEqual(claim.body, "claim QR-7731, signed in: false")
            // A token changes nothing on a public route: nothing there reads it.
            let claimWithToken = try await get("/api/v1/public/\(name)/claims/QR-7731", token: token)
            XCTAssertEqual(claimWithToken.body, "claim QR-7731, signed in: false")

            // The authenticated route: a token needed where it is …
            let vouchers = try await get("/api/v1/\(name)/vouchers", token: token)
            XCTAssertEqual(vouchers.status, 200, vouchers.body)
            XCTAssertEqual(vouchers.body, "vouchers for sa.public")
            let anonymous = try await get("/api/v1/\(name)/vouchers")
            XCTAssertEqual(anonymous.status, 401, anonymous.body)
            // … and nowhere under the public prefix, token or not, however the path is written.
            for path in [
                "/api/v1/public/\(name)/vouchers", "/api/v1/public/\(name)/\(name)/vouchers",
                "/api/v1/public/\(name)/../\(name)/vouchers", "/api/v1/public/\(name)/..%2F..%2F\(name)/vouchers",
            ] {
                let reply = try await get(path, token: token)
                XCTAssertEqual(reply.status, 404, "\(path): \(reply.body)")
            }
            // The public route is not mounted outside the prefix either.
            for path in ["/api/v1/\(name)/claims/QR-7731", "/api/v1/claims/QR-7731"] {
                let reply = try await get(path, token: token)
                XCTAssertEqual(reply.status, 404, "\(path): \(reply.body)")
            }
        }
    }
}
