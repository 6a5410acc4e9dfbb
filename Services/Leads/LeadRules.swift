import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store's lead rules (线索规则): days until the next follow-up per intent level, with the
/// defaults of `LeadLevel.defaultInterval` where the store has set none.
typealias LeadRules = FollowUpRules<LeadLevel>

extension FollowUpRules where Level == LeadLevel {
    static let table = "leads.lead_rule"

    init(connection: PostgresConnection, logger: Logger) {
        self.init(table: Self.table, connection: connection, logger: logger)
    }
}
