import Foundation
import Logging
import PostgresNIO

/// Human document numbers staff read out on the phone: a prefix, the store's date and a
/// sequence per store and day — `KS2611220001` is the first complaint of 22 Nov 2026.
///
/// The counters live in the service's own `document_sequence` table (store, prefix, day, last),
/// which each service using numbers creates in a migration.
public struct DocumentNumbers {
    public let connection: PostgresConnection
    public let logger: Logger
    public let directory: Directory

    public init(connection: PostgresConnection, logger: Logger, directory: Directory) {
        self.connection = connection
        self.logger = logger
        self.directory = directory
    }

    public func next(prefix: String, store: UUID, at date: Date = Date()) async throws -> String {
        let timeZone = try await directory.timeZone(of: store, on: connection, logger: logger)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let day = calendar.dateComponents([.year, .month, .day], from: date)
        let dayText = String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
        let table = directory.schema.qualify("document_sequence")
        var binds = PostgresBindings(capacity: 3)
        binds.append(store)
        binds.append(prefix)
        binds.append(dayText)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table) AS sequence (store_id, prefix, day, last) VALUES ($1, $2, $3::date, 1)
            ON CONFLICT (store_id, prefix, day) DO UPDATE SET last = sequence.last + 1
            RETURNING last
            """, binds: binds), logger: logger)
        let sequence = try await rows.decode(Int.self).all().first ?? 1
        return prefix + String(format: "%02d%02d%02d%04d", day.year! % 100, day.month!, day.day!, sequence)
    }
}
