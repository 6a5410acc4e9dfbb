import Foundation
import Logging
import PostgresNIO

/// A service's PostgreSQL: a connection pool logged in as the service's own role, and the one
/// schema that role owns.
public struct Database: Sendable {
    /// The pool, replaced by a fresh one if it stops handing out connections.
    public let pool: DatabasePool
    public let schema: SQLIdentifier
    public let logger: Logger

    /// The pool in use now.
    public var client: PostgresClient { pool.client }

    public init(pool: DatabasePool, schema: SQLIdentifier, logger: Logger) {
        self.pool = pool
        self.schema = schema
        self.logger = logger
    }

    /// A database on a pool its caller runs (tests, benchmarks).
    public init(client: PostgresClient, schema: SQLIdentifier, logger: Logger) {
        self.init(pool: DatabasePool(fixed: client, logger: logger), schema: schema, logger: logger)
    }

    /// Creates the pool; `run()` it in a long-running task (the service group does).
    public static func makeClient(url: PostgresURL, maximumConnections: Int = 10, logger: Logger) -> PostgresClient {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// How long a transaction waits for a pooled connection before it gives up with
    /// `DatabaseUnavailable`: a request then answers 503 within a few seconds instead of hanging,
    /// and a consumer hands its batch back or waits for the database (issue 11).
    public static let connectionWait: Duration = .seconds(3)

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    ///
    /// What `body` throws comes out as it was thrown (a 404 problem stays a 404), not wrapped
    /// in postgres-nio's `PostgresTransactionError`, once the rollback has succeeded.
    /// - Throws: `DatabaseUnavailable` when no connection is had within `connectionWait`.
    public func withTransaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        // What the transaction asks to do once committed (an outbox write waking the relay).
        let afterCommit = AfterCommit()
        let result: Result
        do {
            result = try await AfterCommit.$current.withValue(afterCommit) {
                try await withConnection { connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await body(connection)
                    }
                }
            }
        } catch let error as PostgresTransactionError {
            if let thrown = error.closureError, error.rollbackError == nil { throw thrown }
            throw error
        }
        afterCommit.run()
        return result
    }

    /// Runs `body` with a pooled connection, waiting at most `connectionWait` for one.
    ///
    /// The wait is bounded on purpose: postgres-nio's pool, after the database came back from a
    /// restart, can leave the requests it queued meanwhile waiting for ever. A request given up
    /// here is taken out of that queue, and the next one asks the pool for a connection afresh.
    /// - Throws: `DatabaseUnavailable` when no connection is had in time; whatever `body` throws.
    public func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let lease: ConnectionHandoff.Lease
        do {
            lease = try await ConnectionHandoff.lease(from: client, deadline: Self.connectionWait)
        } catch let error as DatabaseUnavailable {
            pool.leaseTimedOut()
            throw error
        }
        defer { lease.release() }
        return try await body(lease.connection)
    }

    /// Like `withTransaction`, but for a dry run (`dryRun`) the transaction is rolled back after
    /// `body` has returned: the caller gets what the work would have done — an import's report —
    /// and nothing is kept, not even an outbox event.
    public func withTransaction<Result: Sendable>(dryRun: Bool, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        guard dryRun else { return try await withTransaction(body) }
        do {
            _ = try await withTransaction { connection -> Result in
                throw DryRunFinished(result: try await body(connection))
            }
            preconditionFailure("a dry run always rolls back")
        } catch let finished as DryRunFinished<Result> {
            return finished.result
        }
    }

    /// Does the database answer? On a connection of its own (`DatabasePool.databaseAnswers`),
    /// so that readiness tells the truth whatever the pool is doing; through the pool, within a
    /// second, for a pool its caller runs.
    public func isReachable() async -> Bool {
        if let answers = await pool.databaseAnswers() { return answers }
        do {
            return try await withTimeout(.seconds(1)) {
                try await client.query("SELECT 1", logger: logger).collect().count == 1
            }
        } catch {
            return false
        }
    }
}

/// A schema or table name that is safe to put into SQL text (identifiers cannot be bound).
public struct SQLIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    /// Accepts lower-case letters, digits and underscores, starting with a letter: the names
    /// Dealer CRM gives its schemas. Anything else is a programming or configuration error.
    public init(_ name: String) throws {
        guard name.range(of: "^[a-z][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw ConfigurationError.invalid(name: "schema", reason: "\(name) is not a plain lower-case SQL identifier")
        }
        self.name = name
    }

    public var description: String { name }

    /// `schema.table`, for SQL text.
    public func qualify(_ table: String) -> String { "\(name).\(table)" }
}

/// Where PostgreSQL is, from a `postgres://user:password@host:port/database` URL.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw ConfigurationError.invalid(name: "CRM_DATABASE_URL", reason: "expected postgres://user:password@host:port/database")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password?.removingPercentEncoding ?? ""
        let path = String(components.path.dropFirst())
        self.database = path.isEmpty ? "dealer_crm" : path
    }

    /// The URL without its password, for logs and status pages.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// Runs `operation`, throwing `TimeoutError` if it takes longer than `timeout`.
public func withTimeout<Result: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public var description: String { "timed out" }
}

/// Carries a dry run's result out of its transaction, which throwing it rolls back.
private struct DryRunFinished<Result: Sendable>: Error {
    var result: Result
}
