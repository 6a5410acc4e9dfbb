import Contracts
import Foundation
import ServiceKit

/// The body of `POST /after-sales/vehicles`: a vehicle file and its customers (AS1, AS2).
struct NewVehicle: Decodable {
    var vin: String
    var plate: String?
    var brand: String
    var series: String
    var model: String
    var color: String?
    var transmission: String?
    var engineNo: String?
    var purchaseDate: String?
    var registrationDate: String?
    var insuranceExpiry: String?
    var warrantyEndDate: String?
    var warrantyEndKm: Int?
    var serviceAdvisor: String?
    var owner: VehiclePerson
    var user: VehiclePerson?
    var driver: VehiclePerson?

    /// The file to create, or a 422 naming every bad field.
    func validated(_ checks: VehicleChecks) throws -> VehicleFields {
        var check = FieldValidator()
        let fields = VehicleFields(
            vin: check.vin("vin", vin),
            plate: check.optionalPlate("plate", plate),
            brand: check.text("brand", brand, maxLength: FieldValidator.vehicleTextLength),
            series: check.text("series", series, maxLength: FieldValidator.vehicleTextLength),
            model: check.text("model", model, maxLength: FieldValidator.vehicleTextLength),
            color: check.optionalText("color", color, maxLength: VehicleLimits.shortTextLength),
            transmission: check.optionalText("transmission", transmission, maxLength: VehicleLimits.shortTextLength),
            engineNo: check.optionalText("engineNo", engineNo, maxLength: VehicleLimits.shortTextLength),
            purchaseDate: check.optionalDate("purchaseDate", purchaseDate),
            registrationDate: check.optionalDate("registrationDate", registrationDate),
            insuranceExpiry: check.optionalDate("insuranceExpiry", insuranceExpiry),
            warrantyEndDate: check.optionalDate("warrantyEndDate", warrantyEndDate),
            warrantyEndKm: warrantyEndKm.map { check.warrantyKm($0) },
            serviceAdvisor: check.optionalText("serviceAdvisor", serviceAdvisor, maxLength: FieldValidator.nameLength),
            owner: check.vehiclePerson("owner", owner, dictionaries: checks.dictionaries, today: checks.today),
            user: user.map { check.vehiclePerson("user", $0, dictionaries: checks.dictionaries, today: checks.today) },
            driver: driver.map { check.vehiclePerson("driver", $0, dictionaries: checks.dictionaries, today: checks.today) })
        try check.throwIfInvalid()
        return fields
    }
}

extension FieldValidator {
    /// A warranty's mileage, km, within `VehicleLimits.warrantyKm`, named `warrantyEndKm`.
    mutating func warrantyKm(_ value: Int) -> Int {
        range("warrantyEndKm", value, VehicleLimits.warrantyKm)
        return value
    }
}
