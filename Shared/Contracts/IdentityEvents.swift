import Foundation

// Events published by the Gateway, which owns stores, teams and users.
//
// Every other service keeps a small directory of stores and users from them (ServiceKit's
// `Directory`), to check that an assignee exists in the store, to widen a team leader's view to
// the team, and to read a store's time zone — without calling the gateway.

/// A store was created or changed.
public struct IdentityStoreChanged: EventPayload, Equatable {
    public static let eventType = "identity.store.changed.v1"

    public var storeId: UUID
    public var groupId: UUID
    /// The ERP's store code (`HX000001`); `storeId` is `StoreID.forStoreCode(code)`.
    public var code: String
    public var name: String
    /// An IANA time zone (`Asia/Shanghai`): the store's clock for "today" and deadlines.
    public var timeZone: String
    /// Grows with every change; a consumer ignores an older version than the one it has.
    public var version: Int64

    public init(storeId: UUID, groupId: UUID, code: String, name: String, timeZone: String, version: Int64) {
        self.storeId = storeId
        self.groupId = groupId
        self.code = code
        self.name = name
        self.timeZone = timeZone
        self.version = version
    }
}

/// A user was created or changed: their stores, team, role or whether they may still log in.
public struct IdentityUserChanged: EventPayload, Equatable {
    public static let eventType = "identity.user.changed.v1"

    public var userId: UUID
    public var username: String
    public var displayName: String
    public var mobile: String?
    public var teamId: UUID?
    public var storeIds: [UUID]
    /// The role's code (`cs.agent`, `gm` …).
    public var role: String
    public var active: Bool
    /// Grows with every change; a consumer ignores an older version than the one it has.
    public var version: Int64

    public init(
        userId: UUID, username: String, displayName: String, mobile: String?, teamId: UUID?,
        storeIds: [UUID], role: String, active: Bool, version: Int64
    ) {
        self.userId = userId
        self.username = username
        self.displayName = displayName
        self.mobile = mobile
        self.teamId = teamId
        self.storeIds = storeIds
        self.role = role
        self.active = active
        self.version = version
    }
}
