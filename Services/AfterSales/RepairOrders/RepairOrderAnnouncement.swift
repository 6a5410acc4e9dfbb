import Contracts
import Foundation

/// `aftersales.repair_order.completed.v1`, built the same way whether the ERP's event or an
/// SA completed the order, so that CustomerService cannot tell the two apart.
///
/// Whoever builds one publishes it in the transaction that completed the order, and only for
/// the first completion: an order completes once, however often the ERP repeats itself.
enum RepairOrderAnnouncement {
    static let source = "/crm/aftersales"

    /// - Parameters:
    ///   - correlationID: the chain of events this one belongs to; nil starts a new chain.
    ///   - causationID: the event that caused this one, if an event did.
    static func completed(
        _ completion: RepairOrderCompleted, correlationID: String?, causationID: String?, traceparent: String?
    ) -> CloudEvent<RepairOrderCompleted> {
        let id = UUID().uuidString.lowercased()
        return CloudEvent(
            id: id,
            source: source,
            subject: completion.repairOrderId.uuidString.lowercased(),
            data: completion,
            storeid: completion.storeId.uuidString.lowercased(),
            correlationid: correlationID ?? id,
            causationid: causationID,
            traceparent: traceparent)
    }
}
