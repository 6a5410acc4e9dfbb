import Foundation
import ServiceKit

/// Which cars a campaign targets (售后招揽 筛选条件, AS4; seed §5.1 客户条件 / 车辆条件 / 附加条件):
/// every condition given must hold, a list condition holds when the car's value is one of the
/// list's; a condition left out (or an empty list) selects everything. Customer conditions are
/// about the car's owner (车主). Shape (JSON, every member optional):
///
/// ```
/// {"provinces": ["湖北省"], "cities": ["武汉市"], "genders": ["female"], "sources": ["referral"],
///  "classes": ["lost"], "birthDate": {"from": "1970-01-01", "to": "1989-12-31"},
///  "registrationDate": {…}, "purchaseDate": {…}, "insuranceExpiry": {…},
///  "brands": ["别克"], "series": ["君越"], "models": ["2026款 652T"],
///  "yearlySpend": {"min": 1000, "max": 5000}, "yearlyVisits": {"min": 1, "max": 3},
///  "lastRepairTypes": ["paidMaintenance"], "serviceAdvisors": ["王建国"]}
/// ```
///
/// Dates are days (`yyyy-MM-dd`, both ends included); spend is in yuan. "Yearly" is the twelve
/// months up to now on the store's calendar — from 00:00 of the same day a year ago — since a
/// customer's spend should not drop to nothing on 1 January: `yearlySpend` sums the amounts of
/// the car's repair orders opened in that time (an order not yet completed has no amount yet),
/// `yearlyVisits` counts them. The class (`CustomerClass`) and the current SA are the ones the
/// vehicle file shows. `CampaignTargets` turns the conditions into SQL, once, for the preview and
/// for the tasks.
struct CampaignConditions: Codable, Sendable, Equatable {
    /// A range of days; either end may be left out.
    struct DayRange: Codable, Sendable, Equatable {
        var from: String?
        var to: String?
    }

    /// A range of numbers (yuan or visits), both ends included; either may be left out.
    struct NumberRange<Number: Codable & Sendable & Equatable & Comparable>: Codable, Sendable, Equatable {
        var min: Number?
        var max: Number?
    }

    var provinces: [String]?
    var cities: [String]?
    /// Codes of the store's `gender` dictionary.
    var genders: [String]?
    /// Codes of the store's `customerSource` dictionary.
    var sources: [String]?
    /// Codes of the dictionary `customerClass`.
    var classes: [String]?
    var birthDate: DayRange?
    var registrationDate: DayRange?
    var purchaseDate: DayRange?
    var insuranceExpiry: DayRange?
    var brands: [String]?
    var series: [String]?
    var models: [String]?
    /// Yuan spent in the last twelve months.
    var yearlySpend: NumberRange<Decimal>?
    /// Visits (repair orders opened) in the last twelve months.
    var yearlyVisits: NumberRange<Int>?
    /// Codes of the store's `repairBusinessType` dictionary: the business type of the car's
    /// latest repair order.
    var lastRepairTypes: [String]?
    /// Names of service advisors, as the car's current SA reads.
    var serviceAdvisors: [String]?

    /// The most values one list condition may hold.
    static let listLimit = 200

    /// The dictionaries the coded conditions are checked against.
    struct Dictionaries: Sendable {
        var genders: StoreDictionary
        var sources: StoreDictionary
        var classes: StoreDictionary
        var businessTypes: StoreDictionary
    }

    /// The conditions with texts trimmed and empty lists dropped, every problem recorded in
    /// `check` under `conditions.…`.
    func validated(_ check: inout FieldValidator, _ dictionaries: Dictionaries) -> CampaignConditions {
        var result = CampaignConditions()
        func texts(_ field: String, _ values: [String]?, maxLength: Int) -> [String]? {
            guard let values, !values.isEmpty else { return nil }
            if values.count > Self.listLimit { check.fail("conditions.\(field)", "must have at most \(Self.listLimit) values") }
            let cleaned = values.enumerated().map { index, value in
                check.text("conditions.\(field)[\(index)]", value, maxLength: maxLength)
            }
            return Array(Set(cleaned)).sorted()
        }
        func codes(_ field: String, _ values: [String]?, in dictionary: StoreDictionary) -> [String]? {
            guard let values, !values.isEmpty else { return nil }
            if values.count > Self.listLimit { check.fail("conditions.\(field)", "must have at most \(Self.listLimit) values") }
            for (index, value) in values.enumerated() where !dictionary.entries.contains(where: { $0.code == value }) {
                check.fail("conditions.\(field)[\(index)]", "must be one of: \(dictionary.allowedText)")
            }
            return Array(Set(values)).sorted()
        }
        func days(_ field: String, _ range: DayRange?) -> DayRange? {
            guard let range else { return nil }
            let from = check.optionalDate("conditions.\(field).from", range.from)
            let to = check.optionalDate("conditions.\(field).to", range.to)
            if let from, let to, from > to { check.fail("conditions.\(field)", "from must not be after to") }
            return from == nil && to == nil ? nil : DayRange(from: from, to: to)
        }
        func numbers<Number>(_ field: String, _ range: NumberRange<Number>?, lowest: Number, highest: Number) -> NumberRange<Number>? {
            guard let range else { return nil }
            for (end, value) in [("min", range.min), ("max", range.max)] {
                if let value, value < lowest || value > highest { check.fail("conditions.\(field).\(end)", "must be from \(lowest) to \(highest)") }
            }
            if let min = range.min, let max = range.max, min > max { check.fail("conditions.\(field)", "min must not be more than max") }
            return range.min == nil && range.max == nil ? nil : range
        }
        result.provinces = texts("provinces", provinces, maxLength: FieldValidator.nameLength)
        result.cities = texts("cities", cities, maxLength: FieldValidator.nameLength)
        result.genders = codes("genders", genders, in: dictionaries.genders)
        result.sources = codes("sources", sources, in: dictionaries.sources)
        result.classes = codes("classes", classes, in: dictionaries.classes)
        result.birthDate = days("birthDate", birthDate)
        result.registrationDate = days("registrationDate", registrationDate)
        result.purchaseDate = days("purchaseDate", purchaseDate)
        result.insuranceExpiry = days("insuranceExpiry", insuranceExpiry)
        result.brands = texts("brands", brands, maxLength: FieldValidator.vehicleTextLength)
        result.series = texts("series", series, maxLength: FieldValidator.vehicleTextLength)
        result.models = texts("models", models, maxLength: FieldValidator.vehicleTextLength)
        result.yearlySpend = numbers("yearlySpend", yearlySpend, lowest: 0, highest: FieldValidator.largestAmount)
        if let spend = result.yearlySpend {
            for (end, value) in [("min", spend.min), ("max", spend.max)] {
                if let value, !Money.hasAtMostTwoDecimals(value) { check.fail("conditions.yearlySpend.\(end)", "must have at most 2 decimals") }
            }
        }
        result.yearlyVisits = numbers("yearlyVisits", yearlyVisits, lowest: 0, highest: 10_000)
        result.lastRepairTypes = codes("lastRepairTypes", lastRepairTypes, in: dictionaries.businessTypes)
        result.serviceAdvisors = texts("serviceAdvisors", serviceAdvisors, maxLength: FieldValidator.nameLength)
        return result
    }
}
