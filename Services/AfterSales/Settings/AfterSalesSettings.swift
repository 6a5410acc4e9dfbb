import Foundation
import Hummingbird
import ServiceKit

/// The store's after-sales rules (售后规则配置, seed §8.3), read and replaced whole at
/// `GET/PUT /api/v1/after-sales/settings`. A store that never saved any has `defaults`. Later
/// rules of §8.3 (follow-up frequency per class, renewal and care switches) join this type.
struct AfterSalesSettings: Codable, Sendable, Equatable, ResponseEncodable {
    /// The churn rule (流失, AS5): a customer whose last visit is more than this many months
    /// ago, on the store's calendar, is lost (`CustomerClass.lost`). 1–60, default 12.
    var churnMonths: Int

    static let defaults = AfterSalesSettings(churnMonths: 12)

    /// The months a store may choose for its churn rule: a month to five years.
    static let churnMonthsRange = 1...60

    /// The settings to save, or a 422 naming every bad field.
    func validated() throws -> AfterSalesSettings {
        var check = FieldValidator()
        check.range("churnMonths", churnMonths, Self.churnMonthsRange)
        try check.throwIfInvalid()
        return self
    }
}
