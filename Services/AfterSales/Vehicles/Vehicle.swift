import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A vehicle file (车辆档案, AS1) and its customers' file (AS2) as the API shows it.
///
/// A store has one file per VIN. Staff enter files; a car the store had no file for gets one
/// from its first repair order (ERP or CRM), so that every car with repair history has a file.
/// Besides what staff enter (`VehicleFields`), the file shows what the car's visits say —
/// current SA, last mileage, customer class — worked out when it is read (`VehicleClassQueries`).
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
    /// 质保到期: the maker's warranty ends on this day (`yyyy-MM-dd`) or at this mileage (km),
    /// whichever comes first.
    var warrantyEndDate: String?
    var warrantyEndKm: Int?
    /// The service advisor (服务顾问) staff put in charge of the car, by name; nil: none set.
    var serviceAdvisor: String?
    /// 车主: the registered owner.
    var owner: VehiclePerson
    /// 使用者: who uses the car, when not the owner (a company car's employee).
    var user: VehiclePerson?
    /// 驾驶员: who drives it, when someone else again (a chauffeur).
    var driver: VehiclePerson?
    /// `crm` (entered by staff) or `repair_order` (made from the car's first repair order).
    var source: String
    /// Read-only: `serviceAdvisor` if set, else the SA of the car's latest repair order.
    var currentServiceAdvisor: String?
    /// Read-only: the mileage (km) of the car's latest repair order that recorded one.
    var lastMileageKm: Int?
    /// Read-only: the customer class on the store's calendar today (AS5, `CustomerClass`).
    var customerClass: CustomerClass
    /// Read-only: when the car's latest repair order was opened.
    var lastVisitAt: Date?
    /// Read-only: repair orders opened last calendar year, on the store's calendar.
    var visitsLastYear: Int
    var createdAt: Date
    var updatedAt: Date

    var fields: VehicleFields {
        VehicleFields(
            vin: vin, plate: plate, brand: brand, series: series, model: model, color: color,
            transmission: transmission, engineNo: engineNo, purchaseDate: purchaseDate,
            registrationDate: registrationDate, insuranceExpiry: insuranceExpiry, warrantyEndDate: warrantyEndDate,
            warrantyEndKm: warrantyEndKm, serviceAdvisor: serviceAdvisor, owner: owner, user: user, driver: driver)
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
    var warrantyEndDate: String?
    var warrantyEndKm: Int?
    var serviceAdvisor: String?
    var owner: VehiclePerson
    var user: VehiclePerson?
    var driver: VehiclePerson?
}

/// What a vehicle file's fields are checked against: the store's dictionaries, and its today
/// (a birth date after it is refused).
struct VehicleChecks: Sendable {
    var dictionaries: VehicleDictionaries
    /// The store's today, `yyyy-MM-dd`.
    var today: String
}

/// Limits of a vehicle file's fields.
enum VehicleLimits {
    /// Longest colour, transmission and engine number: short labels and codes.
    static let shortTextLength = 50
    /// Warranty mileage, km: as far as a repair order's mileage goes.
    static let warrantyKm = RepairOrderLimits.mileageKm
}
