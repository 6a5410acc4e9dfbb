import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A repair order (维修工单, AS3) as the API shows it, whether an SA opened it in the CRM or it
/// came from the dealer's ERP.
struct RepairOrderView: Codable, Sendable, ResponseEncodable {
    enum State: String, Codable, Sendable, CaseIterable {
        /// The car is in the workshop.
        case open
        /// Settled and handed back (结算完工); a satisfaction visit follows.
        case completed
    }

    var id: UUID
    var storeId: UUID
    var storeCode: String
    /// The number staff see (工单号), unique in the store: `RO2403180001`.
    var roNo: String
    var vin: String
    var plate: String
    /// The car's vehicle file in this store.
    var vehicleId: UUID?
    var customer: Person
    /// Who brought the car in (送修人).
    var sender: Person
    var businessType: RepairBusinessType
    /// The service advisor's name (服务顾问).
    var serviceAdvisor: String
    var mileageKm: Int
    /// Yuan, two decimals: the settled amount once completed; an ERP may send an estimate
    /// at opening.
    var amount: Decimal?
    var brand: String?
    var series: String?
    var model: String?
    var state: State
    var openedAt: Date
    var completedAt: Date?
    /// `crm` (opened by an SA through the API) or `erp`.
    var source: String
    var createdAt: Date
    var updatedAt: Date

    /// What `aftersales.repair_order.completed.v1` says when this order completes.
    func completion(amount: Decimal, completedAt: Date) -> RepairOrderCompleted {
        RepairOrderCompleted(
            repairOrderId: id, storeId: storeId, storeCode: storeCode, roNo: roNo, vin: vin, plate: plate,
            customer: customer, sender: sender, businessType: businessType, serviceAdvisor: serviceAdvisor,
            mileageKm: mileageKm, amount: amount, completedAt: completedAt, brand: brand, series: series, model: model)
    }
}

/// Limits of what an SA may enter on a repair order.
enum RepairOrderLimits {
    static let mileageKm = 0...2_000_000
    static let maximumAmount: Decimal = 10_000_000
    /// A clock a few minutes fast on the SA's computer is not "in the future".
    static let clockSkew: TimeInterval = 5 * 60
}

/// The body of `POST /after-sales/repair-orders`.
struct NewRepairOrder: Decodable {
    /// Left out, the CRM numbers the order itself.
    var roNo: String?
    var vin: String
    /// Left out, the plate of the car's vehicle file.
    var plate: String?
    var customer: Person
    /// Left out, the customer brought the car in.
    var sender: Person?
    /// A code of the store's dictionary `repairBusinessType` (a `RepairBusinessType` raw value),
    /// read as text so that a bad one is reported with the body's other bad fields, the store's
    /// enabled codes and their labels listed.
    var businessType: String
    /// Left out, the caller.
    var serviceAdvisor: String?
    var mileageKm: Int
    /// Left out, now.
    var openedAt: Date?
    /// Left out, those of the car's vehicle file.
    var brand: String?
    var series: String?
    var model: String?

    /// The order to open, or a 422 naming every bad field.
    ///
    /// - Parameters:
    ///   - carFile: the store's vehicle file of the VIN, if any, which fills in the plate and
    ///     the brand, series and model when the SA leaves them out.
    ///   - caller: the service advisor's name when the SA leaves it out.
    ///   - businessTypes: the store's dictionary `repairBusinessType`; a disabled type is refused.
    func validated(carFile: VehicleFields?, caller: String, businessTypes: StoreDictionary, now: Date) throws -> RepairOrderOpening {
        var check = FieldValidator()
        let roNo = roNo.flatMap { check.optionalText("roNo", $0, maxLength: 32)?.uppercased() }
        if let roNo {
            check.require(
                roNo.range(of: "^[A-Z0-9-]{1,32}$", options: .regularExpression) != nil, "roNo",
                "must be letters, digits and dashes, like RO2403180001")
        }
        let vin = check.vin("vin", vin)
        let plateLeftOut = Plate.normalise(self.plate ?? "").isEmpty
        let plate = check.optionalPlate("plate", self.plate) ?? carFile?.plate
        if plate == nil, plateLeftOut {
            check.fail("plate", "is required: the car has no vehicle file with a plate")
        }
        let customer = check.person("customer", customer)
        let sender = sender.map { check.person("sender", $0) } ?? customer
        // A closed set: the store's codes are the built-in ones the ERP's events carry too.
        let businessTypeCode = check.requiredCode("businessType", businessType, in: businessTypes)
        let businessType = businessTypeCode.flatMap(RepairBusinessType.init(rawValue:))
        if businessTypeCode != nil, businessType == nil { check.fail("businessType", "must be one of: \(businessTypes.allowedText)") }
        let serviceAdvisor = check.optionalText("serviceAdvisor", serviceAdvisor, maxLength: FieldValidator.nameLength) ?? caller
        check.range("mileageKm", mileageKm, RepairOrderLimits.mileageKm)
        let openedAt = openedAt ?? now
        check.require(openedAt <= now.addingTimeInterval(RepairOrderLimits.clockSkew), "openedAt", "must not be in the future")
        let brand = check.optionalText("brand", brand, maxLength: FieldValidator.vehicleTextLength) ?? carFile?.brand
        let series = check.optionalText("series", series, maxLength: FieldValidator.vehicleTextLength) ?? carFile?.series
        let model = check.optionalText("model", model, maxLength: FieldValidator.vehicleTextLength) ?? carFile?.model
        try check.throwIfInvalid()
        return RepairOrderOpening(
            roNo: roNo, vin: vin, plate: plate!, customer: customer, sender: sender, businessType: businessType!,
            serviceAdvisor: serviceAdvisor, mileageKm: mileageKm, openedAt: openedAt, brand: brand, series: series, model: model)
    }
}

/// A repair order an SA opens, checked and complete.
struct RepairOrderOpening: Sendable {
    /// nil: the CRM gives the next number of the store and day.
    var roNo: String?
    var vin: String
    var plate: String
    var customer: Person
    var sender: Person
    var businessType: RepairBusinessType
    var serviceAdvisor: String
    var mileageKm: Int
    var openedAt: Date
    var brand: String?
    var series: String?
    var model: String?

    var car: CarOnRepairOrder {
        CarOnRepairOrder(vin: vin, plate: plate, brand: brand, series: series, model: model, customer: customer)
    }
}

/// The body of `POST /after-sales/repair-orders/{id}/complete`.
struct RepairOrderCompletion: Decodable {
    /// The settled amount (结算金额), yuan.
    var amount: Decimal
    /// Left out, now.
    var completedAt: Date?

    /// The amount and time of completion, or a 422 naming every bad field.
    func validated(openedAt: Date, now: Date) throws -> (amount: Decimal, completedAt: Date) {
        var check = FieldValidator()
        check.money("amount", amount, maximum: RepairOrderLimits.maximumAmount)
        let completedAt = completedAt ?? now
        check.require(completedAt <= now.addingTimeInterval(RepairOrderLimits.clockSkew), "completedAt", "must not be in the future")
        check.require(completedAt >= openedAt, "completedAt", "must not be before the order was opened (\(RFC3339.string(from: openedAt)))")
        try check.throwIfInvalid()
        return (amount, completedAt)
    }
}
