import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Revocations in `coupons.coupon_revocation`, and the coupon states they move.
struct RevocationStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        r.id, r.coupon_id, c.code, d.number, d.name, c.mobile, c.customer_name, r.store_id, r.explanation, r.state,
        r.requested_by, r.requested_at, r.decided_by, r.decided_at, r.decision_note
        """
    private static let from = """
         FROM coupons.coupon_revocation r JOIN coupons.coupon c ON c.id = r.coupon_id
        JOIN coupons.coupon_definition d ON d.id = c.definition_id
        """

    /// Records a request. `approved` (no approval needed) revokes the coupon at once;
    /// otherwise the coupon waits in `revocation_pending`, which no redemption matches.
    func request(id: UUID, coupon: UUID, store: UUID, group: UUID, explanation: String, by user: UUID, at now: Date, approved: Bool) async throws {
        try await connection.query("""
            INSERT INTO coupons.coupon_revocation (id, coupon_id, store_id, group_id, explanation, state, requested_by, requested_at,
                decided_by, decided_at)
            VALUES (\(id), \(coupon), \(store), \(group), \(explanation), \(approved ? "approved" : "pending"), \(user), \(now),
                    \(approved ? user : nil), \(approved ? now : nil))
            """, logger: logger)
        try await connection.query("""
            UPDATE coupons.coupon SET state = \(approved ? "revoked" : "revocation_pending"), revoked_at = \(approved ? now : nil)
            WHERE id = \(coupon) AND state = 'unused'
            """, logger: logger)
    }

    /// HQ's decision on a pending request: approved revokes the coupon, rejected makes it unused again.
    func decide(_ id: UUID, approved: Bool, by user: UUID, note: String?, at now: Date) async throws {
        let rows = try await connection.query("""
            UPDATE coupons.coupon_revocation SET state = \(approved ? "approved" : "rejected"), decided_by = \(user), decided_at = \(now),
                decision_note = \(note)
            WHERE id = \(id) AND state = 'pending'
            RETURNING coupon_id
            """, logger: logger)
        guard let coupon = try await rows.decode(UUID.self).all().first else { return }
        try await connection.query("""
            UPDATE coupons.coupon SET state = \(approved ? "revoked" : "unused"), revoked_at = \(approved ? now : nil)
            WHERE id = \(coupon) AND state = 'revocation_pending'
            """, logger: logger)
    }

    /// The request if `principal` may see it (the store's; with the group scope the group's);
    /// `forUpdate` locks it and its coupon.
    func revocation(_ id: UUID, visibleTo principal: Principal, forUpdate: Bool = false) async throws -> RevocationView? {
        var query = QueryBuilder(Self.from + " WHERE r.id = ")
        query.append("", bind: id)
        Self.restrict(&query, to: principal)
        if forUpdate { query.append(" FOR UPDATE OF r, c") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    func list(for principal: Principal, state: String?, mobile: String?, page: PageRequest) async throws -> Page<RevocationView> {
        var query = QueryBuilder(Self.from + " WHERE true")
        Self.restrict(&query, to: principal)
        if let state { query.append(" AND r.state = ", bind: state) }
        if let mobile { query.append(" AND c.mobile = ", bind: mobile) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "r.requested_at DESC, r.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private static func restrict(_ query: inout QueryBuilder, to principal: Principal) {
        if principal.scope == .group {
            query.append(" AND r.group_id = ", bind: principal.groupID)
        } else {
            query.append(" AND r.store_id = ", bind: principal.storeID)
        }
    }

    private func views(_ query: PostgresQuery) async throws -> [RevocationView] {
        var views: [RevocationView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), coupon = try cells.next(UUID.self), code = try cells.next(String.self)
            let number = try cells.next(String.self), name = try cells.next(String.self), mobile = try cells.next(String.self)
            let customer = try cells.next(String?.self), store = try cells.next(UUID.self), explanation = try cells.next(String.self)
            let state = try cells.next(String.self), requestedBy = try cells.next(UUID.self), requestedAt = try cells.next(Date.self)
            let decidedBy = try cells.next(UUID?.self), decidedAt = try cells.next(Date?.self), note = try cells.next(String?.self)
            views.append(RevocationView(
                id: id, couponId: coupon, code: code, codeText: CouponCode.grouped(code), definitionNumber: number, couponName: name,
                mobile: mobile, customerName: customer, storeId: store, explanation: explanation, state: state, requestedBy: requestedBy,
                requestedAt: requestedAt, decidedBy: decidedBy, decidedAt: decidedAt, decisionNote: note))
        }
        return views
    }
}
