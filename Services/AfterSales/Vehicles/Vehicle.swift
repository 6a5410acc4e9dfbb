import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A vehicle file (车辆档案, AS1) as the API shows it.
///
/// A store has one file per VIN. Staff enter files; a car the store had no file for gets one
/// from its first repair order (ERP or CRM), so that every car with repair history has a file.
struct VehicleView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var vin: String
    var plate: String?
    /// Brand (品牌), series (车系) and model (车型); always set on files staff entered, possibly
    /// missing on files made from a repair order.
    var brand: String?
    var series: String?
    var model: String?
    var color: String?
    var transmission: String?
    var engineNo: String?
    /// Days as `yyyy-MM-dd`.
    var purchaseDate: String?
    var registrationDate: String?
    var insuranceExpiry: String?
    /// 车主: the registered owner.
    var owner: Person
    /// 使用者: who uses the car, when not the owner (a company car's employee).
    var user: Person?
    /// 驾驶员: who drives it, when someone else again (a chauffeur).
    var driver: Person?
    /// `crm` (entered by staff) or `repair_order` (made from the car's first repair order).
    var source: String
    var createdAt: Date
    var updatedAt: Date

    var fields: VehicleFields {
        VehicleFields(
            vin: vin, plate: plate, brand: brand, series: series, model: model, color: color,
            transmission: transmission, engineNo: engineNo, purchaseDate: purchaseDate,
            registrationDate: registrationDate, insuranceExpiry: insuranceExpiry,
            owner: owner, user: user, driver: driver)
    }
}

/// What a vehicle file says, checked and normalised: what a POST creates, what a PATCH leaves.
struct VehicleFields: Sendable {
    var vin: String
    var plate: String?
    var brand: String?
    var series: String?
    var model: String?
    var color: String?
    var transmission: String?
    var engineNo: String?
    var purchaseDate: String?
    var registrationDate: String?
    var insuranceExpiry: String?
    var owner: Person
    var user: Person?
    var driver: Person?
}

/// Longest colour, transmission and engine number: short labels and codes.
private let shortTextLength = 50

/// The body of `POST /after-sales/vehicles`.
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
    var owner: Person
    var user: Person?
    var driver: Person?

    /// The file to create, or a 422 naming every bad field.
    func validated() throws -> VehicleFields {
        var check = FieldValidator()
        let fields = VehicleFields(
            vin: check.vin("vin", vin),
            plate: check.optionalPlate("plate", plate),
            brand: check.text("brand", brand, maxLength: FieldValidator.vehicleTextLength),
            series: check.text("series", series, maxLength: FieldValidator.vehicleTextLength),
            model: check.text("model", model, maxLength: FieldValidator.vehicleTextLength),
            color: check.optionalText("color", color, maxLength: shortTextLength),
            transmission: check.optionalText("transmission", transmission, maxLength: shortTextLength),
            engineNo: check.optionalText("engineNo", engineNo, maxLength: shortTextLength),
            purchaseDate: check.optionalDate("purchaseDate", purchaseDate),
            registrationDate: check.optionalDate("registrationDate", registrationDate),
            insuranceExpiry: check.optionalDate("insuranceExpiry", insuranceExpiry),
            owner: check.person("owner", owner),
            user: user.map { check.person("user", $0) },
            driver: driver.map { check.person("driver", $0) })
        try check.throwIfInvalid()
        return fields
    }
}

/// The body of `PATCH /after-sales/vehicles/{id}`: a field left out stays as it is, `null`
/// removes an optional one, a value replaces it (see `FieldChange`).
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
    var owner: FieldChange<Person>
    var user: FieldChange<Person>
    var driver: FieldChange<Person>

    enum CodingKeys: String, CodingKey {
        case vin, plate, brand, series, model, color, transmission, engineNo
        case purchaseDate, registrationDate, insuranceExpiry, owner, user, driver
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
        owner = try body.change(Person.self, forKey: .owner)
        user = try body.change(Person.self, forKey: .user)
        driver = try body.change(Person.self, forKey: .driver)
    }

    /// `current` with the changes applied, or a 422 naming every bad field. Only the fields
    /// sent are checked: a file made from an ERP repair order keeps what the ERP said.
    func validated(applyingTo current: VehicleFields) throws -> VehicleFields {
        var check = FieldValidator()
        let mandatory: [(String, Bool)] = [
            ("vin", vin.isRemove), ("brand", brand.isRemove), ("series", series.isRemove),
            ("model", model.isRemove), ("owner", owner.isRemove),
        ]
        for (field, isRemoved) in mandatory where isRemoved {
            check.fail(field, "cannot be removed; send a new value instead")
        }

        var fields = current
        if case .replace(let value) = vin { fields.vin = check.vin("vin", value) }
        if case .replace(let value) = brand { fields.brand = check.text("brand", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = series { fields.series = check.text("series", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = model { fields.model = check.text("model", value, maxLength: FieldValidator.vehicleTextLength) }
        if case .replace(let value) = owner { fields.owner = check.person("owner", value) }
        fields.plate = plate.resolve(current.plate) { check.optionalPlate("plate", $0) }
        fields.color = color.resolve(current.color) { check.optionalText("color", $0, maxLength: shortTextLength) }
        fields.transmission = transmission.resolve(current.transmission) { check.optionalText("transmission", $0, maxLength: shortTextLength) }
        fields.engineNo = engineNo.resolve(current.engineNo) { check.optionalText("engineNo", $0, maxLength: shortTextLength) }
        fields.purchaseDate = purchaseDate.resolve(current.purchaseDate) { check.optionalDate("purchaseDate", $0) }
        fields.registrationDate = registrationDate.resolve(current.registrationDate) { check.optionalDate("registrationDate", $0) }
        fields.insuranceExpiry = insuranceExpiry.resolve(current.insuranceExpiry) { check.optionalDate("insuranceExpiry", $0) }
        fields.user = user.resolve(current.user) { check.person("user", $0) }
        fields.driver = driver.resolve(current.driver) { check.person("driver", $0) }
        try check.throwIfInvalid()
        return fields
    }
}
