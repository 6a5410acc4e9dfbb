import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Channels in `marketing.channel`, what arrived through them (`channel_touch`) and what became
/// of those customers (`channel_outcome`) — M6.
struct ChannelStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        c.id, c.store_id, c.code, c.name, c.kind, c.consultant_id, c.landing_url, c.enabled, c.created_by, c.created_at, c.updated_at
        """

    /// A new channel with a code of its own: a code another channel has (of any store) is drawn
    /// again. Returns the code.
    func create(
        id: UUID, store: UUID, name: String, kind: String, consultant: UUID?, landingURL: String, by user: UUID
    ) async throws -> String {
        for _ in 0..<8 {
            let code = ChannelRules.newCode()
            let rows = try await connection.query("""
                INSERT INTO marketing.channel (id, store_id, code, name, kind, consultant_id, landing_url, created_by)
                VALUES (\(id), \(store), \(code), \(name), \(kind), \(consultant), \(landingURL), \(user))
                ON CONFLICT (code) DO NOTHING
                RETURNING code
                """, logger: logger)
            if let stored = try await rows.decode(String.self).all().first { return stored }
        }
        throw ProblemDetails.unavailable("could not draw a channel code that no channel has; try again")
    }

    func update(_ id: UUID, name: String?, landingURL: String?, enabled: Bool?) async throws {
        try await connection.query("""
            UPDATE marketing.channel SET name = coalesce(\(name), name), landing_url = coalesce(\(landingURL), landing_url),
                enabled = coalesce(\(enabled), enabled), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// The channel if `store` owns it; `forUpdate` locks it.
    func channel(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> ChannelView? {
        var query = QueryBuilder(" FROM marketing.channel c WHERE c.id = ")
        query.append("", bind: id)
        query.append(" AND c.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// The store's channels, newest first; `enabled` nil lists both.
    func list(store: UUID, kind: String?, enabled: Bool?, page: PageRequest) async throws -> Page<ChannelView> {
        var query = QueryBuilder(" FROM marketing.channel c WHERE c.store_id = ")
        query.append("", bind: store)
        if let kind { query.append(" AND c.kind = ", bind: kind) }
        if let enabled { query.append(" AND c.enabled = ", bind: enabled) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "c.created_at DESC, c.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [ChannelView] {
        var views: [ChannelView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, store, code, name, kind, consultant, landing, enabled, createdBy, createdAt, updatedAt)
            in rows.decode((UUID, UUID, String, String, String, UUID?, String, Bool, UUID, Date, Date).self) {
            views.append(ChannelView(
                id: id, storeId: store, code: code, name: name, kind: kind, consultantId: consultant, landingUrl: landing,
                url: ChannelRules.url(landing: landing, code: code), enabled: enabled, createdBy: createdBy,
                createdAt: createdAt, updatedAt: updatedAt))
        }
        return views
    }

    /// Records that `subject` (a lead, a registration) arrived through the channel `code` — if
    /// the code is one of `store`'s channels; once per kind and subject. Returns whether it did.
    @discardableResult
    func recordTouch(kind: ChannelTouchKind, subject: String, store: UUID, code: String, mobile: String, at: Date) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO marketing.channel_touch (kind, subject_id, store_id, channel_code, mobile, touched_at)
            SELECT \(kind.rawValue), \(subject), \(store), c.code, \(mobile), \(at)
            FROM marketing.channel c WHERE c.code = upper(\(code)) AND c.store_id = \(store)
            ON CONFLICT (kind, subject_id) DO NOTHING
            RETURNING 1
            """, logger: logger)
        return try await rows.decode(Int.self).all().first != nil
    }

    /// Records what became of a customer of `store` (a first showroom arrival, an order), by
    /// mobile; once per kind and subject.
    func recordOutcome(kind: ChannelOutcomeKind, subject: String, store: UUID, mobile: String, at: Date) async throws {
        try await connection.query("""
            INSERT INTO marketing.channel_outcome (kind, subject_id, store_id, mobile, happened_at)
            VALUES (\(kind.rawValue), \(subject), \(store), \(mobile), \(at))
            ON CONFLICT (kind, subject_id) DO NOTHING
            """, logger: logger)
    }

    /// The attribution report of `store` (M6): each channel with what arrived through it between
    /// `from` and `before` (nil: no bound) and what became of those customers. A customer counts
    /// for the first channel their mobile came through in the store (first touch); an arrival
    /// or order counts when it happened at or after that touch.
    func report(store: UUID, from: Date?, before: Date?) async throws -> [ChannelReportRow] {
        let rows = try await connection.query("""
            WITH touch AS (
                SELECT * FROM marketing.channel_touch
                WHERE store_id = \(store) AND (\(from)::timestamptz IS NULL OR touched_at >= \(from))
                  AND (\(before)::timestamptz IS NULL OR touched_at < \(before))),
            -- Each mobile's first touch in the store over all time; the period then keeps those
            -- that fall in it (a customer a poster brought in October is the poster's in November).
            first_touch AS (
                SELECT * FROM (
                    SELECT DISTINCT ON (mobile) mobile, channel_code, touched_at FROM marketing.channel_touch
                    WHERE store_id = \(store) ORDER BY mobile, touched_at, channel_code) first
                WHERE (\(from)::timestamptz IS NULL OR touched_at >= \(from)) AND (\(before)::timestamptz IS NULL OR touched_at < \(before))),
            outcome AS (
                SELECT f.channel_code, o.kind, count(*) AS n FROM first_touch f
                JOIN marketing.channel_outcome o ON o.store_id = \(store) AND o.mobile = f.mobile AND o.happened_at >= f.touched_at
                GROUP BY f.channel_code, o.kind)
            SELECT c.code, c.name, c.kind, c.enabled,
                   (SELECT count(*) FROM touch t WHERE t.channel_code = c.code AND t.kind = 'registration')::int,
                   (SELECT count(*) FROM touch t WHERE t.channel_code = c.code AND t.kind = 'lead')::int,
                   coalesce((SELECT n FROM outcome WHERE outcome.channel_code = c.code AND outcome.kind = 'prospect'), 0)::int,
                   coalesce((SELECT n FROM outcome WHERE outcome.channel_code = c.code AND outcome.kind = 'order'), 0)::int
            FROM marketing.channel c WHERE c.store_id = \(store)
            ORDER BY c.created_at, c.code
            """, logger: logger)
        var report: [ChannelReportRow] = []
        for try await (code, name, kind, enabled, registrations, leads, prospects, orders)
            in rows.decode((String, String, String, Bool, Int, Int, Int, Int).self) {
            report.append(ChannelReportRow(
                code: code, name: name, kind: kind, enabled: enabled, registrations: registrations, leads: leads,
                prospects: prospects, orders: orders))
        }
        return report
    }
}

/// What arrives through a channel.
enum ChannelTouchKind: String, Sendable {
    /// An event registration (集客报名, M3) whose page was opened from the code.
    case registration
    /// A sales lead taken by a page opened from the code (`platform.lead.received.v1` with `channelCode`).
    case lead
}

/// What became of a customer who arrived through a channel.
enum ChannelOutcomeKind: String, Sendable {
    /// The first showroom arrival: a new prospect (`prospects.prospect.arrived.v1`, `firstArrival`).
    case prospect
    /// An order (`prospects.prospect.purchased.v1`).
    case order
}

/// One channel's line of the attribution report: channel → registrations → leads → prospects → orders.
struct ChannelReportRow: Codable, Sendable {
    var code: String
    var name: String
    /// A `channelKind` code.
    var kind: String
    var enabled: Bool
    var registrations: Int
    var leads: Int
    /// Customers whose first channel this is and who then came to the showroom (new prospects).
    var prospects: Int
    /// … and who then ordered.
    var orders: Int
}
