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

    /// Marks the coupon used if, at `redemption.at`, it is unused (not revoked, not waiting for a
    /// revocation), effective, valid in the store and the order reaches its minimum spend.
    /// Returns the coupon as used, or nil when any of that fails (the caller then explains why):
    /// one statement, the redeemer's name and the coupon's view included.
    func redeem(code: String, _ redemption: Redemption, now: Date) async throws -> CouponView? {
        let query: PostgresQuery = """
            UPDATE coupons.coupon c SET state = 'used', used_at = \(redemption.at), used_store_id = \(redemption.store),
                used_by = \(redemption.by),
                used_by_name = (SELECT display_name FROM coupons.directory_user WHERE id = \(redemption.by)),
                order_kind = \(redemption.orderKind), order_number = \(redemption.orderNumber),
                order_amount = \(Money.text(redemption.orderAmount))::numeric
            FROM coupons.coupon_definition d
            WHERE c.code = \(code) AND d.id = c.definition_id
              AND c.state = 'unused'
              AND c.effective_from <= \(redemption.at) AND c.effective_until > \(redemption.at)
              AND (c.store_id = \(redemption.store) OR (c.usable_in = 'group' AND c.group_id = \(redemption.group)))
              AND (d.minimum_spend IS NULL OR d.minimum_spend <= \(Money.text(redemption.orderAmount))::numeric)
            RETURNING \(unescaped: LedgerStore.returning)
            """
        return try await LedgerStore(connection: connection, logger: logger).views(query, now: now).first
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
