import Foundation
import Hummingbird
import ServiceKit

/// The store's after-sales rules (售后规则配置, seed §8.3), read and replaced whole at
/// `GET/PUT /api/v1/after-sales/settings`. A store that never saved any has `defaults`.
struct AfterSalesSettings: Codable, Sendable, Equatable, ResponseEncodable {
    /// The churn rule (流失, AS5): a customer whose last visit is more than this many months
    /// ago, on the store's calendar, is lost (`CustomerClass.lost`). 1–60, default 12.
    var churnMonths: Int
    /// Days from one solicitation follow-up to the next, per customer class (售后招揽回访频次,
    /// AS5, seed §8.3): the default of a campaign task's next follow-up.
    var followUpDays: FollowUpDays

    /// Days per customer class, 1–365 each; the seed's defaults 3, 5, 7, 7, 10.
    struct FollowUpDays: Codable, Sendable, Equatable {
        var loyal: Int
        var favoured: Int
        var ordinary: Int
        var lost: Int
        var potential: Int

        static let defaults = FollowUpDays(loyal: 3, favoured: 5, ordinary: 7, lost: 7, potential: 10)

        /// The interval for `customerClass` (a `CustomerClass` code).
        func days(for customerClass: String) -> Int {
            switch CustomerClass(rawValue: customerClass) {
            case .loyal: loyal
            case .favoured: favoured
            case .ordinary: ordinary
            case .lost: lost
            case .potential, nil: potential
            }
        }
    }

    static let defaults = AfterSalesSettings(churnMonths: 12, followUpDays: .defaults)

    /// The months a store may choose for its churn rule: a month to five years.
    static let churnMonthsRange = 1...60
    /// The days a store may choose between follow-ups: a day to a year.
    static let followUpDaysRange = 1...365

    /// The settings to save, or a 422 naming every bad field.
    func validated() throws -> AfterSalesSettings {
        var check = FieldValidator()
        check.range("churnMonths", churnMonths, Self.churnMonthsRange)
        check.range("followUpDays.loyal", followUpDays.loyal, Self.followUpDaysRange)
        check.range("followUpDays.favoured", followUpDays.favoured, Self.followUpDaysRange)
        check.range("followUpDays.ordinary", followUpDays.ordinary, Self.followUpDaysRange)
        check.range("followUpDays.lost", followUpDays.lost, Self.followUpDaysRange)
        check.range("followUpDays.potential", followUpDays.potential, Self.followUpDaysRange)
        try check.throwIfInvalid()
        return self
    }
}
