import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// What a redemption records: the store, who, and the order the coupon was used on. The
/// redeemer's name is the one Coupons' directory has for `by` at that moment.
struct Redemption: Sendable {
    var store: UUID
    var group: UUID
    var by: UUID
    var orderKind: String
    var orderNumber: String
    /// Yuan.
    var orderAmount: Decimal
    var at: Date
}

/// Redeeming and un-redeeming coupons in `coupons.coupon`, each one UPDATE whose WHERE is the
/// whole rule — so of any number of simultaneous redemptions of one code, exactly one matches.
struct RedemptionStore {
    let connection: PostgresConnection
    let logger: Logger

    /// Marks each code's coupon used if, at its redemption's `at`, it is unused (not revoked, not
    /// waiting for a revocation), effective, valid in the store and the order reaches its minimum
    /// spend — one UPDATE for every code of a batch (group commit, `RedemptionBatcher`), the
    /// redeemer's name and the coupon's view included. The codes must be distinct. Returns the
    /// coupons used; a refused code is left out (the caller then explains why).
    func redeem(_ redemptions: [(code: String, redemption: Redemption)]) async throws -> [CouponView] {
        guard let now = redemptions.map(\.redemption.at).max() else { return [] }
        let query: PostgresQuery = """
            UPDATE coupons.coupon c SET state = 'used', used_at = r.at, used_store_id = r.store, used_by = r.by,
                used_by_name = (SELECT display_name FROM coupons.directory_user WHERE id = r.by),
                order_kind = r.kind, order_number = r.number, order_amount = r.amount
            FROM coupons.coupon_definition d,
                 unnest(\(redemptions.map(\.code))::text[], \(redemptions.map(\.redemption.at))::timestamptz[],
                        \(redemptions.map(\.redemption.store))::uuid[], \(redemptions.map(\.redemption.group))::uuid[],
                        \(redemptions.map(\.redemption.by))::uuid[], \(redemptions.map(\.redemption.orderKind))::text[],
                        \(redemptions.map(\.redemption.orderNumber))::text[],
                        \(redemptions.map { Money.text($0.redemption.orderAmount) })::numeric[])
                   AS r(code, at, store, grp, by, kind, number, amount)
            WHERE c.code = r.code AND d.id = c.definition_id
              AND c.state = 'unused'
              AND c.effective_from <= r.at AND c.effective_until > r.at
              AND (c.store_id = r.store OR (c.usable_in = 'group' AND c.group_id = r.grp))
              AND (d.minimum_spend IS NULL OR d.minimum_spend <= r.amount)
            RETURNING \(unescaped: LedgerStore.returning)
            """
        return try await LedgerStore(connection: connection, logger: logger).views(query, now: now)
    }

    /// Puts a coupon used in `store` back to unused (its order was cancelled): it shows as
    /// expired if its last day has passed meanwhile. Returns the id, or nil if it was not used there.
    func undo(code: String, store: UUID) async throws -> UUID? {
        let rows = try await connection.query("""
            UPDATE coupons.coupon SET state = 'unused', used_at = NULL, used_store_id = NULL, used_by = NULL, used_by_name = NULL,
                order_kind = NULL, order_number = NULL, order_amount = NULL
            WHERE code = \(code) AND state = 'used' AND used_store_id = \(store)
            RETURNING id
            """, logger: logger)
        return try await rows.decode(UUID.self).all().first
    }
}
