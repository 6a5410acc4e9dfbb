import Foundation
import Logging
import PostgresNIO

/// The numbers of repair orders opened in the CRM: `RO` + the store's local day as `yyMMdd` + a
/// sequence of the store and day from 0001 — `RO2403180001`, the ERP's own format, so that staff
/// read both alike.
struct RepairOrderNumbers {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's next number for the day `openedAt` falls on in the store's time zone. Takes
    /// a lock on the store's day until the transaction ends: concurrent openings wait in turn.
    func next(store: UUID, openedAt: Date, timeZone: TimeZone) async throws -> String {
        let day = Self.day(of: openedAt, in: timeZone)
        let dayText = String(format: "%04d-%02d-%02d", day.year, day.month, day.day)
        let rows = try await connection.query("""
            INSERT INTO aftersales.repair_order_number (store_id, day, last_sequence) VALUES (\(store), \(dayText)::date, 1)
            ON CONFLICT (store_id, day) DO UPDATE SET last_sequence = repair_order_number.last_sequence + 1
            RETURNING last_sequence
            """, logger: logger)
        let sequence = try await rows.decode(Int.self).all().first ?? 1
        return Self.number(year: day.year, month: day.month, day: day.day, sequence: sequence)
    }

    /// `RO` + `yyMMdd` + the sequence, four digits (more after the 9999th order of a day).
    static func number(year: Int, month: Int, day: Int, sequence: Int) -> String {
        String(format: "RO%02d%02d%02d%04d", year % 100, month, day, sequence)
    }

    static func day(of date: Date, in timeZone: TimeZone) -> (year: Int, month: Int, day: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return (parts.year!, parts.month!, parts.day!)
    }
}
