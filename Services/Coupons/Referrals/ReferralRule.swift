import Foundation
import Hummingbird
import ServiceKit

/// When the referral rule gives coupons (发券节点, seed §8.4).
enum ReferralTrigger: String, Codable, Sendable {
    /// 新客户到店: the referred customer comes to the showroom (`prospects.prospect.arrived.v1`).
    case arrival
    /// 新客户购车: the referred customer buys (`prospects.prospect.purchased.v1`).
    case purchase
}

/// The store's referral rule (老带新, C6; seed §8.4) as the API reads and writes it: who gets
/// coupons (发券对象: the old customer, the new one, or both — a definition for each that gets
/// some), how many (1–10) and when. Definitions are the store's own, enabled.
struct ReferralRule: Codable, Sendable, Equatable, ResponseEncodable {
    var enabled: Bool
    var trigger: ReferralTrigger
    /// What the old customer who referred (老客户) gets; nil: nothing.
    var referrerDefinitionId: UUID?
    var referrerCoupons: Int?
    /// What the referred new customer (新客户) gets; nil: nothing.
    var refereeDefinitionId: UUID?
    var refereeCoupons: Int?

    /// A store that never saved one: off.
    static let off = ReferralRule(enabled: false, trigger: .arrival)
}
