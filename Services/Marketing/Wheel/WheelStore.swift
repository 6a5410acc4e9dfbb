import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Wheels and their prizes in `marketing.lucky_wheel` and `marketing.wheel_prize`: written, moved
/// between states, deleted, read with their counts — and the two UPDATEs a draw takes: one of the
/// mobile's draws (`takeDraw`) and one of a prize's stock (`takePrize`).
struct WheelStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        w.id, w.number, w.store_id, w.name, w.rules, w.starts_at, w.ends_at, w.audience, w.audience_event_id, w.draws_per_person,
        w.draw_period, w.state, w.created_at, w.updated_at,
        (SELECT count(*)::int FROM marketing.wheel_draw d WHERE d.wheel_id = w.id),
        (SELECT count(*)::int FROM marketing.wheel_draw d WHERE d.wheel_id = w.id AND d.outcome = 'won')
        """

    /// A prize to store: the checked fields, and the coupon definition's number Coupons gave.
    struct NewPrize: Sendable {
        var fields: WheelPrizeFields
        var couponDefinitionNumber: String?
    }

    func create(id: UUID, number: String, store: UUID, fields: WheelFields, prizes: [NewPrize], by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.lucky_wheel (
                id, number, store_id, name, rules, starts_at, ends_at, audience, audience_event_id, draws_per_person, draw_period,
                state, created_by)
            VALUES (
                \(id), \(number), \(store), \(fields.name), \(fields.rules), \(fields.startsAt), \(fields.endsAt),
                \(fields.audience.rawValue), \(fields.audienceEventId), \(fields.drawsPerPerson), \(fields.drawPeriod.rawValue),
                'pending', \(user))
            """, logger: logger)
        try await insert(prizes, wheel: id)
    }

    /// Replaces a pending wheel and all its prizes.
    func replace(_ id: UUID, fields: WheelFields, prizes: [NewPrize]) async throws {
        try await connection.query("""
            UPDATE marketing.lucky_wheel SET name = \(fields.name), rules = \(fields.rules), starts_at = \(fields.startsAt),
                ends_at = \(fields.endsAt), audience = \(fields.audience.rawValue), audience_event_id = \(fields.audienceEventId),
                draws_per_person = \(fields.drawsPerPerson), draw_period = \(fields.drawPeriod.rawValue), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
        try await connection.query("DELETE FROM marketing.wheel_prize WHERE wheel_id = \(id)", logger: logger)
        try await insert(prizes, wheel: id)
    }

    private func insert(_ prizes: [NewPrize], wheel: UUID) async throws {
        for (index, prize) in prizes.enumerated() {
            let fields = prize.fields
            try await connection.query("""
                INSERT INTO marketing.wheel_prize (
                    id, wheel_id, position, name, kind, coupon_definition_id, coupon_definition_number, basis_points, stock)
                VALUES (\(UUID()), \(wheel), \(index + 1), \(fields.name), \(fields.kind.rawValue), \(fields.couponDefinitionId),
                        \(prize.couponDefinitionNumber), \(fields.basisPoints), \(fields.stock))
                """, logger: logger)
        }
    }

    /// Puts the wheel online (上架) or takes it offline (下架).
    func setState(_ id: UUID, _ state: EventState) async throws {
        try await connection.query(
            "UPDATE marketing.lucky_wheel SET state = \(state.rawValue), updated_at = now() WHERE id = \(id)", logger: logger)
    }

    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM marketing.lucky_wheel WHERE id = \(id)", logger: logger)
    }

    /// The wheel if `store` runs it; `forUpdate` locks its row (state changes and edits).
    func wheel(_ id: UUID, store: UUID, timeZone: TimeZone, now: Date, forUpdate: Bool = false) async throws -> WheelView? {
        var query = QueryBuilder(" FROM marketing.lucky_wheel w WHERE w.id = ")
        query.append("", bind: id)
        query.append(" AND w.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF w") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone, now: now).first
    }

    /// The store that runs the wheel: what the public page starts from.
    func store(of id: UUID) async throws -> UUID? {
        try await connection.query("SELECT store_id FROM marketing.lucky_wheel WHERE id = \(id)", logger: logger).decode(UUID.self).all().first
    }

    /// The store's wheels, latest start first; filtered by state and text in the name or number.
    func list(store: UUID, state: String?, text: String?, timeZone: TimeZone, now: Date, page: PageRequest) async throws -> Page<WheelView> {
        var query = QueryBuilder(" FROM marketing.lucky_wheel w WHERE w.store_id = ")
        query.append("", bind: store)
        if let state { query.append(" AND w.state = ", bind: state) }
        if let text {
            let pattern = SearchText.containing(text)
            query.append(" AND (w.name ILIKE \(query.placeholder(for: pattern)) OR w.number ILIKE \(query.placeholder(for: pattern)))")
        }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "w.starts_at DESC, w.id", page).build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone, now: now)
        return Page(items: items, request: page, total: total)
    }

    /// Takes one of the mobile's draws for `period` (`wheel`, or the store day `yyyy-MM-dd`): one
    /// UPSERT whose WHERE is the allowance, so that a mobile drawing many times at once, on any
    /// number of processes, never gets more than `allowed`. The draws used after it, or nil when
    /// none were left.
    func takeDraw(wheel: UUID, mobile: String, period: String, allowed: Int) async throws -> Int? {
        let rows = try await connection.query("""
            INSERT INTO marketing.wheel_draw_allowance AS a (wheel_id, mobile, period, used) VALUES (\(wheel), \(mobile), \(period), 1)
            ON CONFLICT (wheel_id, mobile, period) DO UPDATE SET used = a.used + 1 WHERE a.used < \(allowed)
            RETURNING used
            """, logger: logger)
        return try await rows.decode(Int.self).all().first
    }

    /// Takes one of the prize's stock: one UPDATE whose WHERE is `stock > 0`; the row lock makes
    /// concurrent draws count one at a time, so the stock never goes below 0. False when none was left.
    func takePrize(_ prize: UUID) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE marketing.wheel_prize SET stock = stock - 1, won = won + 1 WHERE id = \(prize) AND stock > 0 RETURNING stock
            """, logger: logger)
        return try await rows.decode(Int.self).all().first != nil
    }

    /// Gives back the one `takePrize` took (a coupon prize Coupons could not issue).
    func returnPrize(_ prize: UUID) async throws {
        try await connection.query("UPDATE marketing.wheel_prize SET stock = stock + 1, won = won - 1 WHERE id = \(prize)", logger: logger)
    }

    /// Whether the mobile registered for the event (audience `registrants`).
    func isRegistrant(_ mobile: String, event: UUID) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM marketing.event_registration WHERE event_id = \(event) AND mobile = \(mobile)
            """, logger: logger).decode(Int.self).all().first != nil
    }

    /// Whether Marketing knows the mobile as one of the store's prospects (audience `customers`).
    func isCustomer(_ mobile: String, store: UUID) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM marketing.customer_prospect WHERE store_id = \(store) AND mobile = \(mobile) AND NOT in_recycle_bin LIMIT 1
            """, logger: logger).decode(Int.self).all().first != nil
    }

    private func views(_ query: PostgresQuery, timeZone: TimeZone, now: Date) async throws -> [WheelView] {
        var views: [WheelView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), number = try cells.next(String.self), store = try cells.next(UUID.self)
            let name = try cells.next(String.self), rules = try cells.next(String?.self)
            let startsAt = try cells.next(Date.self), endsAt = try cells.next(Date.self), audience = try cells.next(String.self)
            let audienceEvent = try cells.next(UUID?.self), drawsPerPerson = try cells.next(Int.self), period = try cells.next(String.self)
            let state = try cells.next(String.self), createdAt = try cells.next(Date.self), updatedAt = try cells.next(Date.self)
            let draws = try cells.next(Int.self), winners = try cells.next(Int.self)
            views.append(WheelView(
                id: id, number: number, storeId: store, name: name, rules: rules, startsAt: startsAt, endsAt: endsAt,
                startsAtLocal: LocalDateTime(startsAt, in: timeZone).text, endsAtLocal: LocalDateTime(endsAt, in: timeZone).text,
                audience: audience, audienceEventId: audienceEvent, drawsPerPerson: drawsPerPerson, drawPeriod: period, state: state,
                open: state == EventState.online.rawValue && startsAt <= now && now < endsAt, drawPath: WheelView.drawPath(of: id),
                prizes: [], noPrizeBasisPoints: PrizeDraw<Int>.scale, counts: WheelCounts(draws: draws, winners: winners),
                createdAt: createdAt, updatedAt: updatedAt))
        }
        for index in views.indices {
            views[index].prizes = try await prizes(of: views[index].id)
            views[index].noPrizeBasisPoints = PrizeDraw<Int>.scale - views[index].prizes.reduce(0) { $0 + $1.basisPoints }
        }
        return views
    }

    /// The wheel's prizes in their order on the wheel.
    func prizes(of wheel: UUID) async throws -> [WheelPrizeView] {
        var prizes: [WheelPrizeView] = []
        let rows = try await connection.query("""
            SELECT id, position, name, kind, coupon_definition_id, coupon_definition_number, basis_points, stock, won
            FROM marketing.wheel_prize WHERE wheel_id = \(wheel) ORDER BY position
            """, logger: logger)
        for try await (id, position, name, kind, definition, definitionNumber, basisPoints, stock, won) in rows.decode(
            (UUID, Int, String, String, UUID?, String?, Int, Int, Int).self)
        {
            prizes.append(WheelPrizeView(
                id: id, position: position, name: name, kind: kind, couponDefinitionId: definition,
                couponDefinitionNumber: definitionNumber, basisPoints: basisPoints, stock: stock, won: won))
        }
        return prizes
    }
}

extension WheelStore {
    /// How many draws the mobile has used in `period`.
    func drawsUsed(wheel: UUID, mobile: String, period: String) async throws -> Int {
        try await connection.query("""
            SELECT used FROM marketing.wheel_draw_allowance WHERE wheel_id = \(wheel) AND mobile = \(mobile) AND period = \(period)
            """, logger: logger).decode(Int.self).all().first ?? 0
    }
}
