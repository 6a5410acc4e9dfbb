import Foundation
import Hummingbird
import ServiceKit

/// A request to revoke a coupon (删除, C5; seed §6.4, §8.1) as the API shows it. `state` is
/// `couponRevocationState`: pending (waiting for HQ), approved (the coupon is revoked),
/// rejected (the coupon is unused again).
struct RevocationView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var couponId: UUID
    var code: String
    var codeText: String
    var definitionNumber: String
    var couponName: String
    var mobile: String
    var customerName: String?
    var storeId: UUID
    /// The customer's explanation (客户说明).
    var explanation: String
    var state: String
    var requestedBy: UUID
    var requestedAt: Date
    var decidedBy: UUID?
    var decidedAt: Date?
    var decisionNote: String?
}
