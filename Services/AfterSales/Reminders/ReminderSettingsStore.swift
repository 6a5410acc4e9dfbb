import Foundation
import Logging
import PostgresNIO

/// The stores' reminder rules in `aftersales.reminder_setting` (one row per store that saved
/// any) and `aftersales.reminder_switch` (one row per store and kind saved).
struct ReminderSettingsStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's rules; what it never saved is `ReminderSettings.defaults`.
    func settings(store: UUID) async throws -> ReminderSettings {
        var settings = ReminderSettings.defaults
        let rows = try await connection.query("""
            SELECT default_contact_method, maintenance_interval_months, maintenance_interval_km,
                   inspection_first_year, inspection_every_years, inspection_yearly_from_year
            FROM aftersales.reminder_setting WHERE store_id = \(store)
            """, logger: logger)
        for try await (method, months, km, first, every, yearlyFrom) in rows.decode((String, Int, Int?, Int, Int, Int).self) {
            settings.defaultContactMethod = method
            settings.maintenanceIntervalMonths = months
            settings.maintenanceIntervalKm = km
            settings.inspectionFirstYear = first
            settings.inspectionEveryYears = every
            settings.inspectionYearlyFromYear = yearlyFrom
        }
        let switches = try await connection.query("""
            SELECT kind, to_char(effective_from, 'YYYY-MM-DD'), days_ahead FROM aftersales.reminder_switch WHERE store_id = \(store)
            """, logger: logger)
        for try await (kind, effectiveFrom, daysAhead) in switches.decode((String, String?, Int).self) {
            guard let kind = ReminderKind(rawValue: kind) else { continue }
            settings.switches[kind] = .init(enabled: effectiveFrom != nil, daysAhead: daysAhead, effectiveFrom: effectiveFrom)
        }
        return settings
    }

    /// Saves the store's rules, replacing what it had. A kind switched on that was off (or
    /// never saved) takes effect on `tomorrow` (the store's next day); one that stays on keeps
    /// its day; one switched off is off at once.
    func save(_ settings: ReminderSettings, store: UUID, tomorrow: String) async throws {
        try await connection.query("""
            INSERT INTO aftersales.reminder_setting (store_id, default_contact_method, maintenance_interval_months, maintenance_interval_km,
                inspection_first_year, inspection_every_years, inspection_yearly_from_year)
            VALUES (\(store), \(settings.defaultContactMethod), \(settings.maintenanceIntervalMonths), \(settings.maintenanceIntervalKm),
                \(settings.inspectionFirstYear), \(settings.inspectionEveryYears), \(settings.inspectionYearlyFromYear))
            ON CONFLICT (store_id) DO UPDATE SET
                default_contact_method = EXCLUDED.default_contact_method,
                maintenance_interval_months = EXCLUDED.maintenance_interval_months,
                maintenance_interval_km = EXCLUDED.maintenance_interval_km,
                inspection_first_year = EXCLUDED.inspection_first_year,
                inspection_every_years = EXCLUDED.inspection_every_years,
                inspection_yearly_from_year = EXCLUDED.inspection_yearly_from_year,
                updated_at = now()
            """, logger: logger)
        let kinds = ReminderKind.allCases
        let enabled = kinds.map { settings.switches[$0].enabled }
        let daysAhead = kinds.map { settings.switches[$0].daysAhead }
        try await connection.query("""
            INSERT INTO aftersales.reminder_switch (store_id, kind, effective_from, days_ahead)
            SELECT \(store), k.kind, CASE WHEN k.enabled THEN \(tomorrow)::date END, k.days_ahead
            FROM unnest(\(kinds.map(\.rawValue))::text[], \(enabled)::boolean[], \(daysAhead)::int[]) AS k(kind, enabled, days_ahead)
            ON CONFLICT (store_id, kind) DO UPDATE SET
                effective_from = CASE
                    WHEN EXCLUDED.effective_from IS NULL THEN NULL
                    ELSE COALESCE(aftersales.reminder_switch.effective_from, EXCLUDED.effective_from)
                END,
                days_ahead = EXCLUDED.days_ahead,
                updated_at = now()
            """, logger: logger)
    }
}
