import Foundation

// Events published by the AfterSales service.

/// A repair order was completed in AfterSales — whether an SA completed it in the CRM or it came
/// from the ERP's `erp.repair_order.completed.v1`.
///
/// The flagship flow starts here: CustomerService creates a satisfaction visit task (保有客户任务)
/// from it, so it carries everything that task shows without a call back to AfterSales.
public struct RepairOrderCompleted: EventPayload, Equatable {
    public static let eventType = "aftersales.repair_order.completed.v1"

    /// AfterSales' id of the repair order.
    public var repairOrderId: UUID
    /// The CRM's id of the store; `storeCode` is the same store as the ERP names it.
    public var storeId: UUID
    public var storeCode: String
    /// The repair-order number staff see (RO…).
    public var roNo: String
    public var vin: String
    public var plate: String
    public var customer: Person
    /// Who brought the car in (送修人).
    public var sender: Person
    public var businessType: RepairBusinessType
    /// The service advisor's name.
    public var serviceAdvisor: String
    public var mileageKm: Int
    /// The settled amount; two decimals.
    public var amount: Decimal
    public var completedAt: Date
    /// The vehicle's brand, series and model, when known (the visit task lists series/model).
    public var brand: String?
    public var series: String?
    public var model: String?

    public init(
        repairOrderId: UUID, storeId: UUID, storeCode: String, roNo: String, vin: String,
        plate: String, customer: Person, sender: Person, businessType: RepairBusinessType,
        serviceAdvisor: String, mileageKm: Int, amount: Decimal, completedAt: Date,
        brand: String? = nil, series: String? = nil, model: String? = nil
    ) {
        self.repairOrderId = repairOrderId
        self.storeId = storeId
        self.storeCode = storeCode
        self.roNo = roNo
        self.vin = vin
        self.plate = plate
        self.customer = customer
        self.sender = sender
        self.businessType = businessType
        self.serviceAdvisor = serviceAdvisor
        self.mileageKm = mileageKm
        self.amount = amount
        self.completedAt = completedAt
        self.brand = brand
        self.series = series
        self.model = model
    }
}

/// A vehicle file (车辆档案, AS1) was created or changed, or a repair order of the car was
/// opened or completed: the file as it is now, for a service that keeps a read model of the
/// store's cars and their owners (Coupons filters on it to issue coupons, C2).
///
/// AfterSales publishes it in the transaction of every write that creates or changes a file or
/// its owner — staff entering or editing it (AS1, AS2), a repair order making a car's first
/// file (SA or ERP), a renewed insurance policy moving its expiry (AS6) — and of every opening
/// and completion of a repair order of the car (AS3), which moves `lastRepairOn`. A reader
/// upserts by `vehicleId` and ignores an event whose `changedAt` is older than its copy's: an
/// event sent once too often carries the same state and changes nothing.
public struct VehicleChanged: EventPayload, Equatable {
    public static let eventType = "aftersales.vehicle.changed.v1"

    /// AfterSales' id of the vehicle file.
    public var vehicleId: UUID
    /// The CRM's id of the store; a store has one file per VIN.
    public var storeId: UUID
    public var vin: String
    /// 车牌号, normalised (`鄂A81245`), when the car has one on file.
    public var plate: String?
    /// Brand (品牌), series (车系) and model (车型): set on files staff entered, possibly
    /// missing on a file made from a repair order that did not name them.
    public var brand: String?
    public var series: String?
    public var model: String?
    /// Days as `yyyy-MM-dd`: bought (购车日期), registered (上牌日期), insured until (保险到期).
    public var purchaseDate: String?
    public var registrationDate: String?
    public var insuranceExpiry: String?
    /// 车主: the registered owner.
    public var owner: VehicleOwner
    /// The day (`yyyy-MM-dd`, on the store's clock) the car's latest repair order was opened —
    /// its last visit to the workshop, whether the order is open or completed; nil before its
    /// first. Two orders of the car recorded at the same moment, in two transactions, may leave
    /// it without the other's until the car's next change is announced.
    public var lastRepairOn: String?
    /// When the file was announced, on AfterSales' database clock: a later change of the file
    /// itself (staff's, a policy's) always carries a later time.
    public var changedAt: Date

    public init(
        vehicleId: UUID, storeId: UUID, vin: String, plate: String?, brand: String?, series: String?, model: String?,
        purchaseDate: String?, registrationDate: String?, insuranceExpiry: String?, owner: VehicleOwner, lastRepairOn: String?,
        changedAt: Date
    ) {
        self.vehicleId = vehicleId
        self.storeId = storeId
        self.vin = vin
        self.plate = plate
        self.brand = brand
        self.series = series
        self.model = model
        self.purchaseDate = purchaseDate
        self.registrationDate = registrationDate
        self.insuranceExpiry = insuranceExpiry
        self.owner = owner
        self.lastRepairOn = lastRepairOn
        self.changedAt = changedAt
    }
}

/// A vehicle's owner (车主) with the profile a vehicle file keeps of them (AS2), as far as it is
/// on file: a file made from a repair order has the name and mobile alone.
public struct VehicleOwner: Codable, Sendable, Hashable {
    public var name: String
    /// 11 digits.
    public var mobile: String
    /// `male` or `female`.
    public var gender: String?
    /// 省 and 市 as staff write them (`湖北省`, `武汉市`).
    public var province: String?
    public var city: String?

    public init(name: String, mobile: String, gender: String? = nil, province: String? = nil, city: String? = nil) {
        self.name = name
        self.mobile = mobile
        self.gender = gender
        self.province = province
        self.city = city
    }
}
