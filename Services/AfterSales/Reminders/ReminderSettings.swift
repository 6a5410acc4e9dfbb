import Foundation
import Hummingbird
import ServiceKit

/// The store's care-reminder rules (关怀, SPEC AS7; seed 000 §8.3 售后规则配置 — 年检关怀 / 生日关怀
/// switches; seed 002), read and replaced whole at `GET/PUT /api/v1/after-sales/reminder-settings`.
/// A store that never saved any has `defaults`: every kind switched off (§8.3: "根据各店实际情况,
/// 选择开启" — each store chooses to switch them on).
///
/// The switch of each kind (§8.3 "开关开启后, 本功能次日生效"): switching a kind on takes effect
/// the next day on the store's clock — `effectiveFrom` is the store's tomorrow, and today's pass
/// generates nothing of that kind; saving a kind that is on again keeps its `effectiveFrom`.
/// Switching it off takes effect at once: no reminder of the kind is generated from then on
/// (those generated stay on their lists).
struct ReminderSettings: Codable, Sendable, Equatable, ResponseEncodable {
    /// One kind's switch and how early it reminds.
    struct Switch: Codable, Sendable, Equatable {
        var enabled: Bool
        /// Days before its day that a reminder is generated (0: on the day itself), 0–90.
        var daysAhead: Int
        /// Read only: the store day from which the kind is generated, the day after it was
        /// switched on; nil while off. Ignored in a PUT.
        var effectiveFrom: String?
    }

    /// The kinds' switches, one per `ReminderKind`.
    struct Switches: Codable, Sendable, Equatable {
        var maintenance: Switch
        var annualInspection: Switch
        var birthday: Switch
        var warrantyExpiry: Switch
        var licenceReview: Switch

        subscript(kind: ReminderKind) -> Switch {
            get {
                switch kind {
                case .maintenance: maintenance
                case .annualInspection: annualInspection
                case .birthday: birthday
                case .warrantyExpiry: warrantyExpiry
                case .licenceReview: licenceReview
                }
            }
            set {
                switch kind {
                case .maintenance: maintenance = newValue
                case .annualInspection: annualInspection = newValue
                case .birthday: birthday = newValue
                case .warrantyExpiry: warrantyExpiry = newValue
                case .licenceReview: licenceReview = newValue
                }
            }
        }
    }

    var switches: Switches
    /// How a new reminder says to contact the customer: a code of `reminderContactMethod`
    /// (phone 电话 by default, seed 002; letter 信件; sms 短信).
    var defaultContactMethod: String
    /// Periodic maintenance (定期保养): due this many months after the car's latest visit, 1–36
    /// (default 6).
    var maintenanceIntervalMonths: Int
    /// … or, when set, once the car has driven this many km more at its mileage trend (km per
    /// day between its first and latest visits with a reading), whichever comes first;
    /// 500–100,000, default 5,000; null: by months only.
    var maintenanceIntervalKm: Int?
    /// Annual inspection (年审): the registration date's n-th anniversaries for n =
    /// `inspectionFirstYear`, then every `inspectionEveryYears` years below
    /// `inspectionYearlyFromYear`, then every year. The defaults (6, 4, 11 → years 6, 10, 11,
    /// 12, …) are the rule for private small passenger cars since 2022 (on-site inspection in
    /// years 6 and 10, yearly after 10); the rule of seed 002's time (every 2 years within 6
    /// years, yearly after) is 2, 2, 7. Twice a year after 15 years is not modelled.
    var inspectionFirstYear: Int
    var inspectionEveryYears: Int
    var inspectionYearlyFromYear: Int

    static let off = Switch(enabled: false, daysAhead: 0, effectiveFrom: nil)

    static let defaults = ReminderSettings(
        switches: Switches(
            maintenance: Switch(enabled: false, daysAhead: 7, effectiveFrom: nil),
            annualInspection: Switch(enabled: false, daysAhead: 30, effectiveFrom: nil),
            birthday: Switch(enabled: false, daysAhead: 0, effectiveFrom: nil),
            warrantyExpiry: Switch(enabled: false, daysAhead: 30, effectiveFrom: nil),
            licenceReview: Switch(enabled: false, daysAhead: 30, effectiveFrom: nil)),
        defaultContactMethod: ReminderContactMethod.phone.rawValue,
        maintenanceIntervalMonths: 6, maintenanceIntervalKm: 5000,
        inspectionFirstYear: 6, inspectionEveryYears: 4, inspectionYearlyFromYear: 11)

    static let daysAheadRange = 0...90
    static let intervalMonthsRange = 1...36
    static let intervalKmRange = 500...100_000
    static let firstYearRange = 1...20
    static let everyYearsRange = 1...10
    static let yearlyFromRange = 1...30

    /// The field names of the switches in the API.
    static func field(_ kind: ReminderKind) -> String {
        switch kind {
        case .maintenance: "switches.maintenance"
        case .annualInspection: "switches.annualInspection"
        case .birthday: "switches.birthday"
        case .warrantyExpiry: "switches.warrantyExpiry"
        case .licenceReview: "switches.licenceReview"
        }
    }

    /// The settings to save, or a 422 naming every bad field.
    func validated(methods: StoreDictionary) throws -> ReminderSettings {
        var check = FieldValidator()
        for kind in ReminderKind.allCases {
            check.range(Self.field(kind) + ".daysAhead", switches[kind].daysAhead, Self.daysAheadRange)
        }
        _ = check.requiredCode("defaultContactMethod", defaultContactMethod, in: methods)
        check.range("maintenanceIntervalMonths", maintenanceIntervalMonths, Self.intervalMonthsRange)
        if let maintenanceIntervalKm { check.range("maintenanceIntervalKm", maintenanceIntervalKm, Self.intervalKmRange) }
        check.range("inspectionFirstYear", inspectionFirstYear, Self.firstYearRange)
        check.range("inspectionEveryYears", inspectionEveryYears, Self.everyYearsRange)
        check.range("inspectionYearlyFromYear", inspectionYearlyFromYear, Self.yearlyFromRange)
        try check.throwIfInvalid()
        var settings = self
        settings.defaultContactMethod = defaultContactMethod.trimmed
        return settings
    }
}
