import Foundation
import PostgresNIO
import _ConnectionPoolModule
import Metrics

/// The database could not be reached in time: no connection could be had within the lease
/// bound (`Database.connectionWait`), the server is restarting, or the connection broke.
/// Requests answer it with 503 and `Retry-After`; consumers wait for the database and try again.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "the database is unavailable: \(reason)" }
}

/// Sorts database errors into those of the connection — worth waiting out — and those of the
/// statement, which a retry cannot cure (issue 11).
public enum DatabaseFailure {
    /// Whether `error` says the database is away rather than that a statement was wrong: a lost
    /// or refused connection, a server shutting down or starting (SQLSTATE 57P01–57P03), too many
    /// connections (53300), a connection exception (class 08), the pool's circuit breaker, or no
    /// connection within the lease bound.
    public static func isConnectionProblem(_ error: any Error) -> Bool {
        switch error {
        case is DatabaseUnavailable:
            return true
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                guard let state = error.serverInfo?[.sqlState] else { return false }
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
            default:
                return false
            }
        case let error as PostgresTransactionError:
            return [error.beginError, error.closureError, error.commitError, error.rollbackError]
                .compactMap { $0 }.contains(where: isConnectionProblem)
        case is ConnectionPoolError:
            return true
        default:
            return false
        }
    }

    /// The SQLSTATE of a server error (`23505`), `connection` for a connection problem without
    /// one, nil otherwise: the label of `crm_database_errors_total`.
    public static func sqlState(of error: any Error) -> String? {
        switch error {
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] { return state }
            return isConnectionProblem(error) ? "connection" : nil
        case let error as PostgresTransactionError:
            return [error.closureError, error.beginError, error.commitError, error.rollbackError]
                .compactMap { $0 }.lazy.compactMap(sqlState(of:)).first
        default:
            return isConnectionProblem(error) ? "connection" : nil
        }
    }
}

extension DatabaseFailure {
    /// What a log line says of an error (issue 12): for a PostgreSQL error what the server said —
    /// `SQLSTATE 42P01: relation "leads.lead" does not exist (detail …, hint …) in "SELECT …"` —
    /// and for a lost connection what broke. Never the bound values: `String(reflecting:)` of a
    /// `PSQLError` prints the query's binds (mobiles, names), and its `description` is a
    /// deliberately empty "Generic description to prevent accidental leakage".
    public static func logText(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let info = error.serverInfo {
                var text = "SQLSTATE \(info[.sqlState] ?? "?"): \(info[.message] ?? "(no message)")"
                if let detail = info[.detail] { text += " (detail: \(detail))" }
                if let hint = info[.hint] { text += " (hint: \(hint))" }
                if let sql = error.query?.sql { text += " in \"\(statement(sql))\"" }
                return text
            }
            var text = "PostgreSQL \(error.code)"
            if let underlying = error.underlying { text += ": \(underlying)" }
            if let sql = error.query?.sql { text += " in \"\(statement(sql))\"" }
            return text
        case let error as PostgresTransactionError:
            let parts: [(String, (any Error)?)] = [
                ("begin", error.beginError), ("in the transaction", error.closureError),
                ("commit", error.commitError), ("rollback", error.rollbackError),
            ]
            return parts.compactMap { name, failure in failure.map { "\(name): \(logText($0))" } }.joined(separator: "; ")
        default:
            return "\(error)"
        }
    }

    /// The statement's text on one line, shortened: enough to tell which statement it was.
    private static func statement(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }
}

/// `crm_database_errors_total{sqlstate}`: database errors by SQLSTATE (`connection` for a
/// connection lost or refused without one), so a dashboard tells a restart from a bug.
public enum DatabaseErrors {
    public static func count(_ error: any Error) {
        guard let state = DatabaseFailure.sqlState(of: error) else { return }
        Counter(label: "crm_database_errors_total", dimensions: [("sqlstate", state)]).increment()
    }
}
