import Foundation
import Hummingbird
import ServiceKit

/// One issued coupon as the ledger shows it (发放明细, C3; seed §6.3). Yuan amounts; `lastDay`
/// on the issuing store's calendar; `state` is `couponState`, `expired` being an unused coupon
/// past its last day.
struct CouponView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// The 16 digits; `codeText` groups them for reading (`5191 5250 4840 2813`).
    var code: String
    var codeText: String
    var definitionId: UUID
    var definitionNumber: String
    var name: String
    var kind: String
    var faceValue: Decimal?
    var covers: String?
    var minimumSpend: Decimal?
    var taskId: UUID?
    var taskNumber: String?
    /// The issuing store, and where the coupon may be used (`store` or `group`).
    var storeId: UUID
    var usableIn: String
    var mobile: String
    var customerName: String?
    var effectiveFrom: Date
    var effectiveUntil: Date
    var lastDay: String
    var state: String
    var issuedAt: Date
    var usedAt: Date?
    var usedStoreId: UUID?
    var usedBy: UUID?
    var usedByName: String?
    /// `couponOrderKind` (repair_order, sales_order), the order's number and amount.
    var orderKind: String?
    var orderNumber: String?
    var orderAmount: Decimal?
    var revokedAt: Date?
}
