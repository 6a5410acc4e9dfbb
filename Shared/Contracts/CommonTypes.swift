import Foundation

/// A person as the dealer's systems record one: a name and a mobile number.
///
/// Used for the customer (车主/客户) and for whoever brought the car in (送修人), who is often
/// someone else: a family member, a driver, a fleet's staff. The mobile is a string of digits
/// (an 11-digit Chinese mobile, `^1[3-9][0-9]{9}$` in the schema), never a number, so that
/// leading digits and formatting survive every hop.
public struct Person: Codable, Sendable, Hashable {
    public var name: String
    public var mobile: String

    public init(name: String, mobile: String) {
        self.name = name
        self.mobile = mobile
    }
}

/// The business type of a repair order (业务类型), a closed set for v1 of every repair-order event.
///
/// Decoding is deliberately strict: a value outside this set fails to decode, so a consumer
/// dead-letters the event with the reason instead of guessing. An ERP maps each of its own
/// business types onto one of these values and sends `other` for anything without a match;
/// asyncapi.yaml carries the mapping table for ERP vendors. Adding a value is a breaking change
/// and therefore a new event version.
public enum RepairBusinessType: String, Codable, Sendable, CaseIterable {
    /// 一般维修 / 机电维修 — mechanical and electrical repair paid by the customer.
    case generalRepair
    /// 事故维修 / 钣喷 — body and paint work after an accident, usually via insurance.
    case accidentRepair
    /// 付费保养 / 定期保养 — scheduled maintenance the customer pays for.
    case paidMaintenance
    /// 保修 / 索赔 — work under the manufacturer's warranty, claimed from the manufacturer.
    case warranty
    /// 首保 — the free first maintenance of a new car.
    case firstMaintenance
    /// 其他 — anything else (internal work, PDI, car wash, accessories …).
    case other
}
