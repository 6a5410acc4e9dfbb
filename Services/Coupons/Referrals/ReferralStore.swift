import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store's referral rule in `coupons.referral_rule` and its awards in `referral_award`.
struct ReferralStore {
    let connection: PostgresConnection
    let logger: Logger

    func rule(of store: UUID) async throws -> ReferralRule {
        let rows = try await connection.query("""
            SELECT enabled, trigger, referrer_definition_id, referrer_coupons, referee_definition_id, referee_coupons
            FROM coupons.referral_rule WHERE store_id = \(store)
            """, logger: logger)
        for try await (enabled, trigger, referrer, referrerCoupons, referee, refereeCoupons)
            in rows.decode((Bool, String, UUID?, Int, UUID?, Int).self) {
            return ReferralRule(
                enabled: enabled, trigger: ReferralTrigger(rawValue: trigger) ?? .arrival, referrerDefinitionId: referrer,
                referrerCoupons: referrerCoupons, refereeDefinitionId: referee, refereeCoupons: refereeCoupons)
        }
        return .off
    }

    func save(_ rule: ReferralRule, store: UUID, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO coupons.referral_rule AS r (
                store_id, enabled, trigger, referrer_definition_id, referrer_coupons, referee_definition_id, referee_coupons, updated_by)
            VALUES (\(store), \(rule.enabled), \(rule.trigger.rawValue), \(rule.referrerDefinitionId), \(rule.referrerCoupons ?? 1),
                    \(rule.refereeDefinitionId), \(rule.refereeCoupons ?? 1), \(user))
            ON CONFLICT (store_id) DO UPDATE SET enabled = excluded.enabled, trigger = excluded.trigger,
                referrer_definition_id = excluded.referrer_definition_id, referrer_coupons = excluded.referrer_coupons,
                referee_definition_id = excluded.referee_definition_id, referee_coupons = excluded.referee_coupons,
                updated_by = excluded.updated_by, updated_at = now()
            """, logger: logger)
    }

    /// Claims the award for (referee, trigger, recipient): true the first time, false when it was
    /// made already — by an earlier event, a redelivery, or another replica (which this waits for).
    func claimAward(
        store: UUID, refereeMobile: String, trigger: ReferralTrigger, recipient: String, recipientMobile: String, prospect: UUID,
        definition: UUID, event: String, at now: Date
    ) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO coupons.referral_award (
                store_id, referee_mobile, trigger, recipient, recipient_mobile, prospect_id, definition_id, outcome, coupons, event_id, awarded_at)
            VALUES (\(store), \(refereeMobile), \(trigger.rawValue), \(recipient), \(recipientMobile), \(prospect), \(definition),
                    'pending', 0, \(event), \(now))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """, logger: logger)
        return try await rows.decode(Int.self).all().first != nil
    }

    func recordOutcome(store: UUID, refereeMobile: String, trigger: ReferralTrigger, recipient: String, outcome: String, coupons: Int) async throws {
        try await connection.query("""
            UPDATE coupons.referral_award SET outcome = \(outcome), coupons = \(coupons)
            WHERE store_id = \(store) AND referee_mobile = \(refereeMobile) AND trigger = \(trigger.rawValue) AND recipient = \(recipient)
            """, logger: logger)
    }
}
