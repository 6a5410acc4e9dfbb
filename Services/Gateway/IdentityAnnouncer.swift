import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Publishes the current state of a store or user through the outbox, in the transaction that
/// changed it, so the other services' directories follow every change exactly once.
struct IdentityAnnouncer {
    let connection: PostgresConnection
    let outbox: Outbox
    let logger: Logger

    static let source = "/crm/gateway"

    func announceStore(_ id: UUID) async throws {
        let rows = try await connection.query("""
            SELECT id, group_id, code, name, time_zone, version FROM identity.store WHERE id = \(id)
            """, logger: logger)
        for try await (id, groupID, code, name, timeZone, version) in rows.decode((UUID, UUID, String, String, String, Int64).self) {
            let store = IdentityStoreChanged(storeId: id, groupId: groupID, code: code, name: name, timeZone: timeZone, version: version)
            try await outbox.append(
                CloudEvent(source: Self.source, subject: id.uuidString.lowercased(), data: store, storeid: id.uuidString.lowercased()),
                on: connection, logger: logger)
        }
    }

    func announceUser(_ id: UUID) async throws {
        let rows = try await connection.query("""
            SELECT u.id, u.username, u.display_name, u.mobile, u.team_id,
                   COALESCE(array_agg(us.store_id ORDER BY us.store_id) FILTER (WHERE us.store_id IS NOT NULL), '{}'),
                   r.code, u.active, u.version
            FROM identity.app_user u
            JOIN identity.role r ON r.id = u.role_id
            LEFT JOIN identity.user_store us ON us.user_id = u.id
            WHERE u.id = \(id)
            GROUP BY u.id, r.code
            """, logger: logger)
        for try await (id, username, displayName, mobile, teamID, storeIDs, role, active, version) in rows.decode(
            (UUID, String, String, String?, UUID?, [UUID], String, Bool, Int64).self)
        {
            let user = IdentityUserChanged(
                userId: id, username: username, displayName: displayName, mobile: mobile, teamId: teamID,
                storeIds: storeIDs, role: role, active: active, version: version)
            try await outbox.append(
                CloudEvent(source: Self.source, subject: id.uuidString.lowercased(), data: user),
                on: connection, logger: logger)
        }
    }
}
