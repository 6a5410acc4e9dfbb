import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store's lead rules (线索规则): days until the next follow-up per intent level, with the
/// defaults of `LeadLevel.defaultInterval` where the store has set none.
struct LeadRules {
    let connection: PostgresConnection
    let logger: Logger

    struct Interval: Codable, Sendable {
        var level: LeadLevel
        var intervalDays: Int
    }

    func intervals(store: UUID) async throws -> [Interval] {
        var set: [LeadLevel: Int] = [:]
        for try await (level, days) in try await connection.query("""
            SELECT level, interval_days FROM leads.lead_rule WHERE store_id = \(store)
            """, logger: logger).decode((String, Int).self)
        {
            if let level = LeadLevel(rawValue: level) { set[level] = days }
        }
        return LeadLevel.allCases.map { Interval(level: $0, intervalDays: set[$0] ?? $0.defaultInterval) }
    }

    func interval(for level: LeadLevel, store: UUID) async throws -> Int {
        try await intervals(store: store).first { $0.level == level }?.intervalDays ?? level.defaultInterval
    }

    func set(_ intervals: [Interval], store: UUID) async throws {
        for interval in intervals {
            try await connection.query("""
                INSERT INTO leads.lead_rule (store_id, level, interval_days) VALUES (\(store), \(interval.level.rawValue), \(interval.intervalDays))
                ON CONFLICT (store_id, level) DO UPDATE SET interval_days = EXCLUDED.interval_days
                """, logger: logger)
        }
    }
}
