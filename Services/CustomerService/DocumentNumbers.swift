import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Human document numbers staff read out on the phone: a prefix, the store's date and a
/// sequence per store and day — `KS2611220001` is the first complaint of 22 Nov 2026.
struct DocumentNumbers {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    func next(prefix: String, store: UUID, at date: Date = Date()) async throws -> String {
        let timeZone = try await directory.timeZone(of: store, on: connection, logger: logger)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let day = calendar.dateComponents([.year, .month, .day], from: date)
        let dayText = String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
        let rows = try await connection.query("""
            INSERT INTO customer_service.document_sequence (store_id, prefix, day, last) VALUES (\(store), \(prefix), \(dayText)::date, 1)
            ON CONFLICT (store_id, prefix, day) DO UPDATE SET last = document_sequence.last + 1
            RETURNING last
            """, logger: logger)
        let sequence = try await rows.decode(Int.self).all().first ?? 1
        return prefix + String(format: "%02d%02d%02d%04d", day.year! % 100, day.month!, day.day!, sequence)
    }
}
