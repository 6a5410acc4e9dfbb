import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Coupon definitions in `coupons.coupon_definition`: written, replaced, enabled or disabled,
/// read with their counts, and locked by whatever issues coupons from them.
struct DefinitionStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The columns of a `CouponDefinitionView`.
    private static let columns = """
        d.id, d.number, d.store_id, d.group_id, d.name, d.kind, d.face_value::text, d.covers, d.minimum_spend::text, d.quantity,
        d.per_customer_limit, d.validity, d.valid_from::text, d.valid_until::text, d.valid_days, d.usable_in, d.description,
        d.enabled, d.issued, counts.unused, counts.used, counts.expired, counts.revoked, counts.pending, d.created_at, d.updated_at
        """

    /// `FROM` the definitions with the counts of their coupons; `now` (a placeholder) decides
    /// which unused coupons have expired.
    private static func definitions(countedAt now: String) -> String {
        """
         FROM coupons.coupon_definition d CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE c.state = 'unused' AND c.effective_until > \(now))::int AS unused,
                   count(*) FILTER (WHERE c.state = 'used')::int AS used,
                   count(*) FILTER (WHERE c.state = 'unused' AND c.effective_until <= \(now))::int AS expired,
                   count(*) FILTER (WHERE c.state = 'revoked')::int AS revoked,
                   count(*) FILTER (WHERE c.state = 'revocation_pending')::int AS pending
            FROM coupons.coupon c WHERE c.definition_id = d.id) AS counts
        """
    }

    func create(id: UUID, number: String, store: UUID, group: UUID, fields: CouponDefinitionFields, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO coupons.coupon_definition (
                id, number, store_id, group_id, name, kind, face_value, covers, minimum_spend, quantity, per_customer_limit,
                validity, valid_from, valid_until, valid_days, usable_in, description, created_by)
            VALUES (
                \(id), \(number), \(store), \(group), \(fields.name), \(fields.kind), \(fields.faceValue.map(Money.text))::numeric,
                \(fields.covers), \(fields.minimumSpend.map(Money.text))::numeric, \(fields.quantity), \(fields.perCustomerLimit),
                \(fields.validity.rawValue), \(fields.validFrom)::date, \(fields.validUntil)::date, \(fields.validDays),
                \(fields.usableIn.rawValue), \(fields.description), \(user))
            """, logger: logger)
    }

    func replace(_ id: UUID, fields: CouponDefinitionFields) async throws {
        try await connection.query("""
            UPDATE coupons.coupon_definition SET name = \(fields.name), kind = \(fields.kind),
                face_value = \(fields.faceValue.map(Money.text))::numeric, covers = \(fields.covers),
                minimum_spend = \(fields.minimumSpend.map(Money.text))::numeric, quantity = \(fields.quantity),
                per_customer_limit = \(fields.perCustomerLimit), validity = \(fields.validity.rawValue),
                valid_from = \(fields.validFrom)::date, valid_until = \(fields.validUntil)::date, valid_days = \(fields.validDays),
                usable_in = \(fields.usableIn.rawValue), description = \(fields.description), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func setEnabled(_ id: UUID, _ enabled: Bool) async throws {
        try await connection.query(
            "UPDATE coupons.coupon_definition SET enabled = \(enabled), updated_at = now() WHERE id = \(id)", logger: logger)
    }

    /// The definition if `store` owns it; `forUpdate` locks its row — every path that issues
    /// coupons takes this lock first, so the quantity and the per-customer limits are read and
    /// written by one transaction at a time. A locked read counts only `issued` and `available`
    /// (the others are 0): counting the coupons under the lock would make every claim wait for it.
    /// `countingCoupons: false` reads the same way without the lock (the public claim page).
    func definition(_ id: UUID, store: UUID, now: Date, forUpdate: Bool = false, countingCoupons: Bool = true) async throws -> CouponDefinitionView? {
        var query = QueryBuilder()
        if forUpdate || !countingCoupons {
            query.append(" FROM coupons.coupon_definition d CROSS JOIN (SELECT 0 AS unused, 0 AS used, 0 AS expired, 0 AS revoked, 0 AS pending) AS counts")
        } else {
            query.append(Self.definitions(countedAt: query.placeholder(for: now)))
        }
        query.append(" WHERE d.id = ", bind: id)
        query.append(" AND d.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF d") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// The definition if `principal` may see it: the store's, or with the group scope the group's.
    func definition(_ id: UUID, visibleTo principal: Principal, now: Date) async throws -> CouponDefinitionView? {
        var query = QueryBuilder()
        query.append(Self.definitions(countedAt: query.placeholder(for: now)))
        query.append(" WHERE d.id = ", bind: id)
        if principal.scope == .group {
            query.append(" AND d.group_id = ", bind: principal.groupID)
        } else {
            query.append(" AND d.store_id = ", bind: principal.storeID)
        }
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// The definitions `principal` may see (the store's; a group-scope user's, the group's),
    /// newest first; filtered by kind, enabled, and text in the name or number.
    func list(for principal: Principal, kind: String?, enabled: Bool?, text: String?, now: Date, page: PageRequest,
              directory: SQLIdentifier) async throws -> Page<CouponDefinitionView> {
        var query = QueryBuilder()
        query.append(Self.definitions(countedAt: query.placeholder(for: now)) + " WHERE true")
        query.restrict(to: principal, storeColumn: "d.store_id", ownerColumn: nil, directory: directory)
        if let kind { query.append(" AND d.kind = ", bind: kind) }
        if let enabled { query.append(" AND d.enabled = ", bind: enabled) }
        if let text {
            let pattern = SearchText.containing(text)
            query.append(" AND (d.name ILIKE \(query.placeholder(for: pattern)) OR d.number ILIKE \(query.placeholder(for: pattern)))")
        }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "d.created_at DESC, d.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [CouponDefinitionView] {
        var views: [CouponDefinitionView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), number = try cells.next(String.self), store = try cells.next(UUID.self)
            let group = try cells.next(UUID.self)
            let name = try cells.next(String.self), kind = try cells.next(String.self)
            let faceValue = Money.amount(try cells.next(String?.self)), covers = try cells.next(String?.self)
            let minimumSpend = Money.amount(try cells.next(String?.self)), quantity = try cells.next(Int.self)
            let limit = try cells.next(Int.self), validity = try cells.next(String.self)
            let validFrom = try cells.next(String?.self), validUntil = try cells.next(String?.self), validDays = try cells.next(Int?.self)
            let usableIn = try cells.next(String.self), description = try cells.next(String.self), enabled = try cells.next(Bool.self)
            let issued = try cells.next(Int.self), unused = try cells.next(Int.self), used = try cells.next(Int.self)
            let expired = try cells.next(Int.self), revoked = try cells.next(Int.self), pending = try cells.next(Int.self)
            let createdAt = try cells.next(Date.self), updatedAt = try cells.next(Date.self)
            views.append(CouponDefinitionView(
                id: id, number: number, storeId: store, groupId: group, name: name, kind: kind, faceValue: faceValue, covers: covers,
                minimumSpend: minimumSpend, quantity: quantity, perCustomerLimit: limit, validity: validity, validFrom: validFrom,
                validUntil: validUntil, validDays: validDays, usableIn: usableIn, description: description, enabled: enabled,
                counts: CouponCounts(
                    issued: issued, available: quantity - issued, unused: unused, used: used, expired: expired, revoked: revoked,
                    revocationPending: pending),
                createdAt: createdAt, updatedAt: updatedAt))
        }
        return views
    }
}
