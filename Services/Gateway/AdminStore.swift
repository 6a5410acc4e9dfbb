import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The SQL of the administration endpoints. Every lookup is limited to one dealer group: an
/// administrator never sees or changes another group's records.
struct AdminStore {
    let connection: PostgresConnection
    let logger: Logger
    /// The service clock's now: whether a lock is still on, when a revocation happened.
    let now: Date

    // MARK: stores

    func stores(group: UUID) async throws -> [StoreView] {
        try await storeRows(where: "group_id = $1", group)
    }

    func store(_ id: UUID, group: UUID) async throws -> StoreView? {
        try await storeRows(where: "id = $2 AND group_id = $1", group, id).first
    }

    private func storeRows(where condition: String, _ values: UUID...) async throws -> [StoreView] {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, group_id, code, name, time_zone, created_at, updated_at FROM identity.store
            WHERE \(condition) ORDER BY code
            """, binds: binds), logger: logger)
        var stores: [StoreView] = []
        for try await (id, groupID, code, name, timeZone, createdAt, updatedAt) in rows.decode((UUID, UUID, String, String, String, Date, Date).self) {
            stores.append(StoreView(id: id, groupId: groupID, code: code, name: name, timeZone: timeZone, createdAt: createdAt, updatedAt: updatedAt))
        }
        return stores
    }

    /// Creates the store; false if its code is taken.
    func createStore(id: UUID, group: UUID, code: String, name: String, timeZone: String) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO identity.store (id, group_id, code, name, time_zone) VALUES (\(id), \(group), \(code), \(name), \(timeZone))
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    func updateStore(_ id: UUID, name: String?, timeZone: String?) async throws {
        try await connection.query("""
            UPDATE identity.store SET name = COALESCE(\(name), name), time_zone = COALESCE(\(timeZone), time_zone),
                version = version + 1, updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    // MARK: teams

    func teams(group: UUID, store: UUID?) async throws -> [TeamView] {
        let rows = try await connection.query("""
            SELECT t.id, t.store_id, t.name FROM identity.team t JOIN identity.store s ON s.id = t.store_id
            WHERE s.group_id = \(group) AND (\(store)::uuid IS NULL OR t.store_id = \(store))
            ORDER BY s.code, t.name
            """, logger: logger)
        var teams: [TeamView] = []
        for try await (id, storeID, name) in rows.decode((UUID, UUID, String).self) {
            teams.append(TeamView(id: id, storeId: storeID, name: name))
        }
        return teams
    }

    /// The team if it exists in the group.
    func team(_ id: UUID, group: UUID) async throws -> TeamView? {
        try await teams(group: group, store: nil).first { $0.id == id }
    }

    func createTeam(id: UUID, store: UUID, name: String) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO identity.team (id, store_id, name) VALUES (\(id), \(store), \(name))
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    // MARK: roles

    func roles() async throws -> [RoleView] {
        try await roleRows(where: "true")
    }

    func role(id: UUID) async throws -> RoleView? {
        var binds = PostgresBindings()
        binds.append(id)
        return try await roleRows(where: "id = $1", binds: binds).first
    }

    func role(code: String) async throws -> RoleView? {
        var binds = PostgresBindings()
        binds.append(code)
        return try await roleRows(where: "code = $1", binds: binds).first
    }

    private func roleRows(where condition: String, binds: PostgresBindings = PostgresBindings()) async throws -> [RoleView] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, code, name, data_scope, permissions, built_in FROM identity.role WHERE \(condition) ORDER BY code
            """, binds: binds), logger: logger)
        var roles: [RoleView] = []
        for try await (id, code, name, scope, permissions, builtIn) in rows.decode((UUID, String, String, String, [String], Bool).self) {
            roles.append(RoleView(id: id, code: code, name: name, dataScope: DataScope(rawValue: scope) ?? .own, permissions: permissions, builtIn: builtIn))
        }
        return roles
    }

    func createRole(id: UUID, code: String, name: String, scope: DataScope, permissions: [String], builtIn: Bool) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO identity.role (id, code, name, data_scope, permissions, built_in)
            VALUES (\(id), \(code), \(name), \(scope.rawValue), \(permissions), \(builtIn))
            ON CONFLICT (code) DO UPDATE SET permissions = EXCLUDED.permissions, data_scope = EXCLUDED.data_scope, updated_at = now()
                WHERE role.built_in AND EXCLUDED.built_in
            RETURNING id, (xmax = 0) AS inserted
            """, logger: logger)
        // An existing built-in role is brought up to date, but it was not created.
        for try await (_, inserted) in rows.decode((UUID, Bool).self) { return inserted }
        return false
    }

    func updateRole(_ id: UUID, name: String?, scope: DataScope?, permissions: [String]?) async throws {
        try await connection.query("""
            UPDATE identity.role SET name = COALESCE(\(name), name), data_scope = COALESCE(\(scope?.rawValue), data_scope),
                permissions = COALESCE(\(permissions), permissions), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    // MARK: users

    /// Users working in at least one of the group's stores (or in none yet), filtered.
    func users(group: UUID, store: UUID?, role: String?, search: String?, page: PageRequest) async throws -> Page<UserView> {
        var sql = QueryBuilder("""
             FROM identity.app_user u JOIN identity.role r ON r.id = u.role_id
             WHERE (NOT EXISTS (SELECT 1 FROM identity.user_store x WHERE x.user_id = u.id)
                    OR EXISTS (SELECT 1 FROM identity.user_store x JOIN identity.store s ON s.id = x.store_id
                               WHERE x.user_id = u.id AND s.group_id = 
            """)
        sql.append("", bind: group)
        sql.append("))")
        if let store { sql.append(" AND EXISTS (SELECT 1 FROM identity.user_store x WHERE x.user_id = u.id AND x.store_id = \(sql.placeholder(for: store)))") }
        if let role { sql.append(" AND r.code = ", bind: role) }
        if let search {
            let pattern = SearchText.containing(search)
            sql.append(" AND (u.username ILIKE \(sql.placeholder(for: pattern)) OR u.display_name ILIKE \(sql.placeholder(for: pattern)))")
        }
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "u.username", page)
        let users = try await userRows(select.build(prefix: Self.userColumns))
        return Page(items: users, request: page, total: total)
    }

    func user(_ id: UUID) async throws -> UserView? {
        var sql = QueryBuilder(" FROM identity.app_user u JOIN identity.role r ON r.id = u.role_id WHERE u.id = ")
        sql.append("", bind: id)
        return try await userRows(sql.build(prefix: Self.userColumns)).first
    }

    private static let userColumns = """
        SELECT u.id, u.username, u.display_name, u.mobile, r.code, u.team_id, u.supervisor_id,
               ARRAY(SELECT store_id FROM identity.user_store x WHERE x.user_id = u.id ORDER BY store_id),
               u.active, u.locked_until, u.created_at
        """

    private func userRows(_ query: PostgresQuery) async throws -> [UserView] {
        let rows = try await connection.query(query, logger: logger)
        var users: [UserView] = []
        for try await (id, username, displayName, mobile, role, teamID, supervisorID, storeIDs, active, lockedUntil, createdAt) in rows.decode(
            (UUID, String, String, String?, String, UUID?, UUID?, [UUID], Bool, Date?, Date).self)
        {
            users.append(UserView(
                id: id, username: username, displayName: displayName, mobile: mobile, role: role, teamId: teamID,
                supervisorId: supervisorID, storeIds: storeIDs, active: active,
                lockedUntil: lockedUntil.flatMap { $0 > now ? $0 : nil }, createdAt: createdAt))
        }
        return users
    }

    /// Creates the user; false if the username is taken.
    func createUser(
        id: UUID, username: String, displayName: String, mobile: String?, passwordHash: String, roleID: UUID,
        teamID: UUID?, supervisorID: UUID?, storeIDs: [UUID]
    ) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO identity.app_user (id, username, display_name, mobile, password_hash, role_id, team_id, supervisor_id)
            VALUES (\(id), \(username), \(displayName), \(mobile), \(passwordHash), \(roleID), \(teamID), \(supervisorID))
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger)
        guard try await rows.collect().count == 1 else { return false }
        try await setStores(of: id, storeIDs)
        return true
    }

    func setStores(of user: UUID, _ storeIDs: [UUID]) async throws {
        try await connection.query("DELETE FROM identity.user_store WHERE user_id = \(user)", logger: logger)
        try await connection.query("""
            INSERT INTO identity.user_store (user_id, store_id) SELECT \(user), unnest(\(storeIDs)::uuid[])
            """, logger: logger)
    }

    struct UserFields {
        var displayName: String?
        var mobile: String?
        var roleID: UUID?
        var teamID: UUID?
        var supervisorID: UUID?
        var active: Bool?
        var passwordHash: String?
        var unlock: Bool
    }

    func updateUser(_ id: UUID, _ fields: UserFields) async throws {
        let unlock = fields.unlock || fields.passwordHash != nil
        try await connection.query("""
            UPDATE identity.app_user SET
                display_name = COALESCE(\(fields.displayName), display_name),
                mobile = COALESCE(\(fields.mobile), mobile),
                role_id = COALESCE(\(fields.roleID), role_id),
                team_id = COALESCE(\(fields.teamID), team_id),
                supervisor_id = COALESCE(\(fields.supervisorID), supervisor_id),
                active = COALESCE(\(fields.active), active),
                password_hash = COALESCE(\(fields.passwordHash), password_hash),
                failed_logins = CASE WHEN \(unlock) THEN 0 ELSE failed_logins END,
                locked_until = CASE WHEN \(unlock) THEN NULL ELSE locked_until END,
                version = version + 1, updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
        // A deactivated user, or one whose password was reset, keeps no session beyond the
        // access tokens already issued (they expire within CRM_ACCESS_TOKEN_MINUTES).
        if fields.active == false || fields.passwordHash != nil {
            _ = try await RefreshTokenStore(connection: connection, logger: logger)
                .revokeAll(userID: id, why: fields.active == false ? "deactivated" : "password changed", now: now)
        }
    }

    /// The store ids, of those given, that belong to the group.
    func storesInGroup(_ ids: [UUID], group: UUID) async throws -> Set<UUID> {
        let rows = try await connection.query("""
            SELECT id FROM identity.store WHERE group_id = \(group) AND id = ANY(\(ids))
            """, logger: logger)
        return Set(try await rows.decode(UUID.self).all())
    }
}
