import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A store as a user sees it in their session.
struct StoreSummary: Codable, Sendable, Equatable {
    var id: UUID
    var code: String
    var name: String
    var groupId: UUID
    var timeZone: String
}

/// Everything a token is made from: the user, their role and their stores.
struct SessionUser: Sendable {
    var id: UUID
    var username: String
    var displayName: String
    var teamID: UUID?
    var role: String
    var scope: DataScope
    var permissions: [Permission]
    var active: Bool
    /// Ordered by store code; the first is where a login without `storeId` starts.
    var stores: [StoreSummary]
}

/// What the login query needs of a user.
struct LoginCandidate: Sendable {
    var id: UUID
    var passwordHash: String
    var active: Bool
    var failedLogins: Int
    var lockedUntil: Date?
}

/// The SQL of logging in and of loading a session.
struct SessionStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Locks the user's row for the rest of the transaction, so that concurrent failed logins
    /// are all counted.
    func candidate(username: String) async throws -> LoginCandidate? {
        let rows = try await connection.query("""
            SELECT id, password_hash, active, failed_logins, locked_until FROM identity.app_user
            WHERE username = \(username.lowercased()) FOR UPDATE
            """, logger: logger)
        for try await (id, hash, active, failed, lockedUntil) in rows.decode((UUID, String, Bool, Int, Date?).self) {
            return LoginCandidate(id: id, passwordHash: hash, active: active, failedLogins: failed, lockedUntil: lockedUntil)
        }
        return nil
    }

    /// Counts a failed login at `now` (the service clock); the `threshold`th in a row locks the
    /// account for `lockout`, until the returned time.
    func recordFailure(_ id: UUID, threshold: Int, lockout: TimeInterval, now: Date) async throws -> Date? {
        let lockUntil = now.addingTimeInterval(lockout)
        let rows = try await connection.query("""
            UPDATE identity.app_user SET
                failed_logins = CASE WHEN failed_logins + 1 >= \(threshold) THEN 0 ELSE failed_logins + 1 END,
                locked_until = CASE WHEN failed_logins + 1 >= \(threshold) THEN \(lockUntil) ELSE locked_until END
            WHERE id = \(id)
            RETURNING locked_until
            """, logger: logger)
        for try await lockedUntil in rows.decode(Date?.self) {
            if let lockedUntil, lockedUntil > now { return lockedUntil }
        }
        return nil
    }

    /// A good login: the count of failed logins starts again from zero.
    func recordSuccess(_ id: UUID) async throws {
        try await connection.query("""
            UPDATE identity.app_user SET failed_logins = 0, locked_until = NULL WHERE id = \(id)
            """, logger: logger)
    }

    func sessionUser(_ id: UUID) async throws -> SessionUser? {
        let rows = try await connection.query("""
            SELECT u.id, u.username, u.display_name, u.team_id, r.code, r.data_scope, r.permissions, u.active
            FROM identity.app_user u JOIN identity.role r ON r.id = u.role_id
            WHERE u.id = \(id)
            """, logger: logger)
        var user: SessionUser?
        for try await (id, username, displayName, teamID, role, scope, permissions, active) in rows.decode(
            (UUID, String, String, UUID?, String, String, [String], Bool).self)
        {
            user = SessionUser(
                id: id, username: username, displayName: displayName, teamID: teamID, role: role,
                scope: DataScope(rawValue: scope) ?? .own, permissions: permissions.map(Permission.init(rawValue:)),
                active: active, stores: [])
        }
        guard var user else { return nil }
        let stores = try await connection.query("""
            SELECT s.id, s.code, s.name, s.group_id, s.time_zone
            FROM identity.user_store us JOIN identity.store s ON s.id = us.store_id
            WHERE us.user_id = \(id) ORDER BY s.code
            """, logger: logger)
        for try await (id, code, name, groupID, timeZone) in stores.decode((UUID, String, String, UUID, String).self) {
            user.stores.append(StoreSummary(id: id, code: code, name: name, groupId: groupID, timeZone: timeZone))
        }
        return user
    }
}

/// The SQL of refresh tokens: each one issued is recorded, and is good only while unrevoked.
struct RefreshTokenStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Records a refresh token just signed, its times on the service clock (which `consume`
    /// compares with); drops the user's tokens that expired over a day ago.
    func record(id: UUID, userID: UUID, issuedAt: Date, expiresAt: Date) async throws {
        try await connection.query("""
            INSERT INTO identity.refresh_token (id, user_id, issued_at, expires_at) VALUES (\(id), \(userID), \(issuedAt), \(expiresAt))
            """, logger: logger)
        try await connection.query("""
            DELETE FROM identity.refresh_token WHERE user_id = \(userID) AND expires_at < \(issuedAt) - interval '1 day'
            """, logger: logger)
    }

    /// Ends the refresh token `id` of `userID` because it is exchanged for a new session;
    /// whether it was still good (issued by us, unrevoked, unexpired). The row lock makes two
    /// exchanges of one token at once take turns: only the first gets true.
    func consume(id: UUID, userID: UUID, now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE identity.refresh_token SET revoked_at = \(now), revoked_why = 'refreshed'
            WHERE id = \(id) AND user_id = \(userID) AND revoked_at IS NULL AND expires_at > \(now)
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().count == 1
    }

    /// Revokes one refresh token of the user (logout); how many were still good (0 or 1).
    func revoke(id: UUID, userID: UUID, why: String, now: Date) async throws -> Int {
        let rows = try await connection.query("""
            UPDATE identity.refresh_token SET revoked_at = \(now), revoked_why = \(why)
            WHERE id = \(id) AND user_id = \(userID) AND revoked_at IS NULL
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().count
    }

    /// Revokes every refresh token of the user (logout everywhere, deactivation, a new
    /// password); how many were still good.
    func revokeAll(userID: UUID, why: String, now: Date) async throws -> Int {
        let rows = try await connection.query("""
            UPDATE identity.refresh_token SET revoked_at = \(now), revoked_why = \(why)
            WHERE user_id = \(userID) AND revoked_at IS NULL
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().count
    }
}
