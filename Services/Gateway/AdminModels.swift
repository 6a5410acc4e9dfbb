import Foundation
import Hummingbird
import ServiceKit

// What the administration endpoints (G1, G2) read and return.

struct StoreView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var groupId: UUID
    var code: String
    var name: String
    var timeZone: String
    var createdAt: Date
    var updatedAt: Date
}

struct NewStore: Decodable {
    var code: String
    var name: String
    var timeZone: String
}

struct StoreChange: Decodable {
    var name: String?
    var timeZone: String?
}

struct TeamView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var name: String
}

struct NewTeam: Decodable {
    var storeId: UUID
    var name: String
}

struct RoleView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var code: String
    var name: String
    var dataScope: DataScope
    var permissions: [String]
    var builtIn: Bool
}

struct NewRole: Decodable {
    var code: String
    var name: String
    var dataScope: DataScope
    var permissions: [String]
}

struct RoleChange: Decodable {
    var name: String?
    var dataScope: DataScope?
    var permissions: [String]?
}

struct UserView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var username: String
    var displayName: String
    var mobile: String?
    var role: String
    var teamId: UUID?
    var supervisorId: UUID?
    var storeIds: [UUID]
    var active: Bool
    /// Set while five failed logins keep the account locked.
    var lockedUntil: Date?
    var createdAt: Date
}

struct NewUser: Decodable {
    var username: String
    var displayName: String
    var mobile: String?
    var password: String
    var role: String
    var storeIds: [UUID]
    var teamId: UUID?
    var supervisorId: UUID?
}

struct UserChange: Decodable {
    var displayName: String?
    var mobile: String?
    var role: String?
    var storeIds: [UUID]?
    var teamId: UUID?
    var supervisorId: UUID?
    var active: Bool?
    /// A new password; also unlocks the account.
    var password: String?
    /// `true` lifts a lock from failed logins.
    var unlock: Bool?
}

struct PermissionView: Codable, Sendable {
    var code: String
}

struct PermissionList: Codable, Sendable, ResponseEncodable {
    var items: [PermissionView]
}

