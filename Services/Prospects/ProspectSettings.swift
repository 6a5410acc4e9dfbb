import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store's sales rules (销售规则配置): defeat approval, the defeat pool and its reasons, the
/// public pool and its claim rules. A store that never saved any has the defaults: everything
/// switched off.
struct ProspectSettings: Codable, Sendable, Equatable {
    /// A consultant's defeat waits for a manager's approval.
    var defeatApproval: Bool
    /// 战败池: defeats for `defeatPoolReasons` go to the pool; after 48 h the group's other stores see them.
    var defeatPool: Bool
    /// Codes of the store's dictionary `defeatReason`.
    var defeatPoolReasons: [String]
    /// 客户公海: prospects whose follow-up is `poolOverdueDays` overdue are released to the pool.
    var publicPool: Bool
    var poolOverdueDays: Int
    /// Claims from the public pool per consultant and day.
    var claimDailyCap: Int
    /// Days after a release before the former consultant may claim the prospect again.
    var reclaimBlockDays: Int

    static let defaults = ProspectSettings(
        defeatApproval: false, defeatPool: false, defeatPoolReasons: [], publicPool: false, poolOverdueDays: 3,
        claimDailyCap: 10, reclaimBlockDays: 30)

    /// How long the defeat pool keeps a prospect to its own store before offering it to the group.
    static let defeatPoolOfferDelay: TimeInterval = 48 * 3600

    static func read(store: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ProspectSettings {
        for try await (approval, pool, reasons, publicPool, overdue, cap, block) in try await connection.query("""
            SELECT defeat_approval, defeat_pool, defeat_pool_reasons, public_pool, pool_overdue_days, claim_daily_cap, reclaim_block_days
            FROM prospects.prospect_setting WHERE store_id = \(store)
            """, logger: logger).decode((Bool, Bool, [String], Bool, Int, Int, Int).self)
        {
            return ProspectSettings(
                defeatApproval: approval, defeatPool: pool, defeatPoolReasons: reasons, publicPool: publicPool,
                poolOverdueDays: overdue, claimDailyCap: cap, reclaimBlockDays: block)
        }
        return .defaults
    }

    /// Checked: the pool's reasons are codes the store's `defeatReason` set allows.
    func validated(reasons: StoreDictionary) throws -> ProspectSettings {
        var check = FieldValidator()
        var copy = self
        copy.defeatPoolReasons = defeatPoolReasons.enumerated().map { index, reason in
            check.requiredCode("defeatPoolReasons[\(index)]", reason, in: reasons) ?? reason
        }
        check.require(defeatPoolReasons.count <= 50, "defeatPoolReasons", "must list at most 50 reasons")
        check.require(!defeatPool || !defeatPoolReasons.isEmpty, "defeatPoolReasons", "must name at least one reason when the defeat pool is on")
        check.range("poolOverdueDays", poolOverdueDays, 0...365)
        check.range("claimDailyCap", claimDailyCap, 0...1000)
        check.range("reclaimBlockDays", reclaimBlockDays, 0...365)
        try check.throwIfInvalid()
        return copy
    }

    func save(store: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO prospects.prospect_setting
                (store_id, defeat_approval, defeat_pool, defeat_pool_reasons, public_pool, pool_overdue_days, claim_daily_cap, reclaim_block_days)
            VALUES (\(store), \(defeatApproval), \(defeatPool), \(defeatPoolReasons), \(publicPool), \(poolOverdueDays), \(claimDailyCap), \(reclaimBlockDays))
            ON CONFLICT (store_id) DO UPDATE SET
                defeat_approval = EXCLUDED.defeat_approval, defeat_pool = EXCLUDED.defeat_pool,
                defeat_pool_reasons = EXCLUDED.defeat_pool_reasons, public_pool = EXCLUDED.public_pool,
                pool_overdue_days = EXCLUDED.pool_overdue_days, claim_daily_cap = EXCLUDED.claim_daily_cap,
                reclaim_block_days = EXCLUDED.reclaim_block_days
            """, logger: logger)
    }
}

/// The store's follow-up rules (潜客跟进规则): days until the next follow-up per intent level,
/// with the defaults of `ProspectLevel.defaultInterval` where the store has set none.
typealias ProspectRules = FollowUpRules<ProspectLevel>

extension FollowUpRules where Level == ProspectLevel {
    static let table = "prospects.prospect_rule"

    init(connection: PostgresConnection, logger: Logger) {
        self.init(table: Self.table, connection: connection, logger: logger)
    }
}
