import Foundation
import Logging
import PostgresNIO

/// Scheduled work done store by store in every replica of a service (the renewal pass, the
/// care-reminder pass): each store's pass runs in a transaction of its own that first takes the
/// store's transaction-level advisory lock for the work, so two replicas never run one store's
/// pass at the same time (the second skips the store instead of waiting on the first's rows),
/// and a store whose pass fails — a row the rules cannot read, say — is logged and the other
/// stores go on.
public enum StorePasses {
    /// Runs `pass` for each of `stores`; returns the results of the stores it ran, by store.
    /// - Parameters:
    ///   - work: names the lock and the log lines ("aftersales.renewal_pass").
    public static func run<Result: Sendable>(
        _ work: String, stores: [UUID], in environment: ServiceEnvironment,
        pass: (UUID, PostgresConnection) async throws -> Result
    ) async -> [UUID: Result] {
        var results: [UUID: Result] = [:]
        for store in stores {
            do {
                let result = try await environment.database.withTransaction { connection -> Result? in
                    guard try await tryLock(work, store: store, on: connection, logger: environment.logger) else { return nil }
                    return try await pass(store, connection)
                }
                if let result { results[store] = result }
            } catch {
                DatabaseErrors.count(error)
                environment.logger.warning("\(work) failed for a store; the other stores go on", metadata: [
                    "store": "\(store)", "error": "\(DatabaseFailure.logText(error))",
                ])
            }
        }
        return results
    }

    /// Takes the store's lock of `work` for the rest of the transaction; false when another
    /// transaction holds it.
    public static func tryLock(_ work: String, store: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("""
            SELECT pg_try_advisory_xact_lock(hashtext(\(work)), hashtext(\(store.uuidString.lowercased())))
            """, logger: logger).decode(Bool.self).all().first ?? false
    }
}
