import Contracts
import Foundation
import ServiceKit

/// Who a conditional task (条件发券, C2) is for: the store's customers Coupons knows from events,
/// filtered. `prospect` filters prospects (潜客: level, source, intended series, state — `ordered`
/// and `delivered` are buyers and owners), `owner` filters vehicle owners (保有客户: brand,
/// series, purchase days, last repair days). Given one, the task is for the customers of that
/// part; given both, for either; given neither, for every customer of the store — and a claim
/// task with no conditions is open to anyone with a mobile. Within a part, every filter given
/// must hold; a list holds when the customer's value is one of it. Days are `yyyy-MM-dd`.
struct CouponConditions: Codable, Sendable, Equatable {
    var prospect: ProspectConditions?
    var owner: OwnerConditions?

    struct ProspectConditions: Codable, Sendable, Equatable {
        /// `prospectLevel` codes: H, A, B, C, O.
        var levels: [String]?
        /// `prospectSource` codes.
        var sources: [String]?
        /// Intended series (意向车系), as written.
        var series: [String]?
        /// `prospectState` codes: active, defeat_pending, defeated, ordered, delivered.
        var states: [String]?
    }

    struct OwnerConditions: Codable, Sendable, Equatable {
        var brands: [String]?
        var series: [String]?
        var purchasedFrom: String?
        var purchasedTo: String?
        var lastRepairFrom: String?
        var lastRepairTo: String?
    }

    var isEmpty: Bool { prospect == nil && owner == nil }

    /// Checks the codes against the store's dictionaries and the days; one 422 names every bad
    /// field (`conditions.prospect.levels` …).
    func checked(dictionaries: StoreDictionaries) throws -> CouponConditions {
        var check = FieldValidator()
        if let prospect {
            Self.codes("conditions.prospect.levels", prospect.levels, in: dictionaries[DataDictionaries.prospectLevel], check: &check)
            Self.codes("conditions.prospect.sources", prospect.sources, in: dictionaries[DataDictionaries.prospectSource], check: &check)
            Self.codes("conditions.prospect.states", prospect.states, in: dictionaries[DataDictionaries.prospectState], check: &check)
            Self.texts("conditions.prospect.series", prospect.series, check: &check)
        }
        if let owner {
            Self.texts("conditions.owner.brands", owner.brands, check: &check)
            Self.texts("conditions.owner.series", owner.series, check: &check)
            for (field, day) in [("purchasedFrom", owner.purchasedFrom), ("purchasedTo", owner.purchasedTo),
                                 ("lastRepairFrom", owner.lastRepairFrom), ("lastRepairTo", owner.lastRepairTo)] {
                if let day { check.require(CalendarDate.parse(day) != nil, "conditions.owner.\(field)", "must be a real day written yyyy-MM-dd") }
            }
        }
        try check.throwIfInvalid()
        return self
    }

    private static func codes(_ field: String, _ values: [String]?, in dictionary: StoreDictionary, check: inout FieldValidator) {
        guard let values else { return }
        if values.isEmpty { check.fail(field, "must list at least one code, or be left out; one of: \(dictionary.allowedText)") }
        for value in values where !dictionary.entries.contains(where: { $0.code == value }) {
            check.fail(field, "\(value) is not a code; must be one of: " + dictionary.entries.map { "\($0.code) (\($0.label))" }.joined(separator: ", "))
        }
    }

    private static func texts(_ field: String, _ values: [String]?, check: inout FieldValidator) {
        guard let values else { return }
        if values.isEmpty || values.contains(where: { $0.trimmed.isEmpty || $0.count > 40 }) {
            check.fail(field, "must list names of at most 40 characters, or be left out")
        }
    }
}
