import Contracts
import Foundation
import Logging
import PostgresNIO

/// A service's copy of the stores and users the gateway owns, kept from the gateway's
/// `identity.store.changed.v1` and `identity.user.changed.v1` events.
///
/// Services need to know a few things about people and stores without calling the gateway:
/// whether an assignee exists and works in the store, who is in a team leader's team, which
/// stores make up the caller's group, and a store's time zone. Every service that consumes
/// events follows the directory (ServiceRunner adds the handlers); its tables come with the
/// platform migrations.
public struct Directory: Sendable {
    public struct Store: Sendable, Equatable {
        public var id: UUID
        public var groupID: UUID
        public var code: String
        public var name: String
        public var timeZone: TimeZone
    }

    public struct User: Sendable, Equatable {
        public var id: UUID
        public var username: String
        public var displayName: String
        public var mobile: String?
        public var teamID: UUID?
        public var storeIDs: [UUID]
        public var role: String
        public var active: Bool
    }

    public let schema: SQLIdentifier
    /// Dictionary sets read lately, shared by the copies of this value (`recentDictionaries`).
    let recent = RecentDictionaries()

    public init(schema: SQLIdentifier) {
        self.schema = schema
    }

    static let migration = Migration(version: "000_servicekit_directory", sql: """
        -- The stores and users of the gateway, as last announced (see ServiceKit's Directory).
        CREATE TABLE directory_store (
            id         uuid PRIMARY KEY,
            group_id   uuid NOT NULL,
            code       text NOT NULL,
            name       text NOT NULL,
            time_zone  text NOT NULL,
            version    bigint NOT NULL
        );
        CREATE TABLE directory_user (
            id            uuid PRIMARY KEY,
            username      text NOT NULL,
            display_name  text NOT NULL,
            mobile        text,
            team_id       uuid,
            store_ids     uuid[] NOT NULL,
            role          text NOT NULL,
            active        boolean NOT NULL,
            version       bigint NOT NULL
        );
        CREATE INDEX directory_user_team ON directory_user (team_id);
        """)

    /// The user if they exist, are active and work in `storeID`.
    public func activeUser(_ id: UUID, inStore storeID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> User? {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, username, display_name, mobile, team_id, store_ids, role, active
            FROM \(schema.qualify("directory_user"))
            WHERE id = $1 AND active AND $2 = ANY(store_ids)
            """, binds: Self.binds(id, storeID)), logger: logger)
        for try await (id, username, displayName, mobile, teamID, storeIDs, role, active) in rows.decode(
            (UUID, String, String, String?, UUID?, [UUID], String, Bool).self)
        {
            return User(id: id, username: username, displayName: displayName, mobile: mobile, teamID: teamID, storeIDs: storeIDs, role: role, active: active)
        }
        return nil
    }

    /// The store's active users, to resolve the names staff write in an import file.
    public func activeUsers(inStore storeID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, username, display_name, mobile, team_id, store_ids, role, active
            FROM \(schema.qualify("directory_user"))
            WHERE active AND $1 = ANY(store_ids) ORDER BY username
            """, binds: Self.binds(storeID)), logger: logger)
        var users: [User] = []
        for try await (id, username, displayName, mobile, teamID, storeIDs, role, active) in rows.decode(
            (UUID, String, String, String?, UUID?, [UUID], String, Bool).self)
        {
            users.append(User(id: id, username: username, displayName: displayName, mobile: mobile, teamID: teamID, storeIDs: storeIDs, role: role, active: active))
        }
        return users
    }

    /// Display names of the given users, for lists that show who owns a record.
    public func displayNames(of ids: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(Array(Set(ids)))
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, display_name FROM \(schema.qualify("directory_user")) WHERE id = ANY($1)
            """, binds: binds), logger: logger)
        var names: [UUID: String] = [:]
        for try await (id, name) in rows.decode((UUID, String).self) { names[id] = name }
        return names
    }

    /// The store, or nil before the gateway has announced it.
    public func store(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Store? {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, group_id, code, name, time_zone FROM \(schema.qualify("directory_store")) WHERE id = $1
            """, binds: Self.binds(id)), logger: logger)
        for try await (id, groupID, code, name, timeZone) in rows.decode((UUID, UUID, String, String, String).self) {
            return Store(id: id, groupID: groupID, code: code, name: name, timeZone: TimeZone(identifier: timeZone) ?? .gmt)
        }
        return nil
    }

    /// The clock a store's days follow until the gateway has announced the store.
    public static let defaultTimeZone = TimeZone(identifier: "Asia/Shanghai")!

    /// The store's time zone: "today", due days and document numbers follow it.
    public func timeZone(of store: UUID, on connection: PostgresConnection, logger: Logger) async throws -> TimeZone {
        try await self.store(store, on: connection, logger: logger)?.timeZone ?? Self.defaultTimeZone
    }

    /// The user, or a 422 naming `field` when they are not an active user of the store — what
    /// every assignment (tasks, complaints, leads) checks of the person it names.
    @discardableResult
    public func requireActiveUser(_ id: UUID, inStore store: UUID, field: String, on connection: PostgresConnection, logger: Logger) async throws -> User {
        guard let user = try await activeUser(id, inStore: store, on: connection, logger: logger) else {
            throw ProblemDetails.validation([.init(field: field, message: "is not an active user of the store")])
        }
        return user
    }

    /// Stores or updates what an event says; an older version than the one kept is ignored,
    /// so an event that arrives late cannot undo a newer change.
    func apply(_ store: IdentityStoreChanged, on connection: PostgresConnection, logger: Logger) async throws {
        var binds = PostgresBindings()
        binds.append(store.storeId)
        binds.append(store.groupId)
        binds.append(store.code)
        binds.append(store.name)
        binds.append(store.timeZone)
        binds.append(store.version)
        let table = schema.qualify("directory_store")
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table) (id, group_id, code, name, time_zone, version) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET group_id = EXCLUDED.group_id, code = EXCLUDED.code, name = EXCLUDED.name,
                time_zone = EXCLUDED.time_zone, version = EXCLUDED.version
            WHERE \(table).version < EXCLUDED.version
            """, binds: binds), logger: logger)
    }

    func apply(_ user: IdentityUserChanged, on connection: PostgresConnection, logger: Logger) async throws {
        var binds = PostgresBindings()
        binds.append(user.userId)
        binds.append(user.username)
        binds.append(user.displayName)
        binds.append(user.mobile)
        binds.append(user.teamId)
        binds.append(user.storeIds)
        binds.append(user.role)
        binds.append(user.active)
        binds.append(user.version)
        let table = schema.qualify("directory_user")
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table) (id, username, display_name, mobile, team_id, store_ids, role, active, version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, display_name = EXCLUDED.display_name,
                mobile = EXCLUDED.mobile, team_id = EXCLUDED.team_id, store_ids = EXCLUDED.store_ids,
                role = EXCLUDED.role, active = EXCLUDED.active, version = EXCLUDED.version
            WHERE \(table).version < EXCLUDED.version
            """, binds: binds), logger: logger)
    }

    private static func binds(_ values: UUID...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}

extension EventHandlers {
    /// Keeps `directory` up to date from the gateway's events. `onStoreChanged` runs after a
    /// store is recorded, in the same transaction, for a service that sets up per-store data
    /// (CustomerService seeds its default visit template).
    public mutating func followDirectory(
        _ directory: Directory,
        onStoreChanged: (@Sendable (IdentityStoreChanged, EventContext) async throws -> Void)? = nil
    ) {
        on(IdentityStoreChanged.self) { event, context in
            try await directory.apply(event.data, on: context.connection, logger: context.logger)
            try await onStoreChanged?(event.data, context)
        }
        on(IdentityUserChanged.self) { event, context in
            try await directory.apply(event.data, on: context.connection, logger: context.logger)
        }
        on(IdentityDictionaryChanged.self) { event, context in
            try await directory.apply(event.data, on: context.connection, logger: context.logger)
        }
    }

    /// Whether the directory's events are handled already (a service may add them itself to
    /// react to store changes).
    public var followsDirectory: Bool {
        eventTypes.contains(IdentityStoreChanged.eventType)
    }
}
