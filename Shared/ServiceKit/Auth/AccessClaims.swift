import Foundation
import JWTKit

/// What an access token says about its bearer: who they are, in which store they work now,
/// and what their role lets them do there.
///
/// The gateway signs it at login, refresh and store switch; every service verifies it and
/// reads the caller from it without asking the gateway (defence in depth).
public struct AccessClaims: JWTPayload, Equatable {
    public enum Use: String, Codable, Sendable {
        /// Sent with every request as `Authorization: Bearer …`.
        case access
        /// Only exchanged for a new pair at `POST /api/v1/auth/refresh`.
        case refresh
    }

    /// Who signed it: always `TokenKeys.issuer`.
    public var iss: IssuerClaim?
    /// Whom it is for: `TokenKeys.audience(for: use)`, so an access token is never a refresh
    /// token and the other way round.
    public var aud: AudienceClaim?
    /// The token's id; a refresh token's is recorded by the gateway, which revokes it at logout
    /// and when it is exchanged.
    public var jti: IDClaim?
    /// The user's id.
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var use: Use
    public var username: String
    /// The store the user works in now; a user of several stores switches and gets a new token.
    public var store: UUID
    public var group: UUID
    public var team: UUID?
    /// The role's code (`cs.agent`).
    public var role: String
    public var scope: DataScope
    public var permissions: [String]

    public init(
        userID: UUID, use: Use, username: String, store: UUID, group: UUID, team: UUID?, role: String,
        scope: DataScope, permissions: [Permission], issuedAt: Date, lifetime: TimeInterval, id: UUID = UUID()
    ) {
        self.iss = IssuerClaim(value: TokenKeys.issuer)
        self.aud = AudienceClaim(value: [TokenKeys.audience(for: use)])
        self.jti = IDClaim(value: id.uuidString.lowercased())
        self.sub = SubjectClaim(value: userID.uuidString.lowercased())
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(lifetime))
        self.use = use
        self.username = username
        self.store = store
        self.group = group
        self.team = team
        self.role = role
        self.scope = scope
        self.permissions = permissions.map(\.rawValue)
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
