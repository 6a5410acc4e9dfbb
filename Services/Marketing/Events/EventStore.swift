import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Events in `marketing.marketing_event`: written, moved between states, deleted, read with their
/// counts — and the one UPDATE that takes a place for a registration.
struct EventStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The columns of an `EventView`, `counts.checked_in` from the registrations.
    private static let columns = """
        e.id, e.number, e.store_id, e.name, e.theme, e.starts_at, e.ends_at, e.charge, e.amount::text, e.content, e.rules,
        e.share_title, e.share_text, e.capacity, e.registered, counts.checked_in, e.state, e.created_at, e.updated_at,
        e.online_at, e.offline_at
        """

    private static let events = """
         FROM marketing.marketing_event e CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE r.checked_in_at IS NOT NULL)::int AS checked_in
            FROM marketing.event_registration r WHERE r.event_id = e.id) AS counts
        """

    func create(id: UUID, number: String, store: UUID, fields: EventFields, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.marketing_event (
                id, number, store_id, name, theme, starts_at, ends_at, charge, amount, content, rules, share_title, share_text,
                capacity, state, created_by)
            VALUES (
                \(id), \(number), \(store), \(fields.name), \(fields.theme), \(fields.startsAt), \(fields.endsAt),
                \(fields.charge.rawValue), \(fields.amount.map(Money.text))::numeric, \(fields.content), \(fields.rules),
                \(fields.shareTitle), \(fields.shareText), \(fields.capacity), 'pending', \(user))
            """, logger: logger)
    }

    func replace(_ id: UUID, fields: EventFields) async throws {
        try await connection.query("""
            UPDATE marketing.marketing_event SET name = \(fields.name), theme = \(fields.theme), starts_at = \(fields.startsAt),
                ends_at = \(fields.endsAt), charge = \(fields.charge.rawValue), amount = \(fields.amount.map(Money.text))::numeric,
                content = \(fields.content), rules = \(fields.rules), share_title = \(fields.shareTitle),
                share_text = \(fields.shareText), capacity = \(fields.capacity), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Puts the event online (上架) or takes it offline (下架) at `now`.
    func setState(_ id: UUID, _ state: EventState, at now: Date) async throws {
        switch state {
        case .online:
            try await connection.query(
                "UPDATE marketing.marketing_event SET state = 'online', online_at = \(now), updated_at = now() WHERE id = \(id)", logger: logger)
        case .offline:
            try await connection.query(
                "UPDATE marketing.marketing_event SET state = 'offline', offline_at = \(now), updated_at = now() WHERE id = \(id)", logger: logger)
        case .pending:
            preconditionFailure("no event goes back to pending")
        }
    }

    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM marketing.marketing_event WHERE id = \(id)", logger: logger)
    }

    /// Takes one place of an online event that has not ended at `now`: one UPDATE whose WHERE is
    /// the whole rule, so that however many registrations run at once, on however many
    /// processes, the row lock it takes lets them count one at a time and `registered` never
    /// passes `capacity`. False when the rule refused (full, not online, ended).
    func takePlace(of id: UUID, at now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE marketing.marketing_event SET registered = registered + 1
            WHERE id = \(id) AND state = 'online' AND ends_at > \(now) AND registered < capacity
            RETURNING registered
            """, logger: logger)
        return try await rows.decode(Int.self).all().first != nil
    }

    /// The event if `store` runs it; `forUpdate` locks its row (state changes and edits).
    func event(_ id: UUID, store: UUID, timeZone: TimeZone, now: Date, forUpdate: Bool = false) async throws -> EventView? {
        var query = QueryBuilder(Self.events)
        query.append(" WHERE e.id = ", bind: id)
        query.append(" AND e.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF e") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone, now: now).first
    }

    /// The event by id alone, with the store it belongs to: what the public pages read.
    func event(_ id: UUID, timeZone: (UUID) async throws -> TimeZone, now: Date) async throws -> EventView? {
        let stores = try await connection.query("SELECT store_id FROM marketing.marketing_event WHERE id = \(id)", logger: logger)
            .decode(UUID.self).all()
        guard let store = stores.first else { return nil }
        return try await event(id, store: store, timeZone: timeZone(store), now: now)
    }

    /// The store's events, latest start first; filtered by state, text in the name, number or
    /// theme, and a period the event overlaps.
    func list(store: UUID, state: String?, text: String?, from: Date?, to: Date?, timeZone: TimeZone, now: Date,
              page: PageRequest) async throws -> Page<EventView> {
        var query = QueryBuilder(Self.events)
        query.append(" WHERE e.store_id = ", bind: store)
        if let state { query.append(" AND e.state = ", bind: state) }
        if let text {
            let pattern = SearchText.containing(text)
            query.append(" AND (e.name ILIKE \(query.placeholder(for: pattern)) OR e.number ILIKE \(query.placeholder(for: pattern))")
            query.append(" OR e.theme ILIKE \(query.placeholder(for: pattern)))")
        }
        if let from { query.append(" AND e.ends_at > ", bind: from) }
        if let to { query.append(" AND e.starts_at < ", bind: to) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(
            query.ordered(by: "e.starts_at DESC, e.id", page).build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone, now: now)
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery, timeZone: TimeZone, now: Date) async throws -> [EventView] {
        var views: [EventView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), number = try cells.next(String.self), store = try cells.next(UUID.self)
            let name = try cells.next(String.self), theme = try cells.next(String?.self)
            let startsAt = try cells.next(Date.self), endsAt = try cells.next(Date.self), charge = try cells.next(String.self)
            let amount = Money.amount(try cells.next(String?.self)), content = try cells.next(String.self)
            let rules = try cells.next(String?.self), shareTitle = try cells.next(String?.self), shareText = try cells.next(String?.self)
            let capacity = try cells.next(Int.self), registered = try cells.next(Int.self), checkedIn = try cells.next(Int.self)
            let state = try cells.next(String.self), createdAt = try cells.next(Date.self), updatedAt = try cells.next(Date.self)
            let onlineAt = try cells.next(Date?.self), offlineAt = try cells.next(Date?.self)
            views.append(EventView(
                id: id, number: number, storeId: store, name: name, theme: theme, startsAt: startsAt, endsAt: endsAt,
                startsAtLocal: LocalDateTime(startsAt, in: timeZone).text, endsAtLocal: LocalDateTime(endsAt, in: timeZone).text,
                charge: charge, amount: amount, content: content, rules: rules, shareTitle: shareTitle, shareText: shareText,
                capacity: capacity, state: state, open: state == EventState.online.rawValue && now < endsAt,
                registrationPath: EventView.registrationPath(of: id),
                counts: EventCounts(registered: registered, checkedIn: checkedIn, remaining: capacity - registered),
                createdAt: createdAt, updatedAt: updatedAt, onlineAt: onlineAt, offlineAt: offlineAt))
        }
        return views
    }
}
