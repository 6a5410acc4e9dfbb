import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// `TokenKeys` keeps access tokens it verified for a while (a client sends one token with every
/// request): the cache never accepts what a full verification would refuse — an expired token,
/// a refresh token as an access token, a token with one character changed.
final class TokenCacheTests: XCTestCase {
    private func claims(use: AccessClaims.Use = .access, lifetime: TimeInterval) -> AccessClaims {
        AccessClaims(
            userID: UUID(), use: use, username: "cashier.1", store: UUID(), group: UUID(), team: nil, role: "cashier",
            scope: .store, permissions: [.redeemCoupons], issuedAt: Date(), lifetime: lifetime)
    }

    func testACachedTokenIsStillRefusedOnceExpiredOrAltered() async throws {
        let signer = try await TokenKeys(keys: TestTokenKeys.signing, jwksURL: nil, logger: .init(label: "test"))
        let verifier = try await TokenKeys(keys: TestTokenKeys.publicKeys, jwksURL: nil, logger: .init(label: "test"))

        let token = try await signer.sign(claims(lifetime: 2))
        let first = await verifier.verify(token, for: .access)
        XCTAssertEqual(first?.username, "cashier.1")
        let second = await verifier.verify(token, for: .access)
        XCTAssertEqual(second?.sub.value, first?.sub.value, "the same token, from the cache")
        // Not as a refresh token, cached or not.
        let asRefresh = await verifier.verify(token, for: .refresh)
        XCTAssertNil(asRefresh)
        // A changed character in the signature is another token, verified in full and refused.
        var altered = Array(token)
        altered[altered.count - 3] = altered[altered.count - 3] == "A" ? "B" : "A"
        let forged = await verifier.verify(String(altered), for: .access)
        XCTAssertNil(forged)
        // Expired, the cached token is refused too.
        try await Task.sleep(for: .seconds(2.5))
        let expired = await verifier.verify(token, for: .access)
        XCTAssertNil(expired)
    }
}
