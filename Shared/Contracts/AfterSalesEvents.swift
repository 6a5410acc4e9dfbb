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
