import Contracts
import Foundation

/// Realistic events of one payload type, with the operations the tests need.
///
/// The tests iterate over `EventCatalog.all`, whose elements are existential metatypes; this
/// type captures the concrete payload type once, in `make`, so the tests stay generic.
struct ContractSample {
    let eventType: String
    /// The event with every optional attribute and field set, encoded with `EventCoding`.
    let fullEvent: Data
    /// The event with every optional attribute and field left out, encoded with `EventCoding`.
    let minimalEvent: Data
    /// Decodes JSON as this sample's `CloudEvent<Payload>`, as a consumer would.
    let decode: (Data) throws -> Void
    /// Decodes both events back; describes the first difference, or nil when they are equal.
    let roundTripDifference: () throws -> String?

    static func make<Payload: EventPayload & Equatable>(
        full: CloudEvent<Payload>, minimal: CloudEvent<Payload>
    ) throws -> ContractSample {
        let encoder = EventCoding.makeEncoder()
        let decoder = EventCoding.makeDecoder()
        let fullEvent = try encoder.encode(full)
        let minimalEvent = try encoder.encode(minimal)

        func difference(_ event: CloudEvent<Payload>, _ encoded: Data) throws -> String? {
            let decoded = try decoder.decode(CloudEvent<Payload>.self, from: encoded)
            if decoded.data != event.data {
                return "data \(event.data) decoded as \(decoded.data)"
            }
            let encodedAgain = try encoder.encode(decoded)
            if encodedAgain != encoded {
                return "\(String(decoding: encoded, as: UTF8.self)) re-encoded as \(String(decoding: encodedAgain, as: UTF8.self))"
            }
            return nil
        }

        return ContractSample(
            eventType: Payload.eventType,
            fullEvent: fullEvent,
            minimalEvent: minimalEvent,
            decode: { _ = try decoder.decode(CloudEvent<Payload>.self, from: $0) },
            roundTripDifference: {
                try difference(full, fullEvent) ?? difference(minimal, minimalEvent)
            })
    }
}

/// One sample per event type, keyed by event type. Values are taken from the kind of data the
/// dealer's ERP holds (store codes, RO/SN numbers, plates, Chinese names), with VINs whose
/// check digits are right.
enum ContractSamples {
    static func all() throws -> [String: ContractSample] {
        let samples = try [
            erpRepairOrderOpened(),
            erpRepairOrderCompleted(),
            erpSalesOrderCreated(),
            erpVehicleDelivered(),
            repairOrderCompleted(),
        ]
        return Dictionary(uniqueKeysWithValues: samples.map { ($0.eventType, $0) })
    }

    // MARK: - Shared values

    static let storeCode = "HX000001"
    static let storeId = UUID(uuidString: "5b2f7c9e-1a3d-4e6f-8b0c-2d4e6f8a0b1c")!
    static let owner = Person(name: "赖朝朝", mobile: "15972197426")
    static let ownersSister = Person(name: "赖小燕", mobile: "13871150099")
    static let buyer = Person(name: "陈小飞", mobile: "17764009558")
    static let audiVIN = "LFV3A28K7K3012345"
    static let benzVIN = "LFV2A21KXJ4098765"  // check digit X

    static func time(_ text: String) -> Date {
        guard let date = RFC3339.date(from: text) else { fatalError("bad sample time \(text)") }
        return date
    }

    /// An event as the ERP publishes it; the full samples also set `subject` and a correlation id.
    static func erpEvent<Payload: EventPayload>(
        _ data: Payload, at time: String, subject: String? = nil, correlationid: String? = nil
    ) -> CloudEvent<Payload> {
        CloudEvent(
            id: "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", source: "/erp/\(storeCode)",
            time: Self.time(time), subject: subject, data: data, correlationid: correlationid)
    }

    // MARK: - One sample per event type

    static func erpRepairOrderOpened() throws -> ContractSample {
        let full = ERPRepairOrderOpened(
            storeCode: storeCode, roNo: "RO1903160002", vin: audiVIN, plate: "鄂A81245",
            customer: owner, sender: ownersSister, businessType: .accidentRepair,
            serviceAdvisor: "王建国", mileageKm: 45210, amount: Decimal(string: "3800.00")!,
            openedAt: time("2024-03-16T09:30:00+08:00"),
            brand: "奥迪", series: "奥迪A6L", model: "奥迪A6L 2019款 45 TFSI 臻选动感型")
        let minimal = ERPRepairOrderOpened(
            storeCode: storeCode, roNo: "RO1903160002", vin: audiVIN, plate: "鄂A81245",
            customer: owner, sender: owner, businessType: .generalRepair,
            serviceAdvisor: "王建国", mileageKm: 0, openedAt: time("2024-03-16T09:30:00+08:00"))
        return try .make(
            full: erpEvent(full, at: "2024-03-16T09:30:05+08:00", subject: full.roNo, correlationid: "erp-batch-001"),
            minimal: erpEvent(minimal, at: "2024-03-16T09:30:05+08:00"))
    }

    static func erpRepairOrderCompleted() throws -> ContractSample {
        let full = ERPRepairOrderCompleted(
            storeCode: storeCode, roNo: "RO1903160002", vin: audiVIN, plate: "鄂A81245",
            customer: owner, sender: ownersSister, businessType: .accidentRepair,
            serviceAdvisor: "王建国", mileageKm: 45210, amount: Decimal(string: "4127.35")!,
            openedAt: time("2024-03-16T09:30:00+08:00"), completedAt: time("2024-03-19T17:12:30.250+08:00"),
            brand: "奥迪", series: "奥迪A6L", model: "奥迪A6L 2019款 45 TFSI 臻选动感型")
        let minimal = ERPRepairOrderCompleted(
            storeCode: storeCode, roNo: "RO1903160003", vin: audiVIN, plate: "鄂A81245",
            customer: owner, sender: owner, businessType: .firstMaintenance,
            serviceAdvisor: "王建国", mileageKm: 5012, amount: 0,
            openedAt: time("2024-03-16T10:02:00+08:00"), completedAt: time("2024-03-16T11:40:00+08:00"))
        return try .make(
            full: erpEvent(full, at: "2024-03-19T17:12:31+08:00", subject: full.roNo, correlationid: "erp-batch-001"),
            minimal: erpEvent(minimal, at: "2024-03-16T11:40:01+08:00"))
    }

    static func erpSalesOrderCreated() throws -> ContractSample {
        let full = ERPSalesOrderCreated(
            storeCode: storeCode, orderNo: "SN1903130001", customer: buyer, vin: benzVIN,
            brand: "奔驰", series: "奔驰S级", model: "2024款 S 400 L 商务型", color: "曜岩黑",
            amount: Decimal(string: "968000.00")!, deposit: Decimal(string: "20000.00")!,
            consultant: "李毅", createdAt: time("2024-03-13T15:20:00+08:00"))
        let minimal = ERPSalesOrderCreated(
            storeCode: storeCode, orderNo: "SN1903130002", customer: buyer,
            brand: "奔驰", series: "奔驰C级", model: "奔驰C级 C 200", amount: Decimal(string: "312800.50")!,
            consultant: "李毅", createdAt: time("2024-03-13T16:00:00+08:00"))
        return try .make(
            full: erpEvent(full, at: "2024-03-13T15:20:31+08:00", subject: full.orderNo, correlationid: "erp-batch-001"),
            minimal: erpEvent(minimal, at: "2024-03-13T16:00:02+08:00"))
    }

    static func erpVehicleDelivered() throws -> ContractSample {
        let full = ERPVehicleDelivered(
            storeCode: storeCode, orderNo: "SN1903130001", vin: benzVIN, plate: "鄂AD12345",
            customer: buyer, brand: "奔驰", series: "奔驰S级", model: "2024款 S 400 L 商务型",
            consultant: "李毅", deliveredAt: time("2024-03-28T11:00:00+08:00"))
        let minimal = ERPVehicleDelivered(
            storeCode: storeCode, orderNo: "SN1903130001", vin: benzVIN,
            customer: buyer, brand: "奔驰", series: "奔驰S级", model: "2024款 S 400 L 商务型",
            consultant: "李毅", deliveredAt: time("2024-03-28T11:00:00+08:00"))
        return try .make(
            full: erpEvent(full, at: "2024-03-28T11:05:40+08:00", subject: full.orderNo, correlationid: "erp-batch-001"),
            minimal: erpEvent(minimal, at: "2024-03-28T11:05:40+08:00"))
    }

    static func repairOrderCompleted() throws -> ContractSample {
        let repairOrderId = UUID(uuidString: "7c1e4b0a-2f3d-4e5f-9a8b-6c7d8e9f0a1b")!
        let full = RepairOrderCompleted(
            repairOrderId: repairOrderId, storeId: storeId, storeCode: storeCode, roNo: "RO1903160002",
            vin: audiVIN, plate: "鄂A81245", customer: owner, sender: ownersSister,
            businessType: .warranty, serviceAdvisor: "王建国", mileageKm: 45210,
            amount: Decimal(string: "4127.35")!, completedAt: time("2024-03-19T09:12:30.250Z"),
            brand: "奥迪", series: "奥迪A6L", model: "奥迪A6L 2019款 45 TFSI 臻选动感型")
        let minimal = RepairOrderCompleted(
            repairOrderId: repairOrderId, storeId: storeId, storeCode: storeCode, roNo: "RO1903160002",
            vin: audiVIN, plate: "鄂A81245", customer: owner, sender: owner,
            businessType: .other, serviceAdvisor: "王建国", mileageKm: 45210,
            amount: Decimal(string: "0.07")!, completedAt: time("2024-03-19T09:12:30Z"))
        let fullEvent = CloudEvent(
            id: "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", source: "/crm/aftersales",
            time: time("2024-03-19T09:12:31.002Z"), subject: repairOrderId.uuidString.lowercased(),
            data: full, storeid: storeId.uuidString.lowercased(),
            correlationid: "0b7e6a52-9d4f-4e0a-8c1b-2f3e4d5c6b7a",
            causationid: "0b7e6a52-9d4f-4e0a-8c1b-2f3e4d5c6b7a",
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let minimalEvent = CloudEvent(
            id: "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", source: "/crm/aftersales",
            time: time("2024-03-19T09:12:31Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }
}
