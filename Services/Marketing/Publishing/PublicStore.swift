import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store a public page asks about, by the code customers' links carry (`?store=HX000001`):
/// the customer-facing site (车管家前端) is one store's, and a public request has no token that
/// could say which.
struct PublicStoreLookup {
    let connection: PostgresConnection
    let logger: Logger

    /// The store with that code (exactly, as the gateway announced it), or nil.
    func store(code: String) async throws -> (id: UUID, timeZone: TimeZone)? {
        let rows = try await connection.query(
            "SELECT id, time_zone FROM marketing.directory_store WHERE code = \(code)", logger: logger)
        for try await (id, zone) in rows.decode((UUID, String).self) {
            return (id, TimeZone(identifier: zone) ?? Directory.defaultTimeZone)
        }
        return nil
    }

    /// The store named by the `store` query parameter; 404 when no store has that code.
    static func require(_ code: String, on connection: PostgresConnection, logger: Logger) async throws -> (id: UUID, timeZone: TimeZone) {
        guard let store = try await PublicStoreLookup(connection: connection, logger: logger).store(code: code) else {
            throw ProblemDetails.notFound("store \(code)")
        }
        return store
    }
}
