import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Draws in `marketing.wheel_draw`: the draw log (抽奖记录) and the winners (中奖名单), and the
/// settling of a coupon prize once Coupons has answered.
struct DrawStore {
    let connection: PostgresConnection
    let logger: Logger
    let timeZone: TimeZone

    private static let columns = """
        d.id, d.wheel_id, d.mobile, d.name, d.drawn_at, d.prize_id, p.name, p.kind, d.outcome, d.coupon_code,
        to_char(d.coupon_last_day, 'YYYY-MM-DD'), d.note
        """
    private static let draws = " FROM marketing.wheel_draw d LEFT JOIN marketing.wheel_prize p ON p.id = d.prize_id"

    func add(id: UUID, wheel: UUID, store: UUID, mobile: String, name: String?, prize: UUID?, outcome: WheelDrawOutcome,
             note: String?, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO marketing.wheel_draw (id, wheel_id, store_id, mobile, name, drawn_at, prize_id, outcome, note, settled_at)
            VALUES (\(id), \(wheel), \(store), \(mobile), \(name), \(now), \(prize), \(outcome.rawValue), \(note),
                    \(outcome == .issuing ? nil : now))
            """, logger: logger)
    }

    /// Settles a draw still `issuing` as won with the coupon Coupons issued; false when it was
    /// settled already (by the draw or by the settling pass on another replica).
    func settleWon(_ id: UUID, couponCode: String?, lastDay: String?, at now: Date) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE marketing.wheel_draw SET outcome = 'won', coupon_code = \(couponCode), coupon_last_day = \(lastDay)::date,
                settled_at = \(now)
            WHERE id = \(id) AND outcome = 'issuing'
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().first != nil
    }

    /// Settles a draw still `issuing` as no prize, with why; the prize it had taken, or nil when
    /// it was settled already — so that the stock is given back once.
    func settleNoPrize(_ id: UUID, note: String, at now: Date) async throws -> UUID? {
        let rows = try await connection.query("""
            UPDATE marketing.wheel_draw SET outcome = 'no_prize', note = \(note), settled_at = \(now)
            WHERE id = \(id) AND outcome = 'issuing'
            RETURNING prize_id
            """, logger: logger)
        return try await rows.decode(UUID?.self).all().first ?? nil
    }

    /// Counts one more ask of Coupons that got no answer for a draw still `issuing`.
    func countSettleAttempt(_ id: UUID) async throws {
        try await connection.query(
            "UPDATE marketing.wheel_draw SET settle_attempts = settle_attempts + 1 WHERE id = \(id) AND outcome = 'issuing'", logger: logger)
    }

    /// One draw of the wheel.
    func draw(_ id: UUID, wheel: UUID) async throws -> WheelDrawView? {
        var query = QueryBuilder(Self.draws)
        query.append(" WHERE d.id = ", bind: id)
        query.append(" AND d.wheel_id = ", bind: wheel)
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// Draws `issuing` for more than `seconds` by the database's clock: what the settling pass
    /// asks Coupons about again, the least asked and then the oldest first.
    func issuing(forMoreThan seconds: Int, limit: Int) async throws -> [DrawSettling.Pending] {
        let rows = try await connection.query("""
            SELECT d.id, w.id, w.number, w.name, d.store_id, d.mobile, d.name, d.prize_id, p.name, p.coupon_definition_id
            FROM marketing.wheel_draw d JOIN marketing.lucky_wheel w ON w.id = d.wheel_id JOIN marketing.wheel_prize p ON p.id = d.prize_id
            WHERE d.outcome = 'issuing' AND d.recorded_at < now() - make_interval(secs => \(Double(seconds)))
            ORDER BY d.settle_attempts, d.recorded_at LIMIT \(limit)
            """, logger: logger)
        var found: [DrawSettling.Pending] = []
        for try await (id, wheel, number, wheelName, store, mobile, name, prize, prizeName, definition) in rows.decode(
            (UUID, UUID, String, String, UUID, String, String?, UUID, String, UUID).self)
        {
            found.append(DrawSettling.Pending(
                draw: id, wheel: wheel, wheelNumber: number, wheelName: wheelName, store: store, mobile: mobile, name: name, prize: prize,
                prizeName: prizeName, couponDefinition: definition))
        }
        return found
    }

    /// The wheel's draws, latest first; filtered by outcome (`won` for the winners list), prize and mobile.
    func list(wheel: UUID, outcome: String?, prize: UUID?, mobile: String?, page: PageRequest) async throws -> Page<WheelDrawView> {
        var query = QueryBuilder(Self.draws)
        query.append(" WHERE d.wheel_id = ", bind: wheel)
        if let outcome { query.append(" AND d.outcome = ", bind: outcome) }
        if let prize { query.append(" AND d.prize_id = ", bind: prize) }
        if let mobile { query.append(" AND d.mobile = ", bind: mobile) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "d.drawn_at DESC, d.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [WheelDrawView] {
        var views: [WheelDrawView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), wheel = try cells.next(UUID.self), mobile = try cells.next(String.self)
            let name = try cells.next(String?.self), drawnAt = try cells.next(Date.self), prize = try cells.next(UUID?.self)
            let prizeName = try cells.next(String?.self), prizeKind = try cells.next(String?.self), outcome = try cells.next(String.self)
            let code = try cells.next(String?.self), lastDay = try cells.next(String?.self), note = try cells.next(String?.self)
            views.append(WheelDrawView(
                id: id, wheelId: wheel, mobile: mobile, name: name, drawnAt: drawnAt, drawnAtLocal: LocalDateTime(drawnAt, in: timeZone).text,
                prizeId: prize, prizeName: prizeName, prizeKind: prizeKind, outcome: outcome, couponCode: code, couponLastDay: lastDay,
                note: note))
        }
        return views
    }
}
