import AsyncHTTPClient
import Foundation
import NIOCore
@testable import ServiceKit
import TestSupport
import XCTest

/// A key rotation without downtime (issue 10): the gateway restarts signing with a new key while
/// still publishing the old one; tokens signed before keep working until they expire, and tokens
/// signed after work at a service that had only the old key, which learns the new one from the
/// gateway's JWKS document on the first token that names it.
final class TokenKeyRotationTests: XCTestCase {
    private var processes: [ServiceProcess] = []

    override func tearDown() async throws {
        for process in processes { await process.stop() }
    }

    private func answer(to token: String, at process: ServiceProcess, _ path: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(process.port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 16 << 20)
        return Int(response.status.code)
    }

    private func login(at gateway: ServiceProcess) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.port)/api/v1/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"username":"cs.supervisor.1","password":"dealer-demo"}"#))
        // The gateway seeds the demo users just after it is ready.
        var token: String?
        _ = try await eventually(timeout: .seconds(20)) {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            token = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["accessToken"] as? String
            return token != nil
        }
        return try XCTUnwrap(token, "cs.supervisor.1 could not log in")
    }

    func testTokensOfBothKeysWorkAcrossARotation() async throws {
        let before = SigningKeySet(keys: [.generate(kid: "rotation-a-\(UUID().uuidString.prefix(8))")])
        let after = before.rotated(newKid: "rotation-b-\(UUID().uuidString.prefix(8))")
        let oldKid = before.keys[0].kid, newKid = after.keys[0].kid
        XCTAssertNil(after.keys[1].d, "the retired key keeps its private part")

        let gateway = try ServiceProcess(.gateway)
        let customerService = try ServiceProcess(.customerService)
        processes = [customerService, gateway]
        let gatewaySettings = ["CRM_SEED_DEMO": "1", "CRM_BCRYPT_COST": "4", "CRM_CUSTOMER_SERVICE_URL": "http://127.0.0.1:\(customerService.port)"]
        try gateway.start(overrides: gatewaySettings.merging(["CRM_JWT_SIGNING_KEYS": before.json]) { $1 })
        try await gateway.waitUntilReady()
        // The service is given no key at all: it learns them from the gateway.
        try customerService.start(overrides: [
            "CRM_JWT_PUBLIC_KEYS": "", "CRM_JWKS_URL": "http://127.0.0.1:\(gateway.port)/.well-known/jwks.json",
        ])
        try await customerService.waitUntilReady()

        let oldToken = try await login(at: gateway)
        XCTAssertEqual(TokenHeader(token: oldToken)?.kid, oldKid)
        var status = try await answer(to: oldToken, at: customerService, "/api/v1/customer-service/visit-tasks")
        XCTAssertEqual(status, 200, "a token of the key learned at start\n\(customerService.log.suffix(2000))")

        // The rotation: the gateway restarts signing with the new key.
        await gateway.stop()
        try gateway.start(overrides: gatewaySettings.merging(["CRM_JWT_SIGNING_KEYS": after.json]) { $1 })
        try await gateway.waitUntilReady()
        let (jwksStatus, jwks) = try await gateway.get("/.well-known/jwks.json")
        XCTAssertEqual(jwksStatus, 200)
        XCTAssertEqual(try SigningKeySet(json: String(decoding: jwks, as: UTF8.self)).keys.map(\.kid), [newKid, oldKid])

        let newToken = try await login(at: gateway)
        XCTAssertEqual(TokenHeader(token: newToken)?.kid, newKid)
        // Signed before: still good at the gateway and the service.
        status = try await answer(to: oldToken, at: gateway, "/api/v1/auth/me")
        XCTAssertEqual(status, 200, "the old token at the rotated gateway")
        status = try await answer(to: oldToken, at: customerService, "/api/v1/customer-service/visit-tasks")
        XCTAssertEqual(status, 200, "the old token at the service")
        // Signed after: the service has only cached the old key, and fetches the new one.
        XCTAssertFalse(customerService.log.contains(newKid), "the service knew the new key before it was asked")
        status = try await answer(to: newToken, at: customerService, "/api/v1/customer-service/visit-tasks")
        XCTAssertEqual(status, 200, "the new token at a service that had only the old key\n\(customerService.log.suffix(2000))")
        status = try await answer(to: newToken, at: gateway, "/api/v1/customer-service/visit-tasks")
        XCTAssertEqual(status, 200, "the new token through the gateway")
        XCTAssertTrue(customerService.log.contains(newKid), "the service did not log the key it learned")
    }
}
