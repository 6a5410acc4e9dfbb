import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Only the gateway can sign (issue 10): a forged, expired, foreign or misused token is a 401
/// problem at the gateway and at every service called directly, while the same claims signed
/// with the installation's key are accepted — so each refusal is for the one thing wrong.
final class TokenSecurityTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    /// One protected read of each process, asked directly (the gateway's own `me`, and each
    /// service's list, bypassing the gateway).
    private var endpoints: [(process: ServiceProcess, path: String)] {
        [
            (suite.gateway, "/api/v1/auth/me"),
            (suite.process(.leads)!, "/api/v1/leads/leads"),
            (suite.process(.prospects)!, "/api/v1/prospects/prospects"),
            (suite.process(.afterSales)!, "/api/v1/after-sales/vehicles"),
            (suite.process(.customerService)!, "/api/v1/customer-service/visit-tasks"),
        ]
    }

    private func status(of token: String, at process: ServiceProcess, _ path: String) async throws -> (Int, Bool) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(process.port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 16 << 20)
        let isProblem = response.headers.first(name: "content-type")?.hasPrefix("application/problem+json") ?? false
        return (Int(response.status.code), isProblem)
    }

    /// An administrator's claims in store HX000001, valid for 10 minutes.
    private func administratorClaims(use: AccessClaims.Use = .access) async throws -> AccessClaims {
        let adminID = try await suite.userID("admin")
        return AccessClaims(
            userID: UUID(uuidString: adminID)!, use: use, username: "admin", store: StoreID.forStoreCode("HX000001"),
            group: try await groupID(), team: nil, role: "admin", scope: .group, permissions: Permission.all,
            issuedAt: Date(), lifetime: 600)
    }

    private func groupID() async throws -> UUID {
        let token = try await suite.login("admin")
        let reply = try await suite.request(.GET, "/api/v1/identity/stores", token: token)
        return try XCTUnwrap(UUID(uuidString: try XCTUnwrap(reply.items.first?["groupId"] as? String, reply.text)))
    }

    /// `header.payload.signature` with `signature` computed over the first two parts.
    private func compact(header: [String: Any], claims: AccessClaims, sign: (Data) -> Data) throws -> String {
        let head = Base64URL.encode([UInt8](try JSONSerialization.data(withJSONObject: header)))
        let body = Base64URL.encode([UInt8](try JSONEncoder().encode(claims)))
        let signature = sign(Data("\(head).\(body)".utf8))
        return "\(head).\(body).\(Base64URL.encode([UInt8](signature)))"
    }

    private func hmac(_ secret: Data) -> (Data) -> Data {
        { Data(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: secret))) }
    }

    func testForgedExpiredForeignAndMisusedTokensAreRefusedEverywhere() async throws {
        let signer = try await TokenKeys(keys: TestTokenKeys.signing, jwksURL: nil, logger: .init(label: "test"))
        let good = try await administratorClaims()

        // The control: the same claims, signed with the installation's key, pass everywhere.
        let genuine = try await signer.sign(good)
        for (process, path) in endpoints {
            let (status, _) = try await status(of: genuine, at: process, path)
            XCTAssertEqual(status, 200, "the genuine token at \(process.identity.name) \(path)")
        }

        let kid = TestTokenKeys.kid
        let publicX = TestTokenKeys.publicKeys.keys[0].x
        var forged: [(String, String)] = []
        // HS256 with the development secret every service once fell back to.
        let oldSecret = Data("dealer-crm-local-development-secret-do-not-deploy".utf8)
        forged.append(("HS256 with the old development secret", try compact(header: ["alg": "HS256", "typ": "JWT"], claims: good, sign: hmac(oldSecret))))
        forged.append(("HS256 with the old secret naming our kid", try compact(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: good, sign: hmac(oldSecret))))
        // alg none, with and without a kid.
        forged.append(("alg none", try compact(header: ["alg": "none", "typ": "JWT", "kid": kid], claims: good) { _ in Data() }))
        forged.append(("alg none without kid", try compact(header: ["alg": "none"], claims: good) { _ in Data() }))
        // Algorithm confusion: HS256 keyed with the public key, as text, as bytes and as the JWKS.
        forged.append(("HS256 keyed with x", try compact(header: ["alg": "HS256", "kid": kid], claims: good, sign: hmac(Data(publicX.utf8)))))
        forged.append(("HS256 keyed with the public key's bytes", try compact(
            header: ["alg": "HS256", "kid": kid], claims: good, sign: hmac(Base64URL.decode(publicX)!))))
        forged.append(("HS256 keyed with the JWKS document", try compact(
            header: ["alg": "HS256", "kid": kid], claims: good, sign: hmac(Data(TestTokenKeys.publicKeys.json.utf8)))))
        // Signed with our key but expired, of another issuer, for another audience.
        var expired = good
        expired.exp = .init(value: Date().addingTimeInterval(-60))
        forged.append(("expired", try await signer.sign(expired)))
        var otherIssuer = good
        otherIssuer.iss = "someone-else"
        forged.append(("wrong issuer", try await signer.sign(otherIssuer)))
        var otherAudience = good
        otherAudience.aud = .init(value: ["another-api"])
        forged.append(("wrong audience", try await signer.sign(otherAudience)))
        var noAudience = good
        noAudience.aud = nil
        forged.append(("no audience", try await signer.sign(noAudience)))
        // A key nobody published, under a kid nobody knows, and under our kid.
        let stranger = SigningKeySet(keys: [.generate(kid: "stranger")])
        let strangerSigner = try await TokenKeys(keys: stranger, jwksURL: nil, logger: .init(label: "test"))
        forged.append(("unknown kid", try await strangerSigner.sign(good)))
        var impostor = stranger
        impostor.keys[0].kid = kid
        let impostorSigner = try await TokenKeys(keys: impostor, jwksURL: nil, logger: .init(label: "test"))
        forged.append(("another key under our kid", try await impostorSigner.sign(good)))
        // A refresh token as an access token: one the gateway really issued, and one made from
        // the administrator's claims.
        let login = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": "admin", "password": "dealer-demo"])
        forged.append(("a refresh token from login", try XCTUnwrap(login.json["refreshToken"] as? String)))
        forged.append(("refresh claims", try await signer.sign(try await administratorClaims(use: .refresh))))
        // A genuine token with one character of its signature changed.
        var tampered = Array(genuine)
        tampered[tampered.count - 5] = tampered[tampered.count - 5] == "A" ? "B" : "A"
        forged.append(("tampered signature", String(tampered)))

        for (what, token) in forged {
            for (process, path) in endpoints {
                let (status, isProblem) = try await status(of: token, at: process, path)
                XCTAssertEqual(status, 401, "\(what) at \(process.identity.name) \(path)")
                XCTAssertTrue(isProblem, "\(what) at \(process.identity.name): not problem+json")
            }
            // And through the gateway to a service.
            let reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: token)
            XCTAssertEqual(reply.status, 401, "\(what) through the gateway")
        }
    }

    func testTheGatewayPublishesOnlyPublicKeys() async throws {
        let (status, body) = try await suite.gateway.get("/.well-known/jwks.json")
        XCTAssertEqual(status, 200)
        let set = try SigningKeySet(json: String(decoding: body, as: UTF8.self))
        XCTAssertEqual(set, TestTokenKeys.publicKeys)
        XCTAssertNil(set.signingKey, "a private key is published")
        XCTAssertFalse(String(decoding: body, as: UTF8.self).contains("\"d\""))
    }

    func testRefreshReadsTheUserAgainAndLogoutRevokes() async throws {
        let admin = try await suite.login("admin")
        let username = "session.\(Int.random(in: 10000...99999))"
        var reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": username, "displayName": "会话", "password": "right-password", "role": "cs.agent",
            "storeIds": [StoreID.forStoreCode("HX000001").uuidString],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let userID = try XCTUnwrap(reply.json["id"] as? String)
        func login() async throws -> (access: String, refresh: String) {
            let reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
            XCTAssertEqual(reply.status, 200, reply.text)
            return (try XCTUnwrap(reply.json["accessToken"] as? String), try XCTUnwrap(reply.json["refreshToken"] as? String))
        }

        // A refresh token is good once: the exchange ends it and hands out the next.
        let first = try await login()
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first.refresh])
        XCTAssertEqual(reply.status, 200, reply.text)
        let second = try XCTUnwrap(reply.json["refreshToken"] as? String)
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": first.refresh])
        XCTAssertEqual(reply.status, 401, "a used refresh token was exchanged again")

        // A role change shows at the next refresh.
        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["role": "cs.supervisor"])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": second])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["user"] as? [String: Any])?["role"] as? String, "cs.supervisor")
        let third = try XCTUnwrap(reply.json["refreshToken"] as? String)

        // Logout revokes the session's refresh token; the access token runs out on its own.
        let other = try await login()
        reply = try await suite.request(.POST, "/api/v1/auth/logout", token: other.access, json: ["refreshToken": other.refresh])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["revokedSessions"] as? Int, 1)
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": other.refresh])
        XCTAssertEqual(reply.status, 401, "refresh after logout: \(reply.text)")
        XCTAssertTrue(reply.isProblem)
        // Someone else's refresh token is not the caller's to revoke.
        reply = try await suite.request(.POST, "/api/v1/auth/logout", token: admin, json: ["refreshToken": third])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["refreshToken"])

        // Deactivation: the session still open (third) can no longer be refreshed.
        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["active": false])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": third])
        XCTAssertEqual(reply.status, 401, "a deactivated user's refresh: \(reply.text)")
        reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
        XCTAssertEqual(reply.status, 401, "a deactivated user logged in")
    }

    /// A refresh token is good once, however many exchanges of it race: 200 at once, exactly one
    /// session comes back.
    func testTwoHundredConcurrentRefreshesOfOneTokenGiveExactlyOneSession() async throws {
        let login = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": "cs.agent.1", "password": "dealer-demo"])
        let refresh = try XCTUnwrap(login.json["refreshToken"] as? String, login.text)
        let suite = self.suite!
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask { try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 1, "sessions from one refresh token: \(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 401 }.count, 199)
    }
}
