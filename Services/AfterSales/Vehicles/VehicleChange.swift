import Contracts
import Foundation
import ServiceKit

/// The body of `PATCH /after-sales/vehicles/{id}`: a field left out stays as it is, `null`
/// removes an optional one, a value replaces it (see `FieldChange`). A person sent replaces
/// the whole person, profile and all (`VehiclePerson`). The read-only fields the visits give
/// (current SA, last mileage, class) are not part of it: setting `serviceAdvisor` is how staff
/// choose the current SA, and `null` hands it back to the latest repair order's.
struct VehicleChange: Decodable {
    var vin: FieldChange<String>
    var plate: FieldChange<String>
    var brand: FieldChange<String>
    var series: FieldChange<String>
    var model: FieldChange<String>
    var color: FieldChange<String>
    var transmission: FieldChange<String>
    var engineNo: FieldChange<String>
    var purchaseDate: FieldChange<String>
    var registrationDate: FieldChange<String>
    var insuranceExpiry: FieldChange<String>
    var warrantyEndDate: FieldChange<String>
    var warrantyEndKm: FieldChange<Int>
    var serviceAdvisor: FieldChange<String>
    var owner: FieldChange<VehiclePerson>
    var user: FieldChange<VehiclePerson>
    var driver: FieldChange<VehiclePerson>

    enum CodingKeys: String, CodingKey {
        case vin, plate, brand, series, model, color, transmission, engineNo
        case purchaseDate, registrationDate, insuranceExpiry, warrantyEndDate, warrantyEndKm, serviceAdvisor
        case owner, user, driver
    }

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: CodingKeys.self)
        vin = try body.change(String.self, forKey: .vin)
        plate = try body.change(String.self, forKey: .plate)
        brand = try body.change(String.self, forKey: .brand)
        series = try body.change(String.self, forKey: .series)
        model = try body.change(String.self, forKey: .model)
        color = try body.change(String.self, forKey: .color)
        transmission = try body.change(String.self, forKey: .transmission)
        engineNo = try body.change(String.self, forKey: .engineNo)
        purchaseDate = try body.change(String.self, forKey: .purchaseDate)
        registrationDate = try body.change(String.self, forKey: .registrationDate)
        insuranceExpiry = try body.change(String.self, forKey: .insuranceExpiry)
        warrantyEndDate = try body.change(String.self, forKey: .warrantyEndDate)
        warrantyEndKm = try body.change(Int.self, forKey: .warrantyEndKm)
        serviceAdvisor = try body.change(String.self, forKey: .serviceAdvisor)
        owner = try body.change(VehiclePerson.self, forKey: .owner)
        user = try body.change(VehiclePerson.self, forKey: .user)
        driver = try body.change(VehiclePerson.self, forKey: .driver)
    }

    /// `current` with the changes applied, or a 422 naming every bad field. Only the fields
    /// sent are checked: a file made from an ERP repair order keeps what the ERP said.
    func validated(applyingTo current: VehicleFields, _ checks: VehicleChecks) throws -> VehicleFields {
        var check = FieldValidator()
        let mandatory: [(String, Bool)] = [
            ("vin", vin.isRemove), ("brand", brand.isRemove), ("series", series.isRemove),
            ("model", model.isRemove), ("owner", owner.isRemove),
        ]
        for (field, isRemoved) in mandatory where isRemoved {
            check.fail(field, "cannot be removed; send a new value instead")
        }
        let short = VehicleLimits.shortTextLength
        let (dictionaries, today) = (checks.dictionaries, checks.today)

        var fields = current
        if case .replace(let value) = vin { fields.vin = check.vin("vin", value) }
        if case .replace(let value) = brand { fields.brand = check.text("brand", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = series { fields.series = check.text("series", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = model { fields.model = check.text("model", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = owner { fields.owner = check.vehiclePerson("owner", value, dictionaries: dictionaries, today: today) }
        fields.plate = plate.resolve(current.plate) { check.optionalPlate("plate", $0) }
        fields.color = color.resolve(current.color) { check.optionalText("color", $0, maxLength: short) }
        fields.transmission = transmission.resolve(current.transmission) { check.optionalText("transmission", $0, maxLength: short) }
        fields.engineNo = engineNo.resolve(current.engineNo) { check.optionalText("engineNo", $0, maxLength: short) }
        fields.purchaseDate = purchaseDate.resolve(current.purchaseDate) { check.optionalDate("purchaseDate", $0) }
        fields.registrationDate = registrationDate.resolve(current.registrationDate) { check.optionalDate("registrationDate", $0) }
        fields.insuranceExpiry = insuranceExpiry.resolve(current.insuranceExpiry) { check.optionalDate("insuranceExpiry", $0) }
        fields.warrantyEndDate = warrantyEndDate.resolve(current.warrantyEndDate) { check.optionalDate("warrantyEndDate", $0) }
        fields.warrantyEndKm = warrantyEndKm.resolve(current.warrantyEndKm) { check.warrantyKm($0) }
        fields.serviceAdvisor = serviceAdvisor.resolve(current.serviceAdvisor) {
            check.optionalText("serviceAdvisor", $0, maxLength: FieldValidator.nameLength)
        }
        fields.user = user.resolve(current.user) { check.vehiclePerson("user", $0, dictionaries: dictionaries, today: today) }
        fields.driver = driver.resolve(current.driver) { check.vehiclePerson("driver", $0, dictionaries: dictionaries, today: today) }
        try check.throwIfInvalid()
        return fields
    }
}
