import Foundation

/// The authenticated caller of a request, read from its access token.
public struct Principal: Sendable, Equatable {
    public var userID: UUID
    public var username: String
    /// The store the caller works in for this request.
    public var storeID: UUID
    public var groupID: UUID
    public var teamID: UUID?
    public var role: String
    public var scope: DataScope
    public var permissions: Set<Permission>

    public init(
        userID: UUID, username: String, storeID: UUID, groupID: UUID, teamID: UUID?, role: String,
        scope: DataScope, permissions: Set<Permission>
    ) {
        self.userID = userID
        self.username = username
        self.storeID = storeID
        self.groupID = groupID
        self.teamID = teamID
        self.role = role
        self.scope = scope
        self.permissions = permissions
    }

    public init?(claims: AccessClaims) {
        guard let userID = UUID(uuidString: claims.sub.value) else { return nil }
        self.init(
            userID: userID, username: claims.username, storeID: claims.store, groupID: claims.group,
            teamID: claims.team, role: claims.role, scope: claims.scope,
            permissions: Set(claims.permissions.map(Permission.init(rawValue:))))
    }

    /// The same caller with at least `scope`: for reading back a record the caller has just
    /// written for someone outside their own scope.
    public func widened(to scope: DataScope) -> Principal {
        var principal = self
        principal.scope = max(self.scope, scope)
        return principal
    }

    public func has(_ permission: Permission) -> Bool {
        permissions.contains(permission)
    }

    /// Throws 403 naming the permission unless the caller has it.
    public func require(_ permission: Permission) throws {
        guard has(permission) else { throw ProblemDetails.forbidden(missing: permission) }
    }
}
