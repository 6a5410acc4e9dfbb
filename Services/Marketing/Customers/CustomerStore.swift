import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Marketing's copy of the prospects in `marketing.customer_prospect`, and the ones a marketing
/// manager looks through to pick invitees.
struct CustomerStore {
    let connection: PostgresConnection
    let logger: Logger

    func save(_ prospect: ProspectChanged) async throws {
        try await connection.query("""
            INSERT INTO marketing.customer_prospect AS p (
                prospect_id, store_id, name, mobile, source, level, brand, series, model, state, consultant_id, in_recycle_bin, changed_at)
            VALUES (
                \(prospect.prospectId), \(prospect.storeId), \(prospect.name), \(prospect.mobile), \(prospect.source), \(prospect.level),
                \(prospect.brand), \(prospect.series), \(prospect.model), \(prospect.state), \(prospect.consultantId),
                \(prospect.inRecycleBin), \(prospect.changedAt))
            ON CONFLICT (prospect_id) DO UPDATE SET
                store_id = excluded.store_id, name = excluded.name, mobile = excluded.mobile, source = excluded.source,
                level = excluded.level, brand = excluded.brand, series = excluded.series, model = excluded.model,
                state = excluded.state, consultant_id = excluded.consultant_id, in_recycle_bin = excluded.in_recycle_bin,
                changed_at = excluded.changed_at
            WHERE p.changed_at <= excluded.changed_at
            """, logger: logger)
    }

    /// ` FROM marketing.customer_prospect p WHERE …`: the store's prospects (not in the recycle
    /// bin) that `filters` pick — by level, source, state, intended series, consultant and text in
    /// the name or mobile. The list below and an SMS audience (`SmsSendStore.customers`) read it.
    static func selection(store: UUID, filters: CustomerFilters) -> QueryBuilder {
        var query = QueryBuilder()
        query.append(" FROM marketing.customer_prospect p WHERE NOT p.in_recycle_bin AND p.store_id = ", bind: store)
        if let level = filters.level { query.append(" AND p.level = ", bind: level) }
        if let source = filters.source { query.append(" AND p.source = ", bind: source) }
        if let state = filters.state { query.append(" AND p.state = ", bind: state) }
        if let series = filters.series { query.append(" AND p.series = ", bind: series) }
        if let consultant = filters.consultantId { query.append(" AND p.consultant_id = ", bind: consultant) }
        if let text = filters.text {
            let pattern = SearchText.containing(text)
            query.append(" AND (p.name ILIKE \(query.placeholder(for: pattern)) OR p.mobile LIKE \(query.placeholder(for: pattern)))")
        }
        return query
    }

    /// The store's prospects that `filters` pick (`selection`), by name then id.
    func list(store: UUID, filters: CustomerFilters, page: PageRequest) async throws -> Page<MarketingCustomer> {
        let query = Self.selection(store: store, filters: filters)
        let total = try await query.count(on: connection, logger: logger)
        let rows = try await connection.query(
            query.ordered(by: "p.name, p.prospect_id", page).build(
                prefix: "SELECT p.prospect_id, p.name, p.mobile, p.source, p.level, p.brand, p.series, p.model, p.state, p.consultant_id"),
            logger: logger)
        var items: [MarketingCustomer] = []
        for try await (id, name, mobile, source, level, brand, series, model, state, consultant) in rows.decode(
            (UUID, String, String, String, String, String?, String?, String?, String, UUID?).self)
        {
            items.append(MarketingCustomer(
                prospectId: id, name: name, mobile: mobile, source: source, level: level, brand: brand, series: series, model: model,
                state: state, consultantId: consultant))
        }
        return Page(items: items, request: page, total: total)
    }

    /// The store's prospects of `ids` (not in the recycle bin), by id.
    func prospects(_ ids: [UUID], store: UUID) async throws -> [UUID: (name: String, mobile: String)] {
        let rows = try await connection.query("""
            SELECT prospect_id, name, mobile FROM marketing.customer_prospect
            WHERE store_id = \(store) AND NOT in_recycle_bin AND prospect_id = ANY(\(ids))
            """, logger: logger)
        var found: [UUID: (name: String, mobile: String)] = [:]
        for try await (id, name, mobile) in rows.decode((UUID, String, String).self) { found[id] = (name, mobile) }
        return found
    }
}
