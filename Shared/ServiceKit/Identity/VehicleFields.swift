import Foundation

/// The checks of vehicle identifiers, in the style of `FieldValidator`'s: each records what is
/// wrong under the field's name and returns the normalised value.
extension FieldValidator {
    /// A VIN (车架号), upper-cased and checked (`VIN`).
    @discardableResult
    public mutating func vin(_ field: String, _ value: String) -> String {
        do throws(VINError) {
            return try VIN(value).text
        } catch {
            fail(field, error.message)
            return value
        }
    }

    /// A plate (车牌号), or nil for none (a car not registered yet).
    @discardableResult
    public mutating func optionalPlate(_ field: String, _ value: String?) -> String? {
        do throws(PlateError) {
            return try Plate.optional(value)?.text
        } catch {
            fail(field, error.message)
            return nil
        }
    }
}
