import Foundation

// Events published by the dealer's ERP (DMS) into `crm.events`.
//
// These are the ERP vendor's side of the contract: asyncapi.yaml documents the same shapes as
// JSON Schema, and ContractsTests checks that the two agree. The ERP identifies the store by its
// store code (e.g. `HX000001`); the CRM maps that code to its own store id.

/// A repair order (维修工单) was opened in the ERP: the car is in the workshop.
///
/// The same repair-order object serves the opened and the completed event, so an ERP can send
/// one shape with more fields filled in on completion.
public struct ERPRepairOrderOpened: EventPayload, Equatable {
    public static let eventType = "erp.repair_order.opened.v1"

    /// The store's code in the dealer group, e.g. `HX000001`.
    public var storeCode: String
    /// The ERP's repair-order number (工单号), e.g. `RO1903160002`; unique within the store.
    public var roNo: String
    public var vin: String
    /// Licence plate (车牌号), e.g. `鄂A81245`.
    public var plate: String
    /// The vehicle's owner or the customer the order is billed to.
    public var customer: Person
    /// Who brought the car in (送修人); may be the customer.
    public var sender: Person
    public var businessType: RepairBusinessType
    /// The service advisor's name (服务顾问), as the ERP shows it.
    public var serviceAdvisor: String
    /// Odometer reading at reception (进厂里程), whole kilometres.
    public var mileageKm: Int
    /// The estimated amount (预估金额) if the ERP knows it at opening; two decimals.
    public var amount: Decimal?
    public var openedAt: Date
    /// The vehicle's brand (品牌), series (车系) and model (车型), when the ERP has them.
    public var brand: String?
    public var series: String?
    public var model: String?

    public init(
        storeCode: String, roNo: String, vin: String, plate: String,
        customer: Person, sender: Person, businessType: RepairBusinessType,
        serviceAdvisor: String, mileageKm: Int, amount: Decimal? = nil, openedAt: Date,
        brand: String? = nil, series: String? = nil, model: String? = nil
    ) {
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
        self.openedAt = openedAt
        self.brand = brand
        self.series = series
        self.model = model
    }
}

/// A repair order was completed and settled in the ERP (结算完工).
///
/// AfterSales turns it into its own repair order (opening it first if it never saw the opened
/// event) and publishes `aftersales.repair_order.completed.v1`.
public struct ERPRepairOrderCompleted: EventPayload, Equatable {
    public static let eventType = "erp.repair_order.completed.v1"

    public var storeCode: String
    public var roNo: String
    public var vin: String
    public var plate: String
    public var customer: Person
    public var sender: Person
    public var businessType: RepairBusinessType
    public var serviceAdvisor: String
    public var mileageKm: Int
    /// The settled amount (结算金额) the customer was charged; two decimals.
    public var amount: Decimal
    public var openedAt: Date
    public var completedAt: Date
    public var brand: String?
    public var series: String?
    public var model: String?

    public init(
        storeCode: String, roNo: String, vin: String, plate: String,
        customer: Person, sender: Person, businessType: RepairBusinessType,
        serviceAdvisor: String, mileageKm: Int, amount: Decimal, openedAt: Date, completedAt: Date,
        brand: String? = nil, series: String? = nil, model: String? = nil
    ) {
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
        self.openedAt = openedAt
        self.completedAt = completedAt
        self.brand = brand
        self.series = series
        self.model = model
    }
}

/// A car insurance policy (车险保单) was issued in the ERP: the store's insurance desk renewed a
/// customer's policy (续保, SPEC AS6).
///
/// AfterSales matches it to the store's vehicle file by store code and VIN. Issued on or before
/// the last day of the car's current policy, it is the success (续保成功) of the car's open
/// renewal task; whenever it comes, a later `expiresOn` becomes the car's insurance expiry, which
/// starts the next renewal cycle. The same policy (store, insurer, policy number) sent twice is
/// recorded once. A car the store has no file for is skipped: a file needs its owner, which the
/// policy does not carry.
///
/// Decoding refuses an `expiresOn` or `startsOn` that is not a real day written `yyyy-MM-dd`, a
/// premium below 0, above 9,999,999,999.99 or with more than two decimals, and an insurer
/// (1–100 characters) or policy number (1–50) that is empty or too long, so such an event is
/// dead-lettered at once instead of retried or stored wrong.
public struct ERPInsurancePolicyIssued: EventPayload, Equatable {
    public static let eventType = "erp.insurance_policy.issued.v1"

    /// The store's code in the dealer group, e.g. `HX000001`.
    public var storeCode: String
    /// The insured car's VIN (车架号).
    public var vin: String
    /// The plate, when the ERP has it.
    public var plate: String?
    /// The insurer (保险公司) as the ERP names it, e.g. `中国人保财险`.
    public var insurer: String
    /// The policy number (保单号); unique per insurer.
    public var policyNo: String
    /// The premium (保费) the customer pays, yuan, at most two decimals.
    public var premium: Decimal
    /// The policy's first day (起保日期), `yyyy-MM-dd`, when the ERP sends it.
    public var startsOn: String?
    /// The policy's last day (保险到期日), `yyyy-MM-dd`: the car's new insurance expiry.
    public var expiresOn: String
    /// When the policy was issued (出单时间); its day on the store's clock decides whether it
    /// came before the old policy expired.
    public var issuedAt: Date

    public init(
        storeCode: String, vin: String, plate: String? = nil, insurer: String, policyNo: String, premium: Decimal,
        startsOn: String? = nil, expiresOn: String, issuedAt: Date
    ) {
        self.storeCode = storeCode
        self.vin = vin
        self.plate = plate
        self.insurer = insurer
        self.policyNo = policyNo
        self.premium = premium
        self.startsOn = startsOn
        self.expiresOn = expiresOn
        self.issuedAt = issuedAt
    }

    private enum CodingKeys: String, CodingKey {
        case storeCode, vin, plate, insurer, policyNo, premium, startsOn, expiresOn, issuedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        storeCode = try container.decode(String.self, forKey: .storeCode)
        vin = try container.decode(String.self, forKey: .vin)
        plate = try container.decodeIfPresent(String.self, forKey: .plate)
        insurer = try container.decode(String.self, forKey: .insurer)
        policyNo = try container.decode(String.self, forKey: .policyNo)
        premium = try container.decode(Decimal.self, forKey: .premium)
        startsOn = try container.decodeIfPresent(String.self, forKey: .startsOn)
        expiresOn = try container.decode(String.self, forKey: .expiresOn)
        issuedAt = try container.decode(Date.self, forKey: .issuedAt)
        func refuse(_ key: CodingKeys, _ reason: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: reason)
        }
        // What the handler could not store or would store wrong: refused here, so the event is
        // dead-lettered at once instead of retried (asyncapi.yaml states the same limits).
        guard premium >= 0, premium <= Self.largestPremium else { throw refuse(.premium, "expected 0 to 9999999999.99 yuan") }
        var cents = premium * 100, whole = Decimal()
        NSDecimalRound(&whole, &cents, 0, .plain)
        guard whole == cents else { throw refuse(.premium, "expected at most two decimals") }
        let insurerName = insurer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !insurerName.isEmpty, insurerName.count <= 100 else { throw refuse(.insurer, "expected 1 to 100 characters") }
        let number = policyNo.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !number.isEmpty, number.count <= 50 else { throw refuse(.policyNo, "expected 1 to 50 characters") }
        guard CalendarDate.parse(expiresOn) != nil else { throw refuse(.expiresOn, "expected a day written yyyy-MM-dd") }
        if let startsOn, CalendarDate.parse(startsOn) == nil { throw refuse(.startsOn, "expected a day written yyyy-MM-dd") }
    }

    /// The most a premium may be: what `numeric(12,2)` holds.
    static let largestPremium = Decimal(string: "9999999999.99")!
}

/// A new-car sales order (销售订单) was created in the ERP.
///
/// Prospects lists the buyer as an order customer (订单客户) and raises the matching prospect,
/// found by mobile, to level O.
public struct ERPSalesOrderCreated: EventPayload, Equatable {
    public static let eventType = "erp.sales_order.created.v1"

    public var storeCode: String
    /// The ERP's sales-order number, e.g. `SN1903130001`; unique within the store.
    public var orderNo: String
    /// The buyer; for a company purchase, the company's name and its contact's mobile.
    public var customer: Person
    /// The VIN of the allocated car (配车), if a car is already allocated to the order.
    public var vin: String?
    public var brand: String
    public var series: String
    public var model: String
    /// Exterior colour (外观颜色), when chosen.
    public var color: String?
    /// The agreed vehicle price (成交价) of the order; two decimals.
    public var amount: Decimal
    /// The deposit paid (订金), if any; two decimals.
    public var deposit: Decimal?
    /// The sales consultant's name (销售顾问), as the ERP shows it.
    public var consultant: String
    public var createdAt: Date

    public init(
        storeCode: String, orderNo: String, customer: Person, vin: String? = nil,
        brand: String, series: String, model: String, color: String? = nil,
        amount: Decimal, deposit: Decimal? = nil, consultant: String, createdAt: Date
    ) {
        self.storeCode = storeCode
        self.orderNo = orderNo
        self.customer = customer
        self.vin = vin
        self.brand = brand
        self.series = series
        self.model = model
        self.color = color
        self.amount = amount
        self.deposit = deposit
        self.consultant = consultant
        self.createdAt = createdAt
    }
}

/// A new car was handed over to its buyer (交车确认) in the ERP.
///
/// Prospects turns the buyer into a retained customer (销售保有客户); CustomerService opens a
/// new-car satisfaction visit task.
public struct ERPVehicleDelivered: EventPayload, Equatable {
    public static let eventType = "erp.vehicle.delivered.v1"

    public var storeCode: String
    /// The sales-order number the car was sold under.
    public var orderNo: String
    public var vin: String
    /// The plate, if the car was registered before handover (often it is not yet).
    public var plate: String?
    public var customer: Person
    public var brand: String
    public var series: String
    public var model: String
    public var consultant: String
    public var deliveredAt: Date

    public init(
        storeCode: String, orderNo: String, vin: String, plate: String? = nil, customer: Person,
        brand: String, series: String, model: String, consultant: String, deliveredAt: Date
    ) {
        self.storeCode = storeCode
        self.orderNo = orderNo
        self.vin = vin
        self.plate = plate
        self.customer = customer
        self.brand = brand
        self.series = series
        self.model = model
        self.consultant = consultant
        self.deliveredAt = deliveredAt
    }
}
