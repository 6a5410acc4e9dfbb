import Foundation
import JWTKit

/// Signs and verifies Dealer CRM's tokens (HS256 with the shared `CRM_JWT_SECRET`).
///
/// Only the gateway signs; the services hold the same secret to verify. A shared secret keeps
/// the deployment to one setting; moving to an asymmetric key later changes only this type.
public struct TokenKeys: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func sign(_ claims: AccessClaims) async throws -> String {
        try await keys.sign(claims)
    }

    /// The token's claims if its signature is ours, it has not expired and it is meant for
    /// `use`; nil otherwise. Why a token is refused is not the caller's business.
    public func verify(_ token: String, for use: AccessClaims.Use) async -> AccessClaims? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self), claims.use == use else { return nil }
        return claims
    }
}
