import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The SMS platform's rules as stored (M5): the opt-out list `marketing.sms_opt_out` (回复TD退订)
/// and each store's daily cap in `marketing.sms_setting`.
struct SmsRulesStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The store's settings; a store that saved none has `SmsSettings.defaults`.
    func settings(store: UUID) async throws -> SmsSettings {
        let cap = try await connection.query("""
            SELECT daily_cap FROM marketing.sms_setting WHERE store_id = \(store)
            """, logger: logger).decode(Int.self).all().first
        return cap.map { SmsSettings(dailyCap: $0) } ?? .defaults
    }

    func save(_ settings: SmsSettings, store: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.sms_setting (store_id, daily_cap) VALUES (\(store), \(settings.dailyCap))
            ON CONFLICT (store_id) DO UPDATE SET daily_cap = EXCLUDED.daily_cap, updated_at = now()
            """, logger: logger)
    }

    /// Whether `mobile` is on the store's opt-out list.
    func isOptedOut(store: UUID, mobile: String) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM marketing.sms_opt_out WHERE store_id = \(store) AND mobile = \(mobile)
            """, logger: logger).decode(Int.self).all().first != nil
    }

    /// Puts `mobile` on the store's list (once: an entry already there stays as it was).
    /// Returns whether it was new.
    @discardableResult
    func optOut(store: UUID, mobile: String, source: String, note: String?, at: Date) async throws -> Bool {
        try await connection.query("""
            INSERT INTO marketing.sms_opt_out (store_id, mobile, source, note, created_at)
            VALUES (\(store), \(mobile), \(source), \(note), \(at))
            ON CONFLICT (store_id, mobile) DO NOTHING
            RETURNING 1
            """, logger: logger).decode(Int.self).all().first != nil
    }

    /// A reply of TD from `mobile`: on the list of every store that has messaged the mobile
    /// (the provider's account is the installation's, so the reply names no store). Returns
    /// how many stores' lists gained it.
    func optOutByReply(mobile: String, at: Date) async throws -> Int {
        try await connection.query("""
            INSERT INTO marketing.sms_opt_out (store_id, mobile, source, note, created_at)
            SELECT DISTINCT store_id, \(mobile), 'reply', '短信回复退订', \(at) FROM marketing.sms_message WHERE mobile = \(mobile)
            ON CONFLICT (store_id, mobile) DO NOTHING
            RETURNING 1
            """, logger: logger).decode(Int.self).all().count
    }

    /// Takes `mobile` off the store's list; whether it was on it.
    func remove(store: UUID, mobile: String) async throws -> Bool {
        try await connection.query("""
            DELETE FROM marketing.sms_opt_out WHERE store_id = \(store) AND mobile = \(mobile) RETURNING 1
            """, logger: logger).decode(Int.self).all().first != nil
    }

    /// The store's list, newest first; `mobile` finds one.
    func list(store: UUID, mobile: String?, page: PageRequest) async throws -> Page<SmsOptOutView> {
        var query = QueryBuilder(" FROM marketing.sms_opt_out o WHERE o.store_id = ")
        query.append("", bind: store)
        if let mobile { query.append(" AND o.mobile = ", bind: mobile) }
        let total = try await query.count(on: connection, logger: logger)
        let rows = try await connection.query(
            query.ordered(by: "o.created_at DESC, o.mobile", page).build(prefix: "SELECT o.mobile, o.source, o.note, o.created_at"), logger: logger)
        var items: [SmsOptOutView] = []
        for try await (mobile, source, note, createdAt) in rows.decode((String, String, String?, Date).self) {
            items.append(SmsOptOutView(mobile: mobile, source: source, note: note, createdAt: createdAt))
        }
        return Page(items: items, request: page, total: total)
    }

    /// The entry of `mobile`, if on the list.
    func entry(store: UUID, mobile: String) async throws -> SmsOptOutView? {
        try await list(store: store, mobile: mobile, page: PageRequest(page: 1, pageSize: 1)).items.first
    }
}
