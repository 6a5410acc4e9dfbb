import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Price promotions in `marketing.price_promotion` (M2): written, published, withdrawn, read by
/// the store's staff, and — the current published ones — by anyone. The promotion price is a
/// generated column: the database derives it from the list price and the discount.
struct PromotionStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The columns of a `PricePromotionView`; `today` (a placeholder) decides `current`.
    private static func columns(today: String) -> String {
        """
        p.id, p.store_id, p.title, p.brand, p.series, p.model, p.list_price::text, p.discount::text, p.promotion_price::text,
        p.conditions, p.valid_from::text, p.valid_until::text, p.content, p.state,
        (p.state = 'published' AND p.valid_from <= \(today)::date AND p.valid_until >= \(today)::date),
        p.published_at, p.withdrawn_at, p.created_at, p.updated_at
        """
    }

    func create(id: UUID, store: UUID, fields: PricePromotionFields, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.price_promotion (
                id, store_id, title, brand, series, model, list_price, discount, conditions, content, valid_from, valid_until,
                created_by, updated_by)
            VALUES (
                \(id), \(store), \(fields.title), \(fields.brand), \(fields.series), \(fields.model), \(Money.text(fields.listPrice))::numeric,
                \(Money.text(fields.discount))::numeric, \(fields.conditions), \(fields.content), \(fields.validFrom)::date,
                \(fields.validUntil)::date, \(user), \(user))
            """, logger: logger)
    }

    func replace(_ id: UUID, fields: PricePromotionFields, by user: UUID) async throws {
        try await connection.query("""
            UPDATE marketing.price_promotion SET title = \(fields.title), brand = \(fields.brand), series = \(fields.series),
                model = \(fields.model), list_price = \(Money.text(fields.listPrice))::numeric, discount = \(Money.text(fields.discount))::numeric,
                conditions = \(fields.conditions), content = \(fields.content), valid_from = \(fields.validFrom)::date,
                valid_until = \(fields.validUntil)::date, updated_by = \(user), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Moves the promotion to `state`, stamping when it was published or withdrawn.
    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM marketing.price_promotion WHERE id = \(id)", logger: logger)
    }

    func setState(_ id: UUID, _ state: PublicationState, at now: Date, by user: UUID) async throws {
        try await connection.query("""
            UPDATE marketing.price_promotion SET state = \(state.rawValue),
                published_at = CASE WHEN \(state.rawValue) = 'published' THEN \(now) ELSE published_at END,
                withdrawn_at = CASE WHEN \(state.rawValue) = 'withdrawn' THEN \(now) ELSE withdrawn_at END,
                updated_by = \(user), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// The promotion if `store` owns it; `forUpdate` locks its row.
    func promotion(_ id: UUID, store: UUID, today: String, forUpdate: Bool = false) async throws -> PricePromotionView? {
        var query = QueryBuilder(" FROM marketing.price_promotion p WHERE p.id = ")
        query.append("", bind: id)
        query.append(" AND p.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF p") }
        let today = query.placeholder(for: today)
        return try await views(query.build(prefix: "SELECT \(Self.columns(today: today))")).first
    }

    /// The store's promotions for staff, filtered by state, whether current, and text in the
    /// title, brand, series or model; newest first.
    func list(store: UUID, state: PublicationState?, current: Bool?, text: String?, today: String, page: PageRequest) async throws -> Page<PricePromotionView> {
        var query = QueryBuilder(" FROM marketing.price_promotion p WHERE p.store_id = ")
        query.append("", bind: store)
        if let state { query.append(" AND p.state = ", bind: state.rawValue) }
        if let current {
            let day = query.placeholder(for: today)
            query.append(" AND (p.state = 'published' AND p.valid_from <= \(day)::date AND p.valid_until >= \(day)::date) = ", bind: current)
        }
        if let text {
            let pattern = query.placeholder(for: SearchText.containing(text))
            query.append(" AND (p.title ILIKE \(pattern) OR p.brand ILIKE \(pattern) OR p.series ILIKE \(pattern) OR p.model ILIKE \(pattern))")
        }
        let total = try await query.count(on: connection, logger: logger)
        var ordered = query.ordered(by: "p.created_at DESC, p.id", page)
        let day = ordered.placeholder(for: today)
        return Page(items: try await views(ordered.build(prefix: "SELECT \(Self.columns(today: day))")), request: page, total: total)
    }

    /// The store's published promotions whose validity takes in `today` (the store's day), the
    /// last day soonest first.
    func current(store: UUID, today: String, page: PageRequest) async throws -> Page<PricePromotionView> {
        var query = QueryBuilder(" FROM marketing.price_promotion p WHERE p.state = 'published' AND p.store_id = ")
        query.append("", bind: store)
        let day = query.placeholder(for: today)
        query.append(" AND p.valid_from <= \(day)::date AND p.valid_until >= \(day)::date")
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "p.valid_until, p.published_at DESC, p.id", page).build(prefix: "SELECT \(Self.columns(today: day))"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [PricePromotionView] {
        var views: [PricePromotionView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), store = try cells.next(UUID.self), title = try cells.next(String.self)
            let brand = try cells.next(String.self), series = try cells.next(String.self), model = try cells.next(String.self)
            let listPrice = Money.amount(try cells.next(String.self)) ?? 0, discount = Money.amount(try cells.next(String.self)) ?? 0
            let promotionPrice = Money.amount(try cells.next(String.self)) ?? 0
            let conditions = try cells.next(String?.self), validFrom = try cells.next(String.self), validUntil = try cells.next(String.self)
            let content = try cells.next(String?.self), state = try cells.next(String.self), current = try cells.next(Bool.self)
            views.append(PricePromotionView(
                id: id, storeId: store, title: title, brand: brand, series: series, model: model, listPrice: listPrice, discount: discount,
                promotionPrice: promotionPrice, conditions: conditions, validFrom: validFrom, validUntil: validUntil, content: content,
                state: state, current: current, publishedAt: try cells.next(Date?.self), withdrawnAt: try cells.next(Date?.self),
                createdAt: try cells.next(Date.self), updatedAt: try cells.next(Date.self)))
        }
        return views
    }
}
