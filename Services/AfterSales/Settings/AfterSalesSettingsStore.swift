import Foundation
import Logging
import PostgresNIO

/// The stores' after-sales rules in `aftersales.after_sales_setting`, one row per store that
/// saved any.
struct AfterSalesSettingsStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's rules, or the defaults if it never saved any.
    func settings(store: UUID) async throws -> AfterSalesSettings {
        let rows = try await connection.query("""
            SELECT churn_months FROM aftersales.after_sales_setting WHERE store_id = \(store)
            """, logger: logger)
        for try await churnMonths in rows.decode(Int.self) {
            return AfterSalesSettings(churnMonths: churnMonths)
        }
        return .defaults
    }

    /// Saves the store's rules, replacing what it had.
    func save(_ settings: AfterSalesSettings, store: UUID) async throws {
        try await connection.query("""
            INSERT INTO aftersales.after_sales_setting (store_id, churn_months) VALUES (\(store), \(settings.churnMonths))
            ON CONFLICT (store_id) DO UPDATE SET churn_months = EXCLUDED.churn_months, updated_at = now()
            """, logger: logger)
    }
}
