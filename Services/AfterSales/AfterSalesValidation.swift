import Contracts
import Foundation
import ServiceKit

/// The checks of AfterSales' own kinds of field, in the style of `FieldValidator`'s: each
/// records what is wrong under the field's name and returns the normalised value.
extension FieldValidator {
    /// Longest names of people and staff.
    static let nameLength = 50
    /// Longest brand, series and model.
    static let vehicleTextLength = 100
    /// Longest free text.
    static let freeTextLength = 500

    /// A VIN search: a whole VIN or its last characters, letters and digits only; upper-cased.
    mutating func vinSearch(_ field: String, _ value: String) -> String {
        let text = VIN.normalise(value)
        require(
            text.count <= 17 && text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }, field,
            "must be a VIN or its last characters: letters and digits, at most 17")
        return text
    }

    /// A `yyyy-MM-dd` day, or nil when left out or empty.
    mutating func optionalDate(_ field: String, _ value: String?) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        guard let date = CalendarDate.parse(value) else {
            fail(field, "must be a date written yyyy-MM-dd, e.g. 2024-03-18")
            return nil
        }
        return date
    }

    /// A person's name (trimmed) and mobile (normalised), named `field.name` and `field.mobile`.
    mutating func person(_ field: String, _ value: Person) -> Person {
        Person(
            name: text("\(field).name", value.name, maxLength: Self.nameLength),
            mobile: mobile("\(field).mobile", value.mobile))
    }
}
