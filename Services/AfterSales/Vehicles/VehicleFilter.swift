import Foundation
import Hummingbird
import ServiceKit

/// The filters of the vehicle list, which is also the customer query (AS2): find a car by its
/// VIN or plate, a customer's cars by their mobile or name, or the cars of a customer class
/// (AS5) as the store's calendar has it today.
struct VehicleFilter: Sendable {
    /// A whole VIN or its last characters.
    var vinEnding: String?
    /// Part of a plate, normalised (`鄂A·812` finds `鄂A81245`).
    var plate: String?
    /// The mobile of the owner, the user or the driver.
    var mobile: String?
    /// Part of the name of the owner, the user or the driver.
    var name: String?
    /// A code of the dictionary `customerClass` (`CustomerClass`).
    var customerClass: String?

    /// The filters of the query string; a class the store's dictionary does not know is a 422
    /// listing the codes with their labels.
    init(_ request: Request, classes: StoreDictionary) throws {
        var query = QueryReader(request)
        let vin = query.string("vin", maxLength: 17)
        plate = query.string("plate", maxLength: 20).map(Plate.normalise)
        mobile = query.mobile("mobile")
        name = query.string("name", maxLength: FieldValidator.nameLength)
        let customerClass = query.code("customerClass")
        var check = FieldValidator()
        self.customerClass = check.filterCode("customerClass", customerClass, in: classes)
        vinEnding = vin.map { check.vinSearch("vin", $0) }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    /// ` AND …` for every filter given; `v` is the vehicle table, `c` the class
    /// (`VehicleClassQueries`).
    func apply(to sql: inout QueryBuilder) {
        if let vinEnding { sql.append(" AND v.vin LIKE ", bind: SearchText.endingWith(vinEnding)) }
        if let plate { sql.append(" AND v.plate LIKE ", bind: SearchText.containing(plate)) }
        if let mobile {
            let value = sql.placeholder(for: mobile)
            sql.append(" AND (v.owner_mobile = \(value) OR v.user_mobile = \(value) OR v.driver_mobile = \(value))")
        }
        if let name {
            let pattern = sql.placeholder(for: SearchText.containing(name))
            sql.append(" AND (v.owner_name ILIKE \(pattern) OR v.user_name ILIKE \(pattern) OR v.driver_name ILIKE \(pattern))")
        }
        if let customerClass { sql.append(" AND c.customer_class = ", bind: customerClass) }
    }
}
