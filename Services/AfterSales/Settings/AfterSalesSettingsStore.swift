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
            SELECT churn_months, follow_up_days_loyal, follow_up_days_favoured, follow_up_days_ordinary, follow_up_days_lost,
                   follow_up_days_potential
            FROM aftersales.after_sales_setting WHERE store_id = \(store)
            """, logger: logger)
        for try await (churnMonths, loyal, favoured, ordinary, lost, potential) in rows.decode((Int, Int, Int, Int, Int, Int).self) {
            return AfterSalesSettings(
                churnMonths: churnMonths,
                followUpDays: .init(loyal: loyal, favoured: favoured, ordinary: ordinary, lost: lost, potential: potential))
        }
        return .defaults
    }

    /// Saves the store's rules, replacing what it had.
    func save(_ settings: AfterSalesSettings, store: UUID) async throws {
        let days = settings.followUpDays
        try await connection.query("""
            INSERT INTO aftersales.after_sales_setting (
                store_id, churn_months, follow_up_days_loyal, follow_up_days_favoured, follow_up_days_ordinary, follow_up_days_lost,
                follow_up_days_potential)
            VALUES (\(store), \(settings.churnMonths), \(days.loyal), \(days.favoured), \(days.ordinary), \(days.lost), \(days.potential))
            ON CONFLICT (store_id) DO UPDATE SET churn_months = EXCLUDED.churn_months,
                follow_up_days_loyal = EXCLUDED.follow_up_days_loyal, follow_up_days_favoured = EXCLUDED.follow_up_days_favoured,
                follow_up_days_ordinary = EXCLUDED.follow_up_days_ordinary, follow_up_days_lost = EXCLUDED.follow_up_days_lost,
                follow_up_days_potential = EXCLUDED.follow_up_days_potential, updated_at = now()
            """, logger: logger)
    }
}
