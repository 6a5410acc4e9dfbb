import Crypto
import Foundation
import Logging
import PostgresNIO

/// One numbered SQL file, applied once per schema.
public struct Migration: Sendable, Equatable {
    /// `001_create_repair_orders`: the file name without `.sql`; applied in this order.
    public var version: String
    public var sql: String

    public init(version: String, sql: String) {
        self.version = version
        self.sql = sql
    }

    /// Reads every `NNN_name.sql` file of a folder, ordered by name.
    public static func load(from folder: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try names.map { name in
            guard name.range(of: "^[0-9]{3}_[a-z0-9_]+\\.sql$", options: .regularExpression) != nil else {
                throw MigrationError.badFileName(name)
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            return Migration(version: String(name.dropLast(4)), sql: sql)
        }
    }

    var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case badFileName(String)
    case editedAfterApplying(String)

    public var description: String {
        switch self {
        case .badFileName(let name): return "migration file \(name) must be named NNN_lower_case_name.sql"
        case .editedAfterApplying(let version):
            return "migration \(version) was changed after it was applied; add a new migration instead"
        }
    }
}

/// Applies migrations to the service's schema at start-up.
///
/// Everything happens in one transaction under an advisory lock on the schema's name, so that
/// several replicas starting at once apply each migration exactly once, and a failed migration
/// leaves nothing behind. Inside it, `search_path` is the service's schema, so migration files
/// name their tables without a schema.
public struct MigrationRunner: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// ServiceKit's own tables, applied before the service's: the outbox, the inbox and the directory.
    public static let platformMigrations: [Migration] = [
        Migration(version: "000_servicekit_outbox_inbox", sql: """
            CREATE TABLE outbox (
                seq          bigserial PRIMARY KEY,
                event_id     text NOT NULL UNIQUE,
                event_type   text NOT NULL,
                envelope     jsonb NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT now(),
                available_at timestamptz NOT NULL DEFAULT now(),
                attempts     integer NOT NULL DEFAULT 0,
                last_error   text,
                published_at timestamptz
            );
            -- The relay reads only what is still to send, oldest first.
            CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

            CREATE TABLE inbox (
                consumer    text NOT NULL,
                event_id    text NOT NULL,
                event_type  text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (consumer, event_id)
            );
            """),
        Migration(version: "000_servicekit_outbox_envelope_json", sql: """
            -- json keeps the envelope's text as written: the relay sends those bytes without
            -- PostgreSQL parsing them into jsonb and printing them back. `->` still queries it.
            ALTER TABLE outbox ALTER COLUMN envelope TYPE json USING envelope::json;
            """),
        Directory.migration,
        Directory.dictionaryMigration,
        Migration(version: "000_servicekit_outbox_event_view", sql: """
            -- One row per event, whether its outbox row holds one event or a CloudEvents batch
            -- (a JSON array, Outbox.appendAsBatch): what ops and tests read to see what a
            -- service announced. `message_id` is the row's (the message's) id, `event_id` the event's.
            CREATE VIEW outbox_event AS
            SELECT o.seq, e.position, o.event_id AS message_id, e.envelope ->> 'id' AS event_id, o.event_type, e.envelope,
                   o.created_at, o.available_at, o.attempts, o.last_error, o.published_at
            FROM outbox o
            CROSS JOIN LATERAL json_array_elements(
                CASE json_typeof(o.envelope) WHEN 'array' THEN o.envelope ELSE json_build_array(o.envelope) END
            ) WITH ORDINALITY AS e(envelope, position);
            """),
        Migration(version: "000_servicekit_outbox_envelope_lz4", sql: """
            -- A CloudEvents batch is a few hundred kilobytes of JSON, which PostgreSQL compresses
            -- out of line; lz4 does that several times faster than the default pglz (a coupon
            -- push writes 200 batches of 500 events). Rows written before keep pglz; both read.
            -- A PostgreSQL without lz4 (built without it, or before 14) keeps pglz.
            DO $$
            BEGIN
                EXECUTE 'ALTER TABLE outbox ALTER COLUMN envelope SET COMPRESSION lz4';
            EXCEPTION WHEN feature_not_supported OR syntax_error THEN
                RAISE NOTICE 'lz4 is not available here; the outbox keeps pglz';
            END
            $$;
            """),
    ]

    /// Applies what is missing and returns the versions it applied.
    @discardableResult
    public func apply(_ migrations: [Migration]) async throws -> [String] {
        let all = Self.platformMigrations + migrations
        let schema = database.schema
        let logger = database.logger
        return try await database.withTransaction { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(hashtext('\(schema.name).migrations'))"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(schema.name)"), logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: [String: String] = [:]
            for try await (version, checksum) in try await connection.query(
                "SELECT version, checksum FROM schema_migrations", logger: logger
            ).decode((String, String).self) {
                applied[version] = checksum
            }
            var newlyApplied: [String] = []
            for migration in all {
                if let checksum = applied[migration.version] {
                    guard checksum == migration.checksum else { throw MigrationError.editedAfterApplying(migration.version) }
                    continue
                }
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, checksum) VALUES (\(migration.version), \(migration.checksum))",
                    logger: logger)
                newlyApplied.append(migration.version)
                logger.info("applied migration", metadata: ["schema": "\(schema)", "version": "\(migration.version)"])
            }
            return newlyApplied
        }
    }
}
