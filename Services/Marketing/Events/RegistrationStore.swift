import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Registrations in `marketing.event_registration`: one per mobile and event, added by the public
/// page, checked in at the event, listed for staff.
struct RegistrationStore {
    let connection: PostgresConnection
    let logger: Logger
    let timeZone: TimeZone

    private static let columns = "r.id, r.event_id, r.mobile, r.name, r.channel_code, r.registered_at, r.checked_in_at"

    /// Adds the registration unless the mobile has one for the event already — one that another
    /// transaction is adding waits for it to finish. False when there was one.
    func add(id: UUID, event: UUID, store: UUID, mobile: String, name: String, channelCode: String?, at now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO marketing.event_registration (id, event_id, store_id, mobile, name, channel_code, registered_at)
            VALUES (\(id), \(event), \(store), \(mobile), \(name), \(channelCode), \(now))
            ON CONFLICT (event_id, mobile) DO NOTHING
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().first != nil
    }

    func registration(event: UUID, mobile: String) async throws -> RegistrationView? {
        try await views("SELECT \(unescaped: Self.columns) FROM marketing.event_registration r WHERE r.event_id = \(event) AND r.mobile = \(mobile)").first
    }

    func registration(event: UUID, id: UUID) async throws -> RegistrationView? {
        try await views("SELECT \(unescaped: Self.columns) FROM marketing.event_registration r WHERE r.event_id = \(event) AND r.id = \(id)").first
    }

    /// Checks the registration in at `now` unless it is already: true when this call did.
    func checkIn(_ id: UUID, by user: UUID, at now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE marketing.event_registration SET checked_in_at = \(now), checked_in_by = \(user)
            WHERE id = \(id) AND checked_in_at IS NULL
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().first != nil
    }

    /// The event's registrations, latest first; filtered by mobile, text in the name, channel
    /// code and whether they checked in.
    func list(event: UUID, mobile: String?, text: String?, channelCode: String?, checkedIn: Bool?, page: PageRequest) async throws -> Page<RegistrationView> {
        var query = QueryBuilder()
        query.append(" FROM marketing.event_registration r WHERE r.event_id = ", bind: event)
        if let mobile { query.append(" AND r.mobile = ", bind: mobile) }
        if let text { query.append(" AND r.name ILIKE ", bind: SearchText.containing(text)) }
        if let channelCode { query.append(" AND r.channel_code = ", bind: channelCode) }
        if let checkedIn { query.append(checkedIn ? " AND r.checked_in_at IS NOT NULL" : " AND r.checked_in_at IS NULL") }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "r.registered_at DESC, r.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [RegistrationView] {
        var views: [RegistrationView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, event, mobile, name, channel, registeredAt, checkedInAt) in rows.decode(
            (UUID, UUID, String, String, String?, Date, Date?).self)
        {
            views.append(RegistrationView(
                id: id, eventId: event, mobile: mobile, name: name, channelCode: channel, registeredAt: registeredAt,
                registeredAtLocal: LocalDateTime(registeredAt, in: timeZone).text, checkedIn: checkedInAt != nil,
                checkedInAt: checkedInAt, checkedInAtLocal: checkedInAt.map { LocalDateTime($0, in: timeZone).text }))
        }
        return views
    }
}
