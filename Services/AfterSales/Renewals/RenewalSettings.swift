import Foundation
import Hummingbird
import ServiceKit

/// The store's renewal rules (续保招揽设置, seed §8.3; SPEC AS6), read and replaced whole at
/// `GET/PUT /api/v1/after-sales/renewal-settings`. A store that never saved any has `defaults`.
///
/// A car's renewal task opens on the store's day `insuranceExpiry − level1Days` at stage 1
/// (一级续保招揽) and moves to stage 2 (二级续保招揽) on `insuranceExpiry − level2Days`. A change
/// applies from the background pass after it: open tasks move to stage 2 by the new number, and
/// a larger `level1Days` opens the tasks it now reaches.
struct RenewalSettings: Codable, Sendable, Equatable, ResponseEncodable {
    /// Days before the expiry that stage 1 begins: 1–365, default 90.
    var level1Days: Int
    /// Days before the expiry that stage 2 begins: 1–365 and fewer than `level1Days`, default 30.
    var level2Days: Int

    static let defaults = RenewalSettings(level1Days: 90, level2Days: 30)

    static let daysRange = 1...365

    /// The settings to save, or a 422 naming every bad field.
    func validated() throws -> RenewalSettings {
        var check = FieldValidator()
        check.range("level1Days", level1Days, Self.daysRange)
        check.range("level2Days", level2Days, Self.daysRange)
        if Self.daysRange.contains(level1Days) {
            check.require(level2Days < level1Days, "level2Days", "must be fewer days than level1Days (\(level1Days)): stage 2 comes after stage 1")
        }
        try check.throwIfInvalid()
        return self
    }
}
