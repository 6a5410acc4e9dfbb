import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// An intent level (意向级别) whose follow-ups the store schedules: H, A, B, C …
public protocol IntentLevel: RawRepresentable, CaseIterable, Codable, Hashable, Sendable where RawValue == String {
    /// Days until the next follow-up when the store has set no rule of its own.
    var defaultInterval: Int { get }
}

/// A store's follow-up rules (线索规则 / 潜客跟进规则, 回访频次): days until the next follow-up per
/// intent level, kept in a table `(store_id, level, interval_days)` of the service's schema,
/// with the level's default where the store has set none.
public struct FollowUpRules<Level: IntentLevel> {
    public let connection: PostgresConnection
    public let logger: Logger
    /// The schema-qualified table, e.g. `leads.lead_rule`.
    public let table: String

    public init(table: String, connection: PostgresConnection, logger: Logger) {
        self.table = table
        self.connection = connection
        self.logger = logger
    }

    public struct Interval: Codable, Sendable {
        public var level: Level
        public var intervalDays: Int

        public init(level: Level, intervalDays: Int) {
            self.level = level
            self.intervalDays = intervalDays
        }
    }

    public func intervals(store: UUID) async throws -> [Interval] {
        var set: [Level: Int] = [:]
        for try await (level, days) in try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT level, interval_days FROM \(table) WHERE store_id = $1", binds: Self.binds(store)),
            logger: logger
        ).decode((String, Int).self) {
            if let level = Level(rawValue: level) { set[level] = days }
        }
        return Level.allCases.map { Interval(level: $0, intervalDays: set[$0] ?? $0.defaultInterval) }
    }

    public func interval(for level: Level, store: UUID) async throws -> Int {
        try await intervals(store: store).first { $0.level == level }?.intervalDays ?? level.defaultInterval
    }

    /// Checks the intervals (0–365 days, each level once) and saves them.
    public func set(_ intervals: [Interval], store: UUID) async throws {
        var check = FieldValidator()
        for (index, interval) in intervals.enumerated() {
            check.range("intervals[\(index)].intervalDays", interval.intervalDays, 0...365)
        }
        check.require(Set(intervals.map(\.level)).count == intervals.count, "intervals", "name each level once")
        try check.throwIfInvalid()
        for interval in intervals {
            var binds = Self.binds(store)
            binds.append(interval.level.rawValue)
            binds.append(interval.intervalDays)
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO \(table) (store_id, level, interval_days) VALUES ($1, $2, $3)
                ON CONFLICT (store_id, level) DO UPDATE SET interval_days = EXCLUDED.interval_days
                """, binds: binds), logger: logger)
        }
    }

    private static func binds(_ store: UUID) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 3)
        binds.append(store)
        return binds
    }
}

/// The handlers of `GET/PUT …/rules`: read the store's follow-up rules, or set them — the same
/// two for every context that schedules follow-ups. The service registers them on its path:
///
/// ```swift
/// let rules = FollowUpRulesRoutes<LeadLevel>(environment: environment, table: "leads.lead_rule", read: .readLeads, configure: .configureLeads)
/// group.get("leads/rules", use: rules.rules)
/// group.put("leads/rules", use: rules.setRules)
/// ```
public struct FollowUpRulesRoutes<Level: IntentLevel>: Sendable {
    public let environment: ServiceEnvironment
    /// The schema-qualified rules table.
    public let table: String
    public let readPermission: Permission
    public let configurePermission: Permission

    public init(environment: ServiceEnvironment, table: String, read: Permission, configure: Permission) {
        self.environment = environment
        self.table = table
        self.readPermission = read
        self.configurePermission = configure
    }

    public struct Rules: Codable, Sendable, ResponseEncodable {
        public var intervals: [FollowUpRules<Level>.Interval]
    }

    @Sendable public func rules(_ request: Request, context: CRMRequestContext) async throws -> Rules {
        let principal = try context.require(readPermission)
        return try await environment.database.withTransaction { connection in
            Rules(intervals: try await FollowUpRules<Level>(table: table, connection: connection, logger: environment.logger).intervals(store: principal.storeID))
        }
    }

    @Sendable public func setRules(_ request: Request, context: CRMRequestContext) async throws -> Rules {
        let principal = try context.require(configurePermission)
        let body = try await request.decodeJSON(as: Rules.self, context: context)
        return try await environment.database.withTransaction { connection in
            let rules = FollowUpRules<Level>(table: table, connection: connection, logger: environment.logger)
            try await rules.set(body.intervals, store: principal.storeID)
            return Rules(intervals: try await rules.intervals(store: principal.storeID))
        }
    }
}
