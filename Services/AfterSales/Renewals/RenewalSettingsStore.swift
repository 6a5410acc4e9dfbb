import Foundation
import Logging
import PostgresNIO

/// The stores' renewal rules in `aftersales.renewal_setting`, one row per store that saved any.
struct RenewalSettingsStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's rules, or the defaults if it never saved any.
    func settings(store: UUID) async throws -> RenewalSettings {
        let rows = try await connection.query("""
            SELECT level1_days, level2_days FROM aftersales.renewal_setting WHERE store_id = \(store)
            """, logger: logger)
        for try await (level1, level2) in rows.decode((Int, Int).self) {
            return RenewalSettings(level1Days: level1, level2Days: level2)
        }
        return .defaults
    }

    /// Saves the store's rules, replacing what it had.
    func save(_ settings: RenewalSettings, store: UUID) async throws {
        try await connection.query("""
            INSERT INTO aftersales.renewal_setting (store_id, level1_days, level2_days)
            VALUES (\(store), \(settings.level1Days), \(settings.level2Days))
            ON CONFLICT (store_id) DO UPDATE SET level1_days = EXCLUDED.level1_days, level2_days = EXCLUDED.level2_days,
                updated_at = now()
            """, logger: logger)
    }
}
