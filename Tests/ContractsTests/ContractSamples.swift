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
            erpInsurancePolicyIssued(),
            repairOrderCompleted(),
            vehicleChanged(),
            identityStoreChanged(),
            identityUserChanged(),
            identityDictionaryChanged(),
            complaintOpened(),
            platformLeadReceived(),
            leadChanged(),
            leadArrived(),
            prospectFollowUpRecorded(),
            prospectChanged(),
            prospectArrived(),
            prospectPurchased(),
            couponIssued(),
            couponRedeemed(),
            couponRevoked(),
            registrationCreated(),
            prizeWon(),
            smsDelivered(),
        ]
        return Dictionary(uniqueKeysWithValues: samples.map { ($0.eventType, $0) })
    }

    // MARK: - Shared values

    static let storeCode = "HX000001"
    static let storeId = UUID(uuidString: "5b2f7c9e-1a3d-4e6f-8b0c-2d4e6f8a0b1c")!
    static let owner = Person(name: "赖朝朝", mobile: "15972197426")
    static let ownersSister = Person(name: "赖小燕", mobile: "13871150099")
    static let buyer = Person(name: "陈小飞", mobile: "17764009558")
    /// `StoreID.forStoreCode("HX000001")` (ServiceKit, which this target does not depend on): the
    /// id the gateway and CustomerService give store HX000001.
    static let derivedStoreId = UUID(uuidString: "56c4fe93-8c8c-5dc5-b301-f4e8767d71e7")!
    /// `StoreID.forStoreCode("HX000002")`, a second store of the group.
    static let secondStoreId = UUID(uuidString: "27fd2315-f1a3-59af-9a36-9ffb549ef1c5")!
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

    static func erpInsurancePolicyIssued() throws -> ContractSample {
        let full = ERPInsurancePolicyIssued(
            storeCode: storeCode, vin: audiVIN, plate: "鄂A81245", insurer: "中国人保财险", policyNo: "PDAA202442010000012345",
            premium: Decimal(string: "4862.37")!, startsOn: "2024-04-16", expiresOn: "2025-04-15",
            issuedAt: time("2024-03-25T15:20:00+08:00"))
        let minimal = ERPInsurancePolicyIssued(
            storeCode: storeCode, vin: benzVIN, insurer: "平安产险", policyNo: "1050203040506070", premium: 0,
            expiresOn: "2025-02-28", issuedAt: time("2024-02-20T09:00:00+08:00"))
        return try .make(
            full: erpEvent(full, at: "2024-03-25T15:20:05+08:00", subject: full.policyNo, correlationid: "erp-batch-002"),
            minimal: erpEvent(minimal, at: "2024-02-20T09:00:02+08:00"))
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

    static func identityStoreChanged() throws -> ContractSample {
        // A store has no optional fields, so only the minimal envelope leaves attributes out; its
        // data is the store as first created.
        let full = IdentityStoreChanged(
            storeId: derivedStoreId, groupId: UUID(uuidString: "143021c7-9282-4267-ab8a-4ff7fbfc2702")!,
            code: storeCode, name: "华星汽车武汉汉阳4S店", timeZone: "Asia/Shanghai", version: 4)
        let minimal = IdentityStoreChanged(
            storeId: derivedStoreId, groupId: UUID(uuidString: "143021c7-9282-4267-ab8a-4ff7fbfc2702")!,
            code: storeCode, name: "华星汽车武汉汉阳店", timeZone: "Asia/Shanghai", version: 1)
        let fullEvent = CloudEvent(
            id: "3143669b-13d6-4f78-ac62-036e64710013", source: "/crm/gateway",
            time: time("2024-03-01T02:00:00.125Z"), subject: derivedStoreId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "5a4b1280-5e13-4033-81da-0ac050e619b3",
            causationid: "5a4b1280-5e13-4033-81da-0ac050e619b3",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let minimalEvent = CloudEvent(
            id: "f0d5c94f-c739-4a7e-8522-3bcbbd2dbbe7", source: "/crm/gateway",
            time: time("2024-02-26T01:00:00Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func identityUserChanged() throws -> ContractSample {
        let userId = UUID(uuidString: "daf95973-a575-4202-b818-d7ab27c2d500")!
        let full = IdentityUserChanged(
            userId: userId, username: "zhangli", displayName: "张丽", mobile: "13986204417",
            teamId: UUID(uuidString: "7ef44a7b-07c6-4086-b724-80e4eaa8106e")!,
            storeIds: [derivedStoreId, secondStoreId], role: "cs.agent", active: true, version: 3)
        // A user who left: no stores, no team, no mobile recorded, and no longer allowed to log in.
        let minimal = IdentityUserChanged(
            userId: userId, username: "zhangli", displayName: "张丽", mobile: nil, teamId: nil,
            storeIds: [], role: "cs.agent", active: false, version: 9)
        let fullEvent = CloudEvent(
            id: "147756d3-7922-4b3b-aa1d-38d781cdce1d", source: "/crm/gateway",
            time: time("2024-03-01T02:10:42.375Z"), subject: userId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "c3c90eeb-5a6d-4450-a8d2-4b3e1b38a195",
            causationid: "c3c90eeb-5a6d-4450-a8d2-4b3e1b38a195",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01")
        let minimalEvent = CloudEvent(
            id: "58f60c75-64e6-46da-9bbb-7a029dbfc582", source: "/crm/gateway",
            time: time("2024-03-29T09:30:05Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func identityDictionaryChanged() throws -> ContractSample {
        // The store renamed a built-in source, disabled another and added one of its own.
        let full = IdentityDictionaryChanged(storeId: derivedStoreId, set: "leadSource", entries: [
            .init(code: "autohome", label: "汽车之家（网销）", enabled: true, builtIn: true),
            .init(code: "yiche", label: "易车", enabled: false, builtIn: true),
            .init(code: "douyin", label: "抖音", enabled: true, builtIn: false),
        ], version: 3)
        // A set the store has emptied of its own entries and whose built-ins are all disabled.
        let minimal = IdentityDictionaryChanged(storeId: derivedStoreId, set: "defeatReason", entries: [], version: 1)
        let fullEvent = CloudEvent(
            id: "0b6f1b8e-4a8e-4c55-9d3b-2f77e1b0c6a1", source: "/crm/gateway",
            time: time("2024-03-02T03:04:05.250Z"), subject: derivedStoreId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "9f2d7c5e-1b3a-4e6f-8a9b-0c1d2e3f4a5b",
            causationid: "9f2d7c5e-1b3a-4e6f-8a9b-0c1d2e3f4a5b",
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01")
        let minimalEvent = CloudEvent(
            id: "6a1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", source: "/crm/gateway",
            time: time("2024-03-02T03:00:00Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func complaintOpened() throws -> ContractSample {
        let complaintId = UUID(uuidString: "1f49c4f4-da0c-46d3-8f84-e1f0e5becd91")!
        let full = ComplaintOpened(
            complaintId: complaintId, storeId: derivedStoreId, complaintNo: "KS2403200001", level: .urgent,
            complainant: owner, content: "维修后第二天空调仍不制冷；结算金额比预估高出三百多元，服务顾问事先没有说明。",
            roNo: "RO1903160002", plate: "鄂A81245",
            visitId: UUID(uuidString: "ff6b3a8a-f11f-4fa1-9bd0-2aaa0ed6475f")!,
            openedAt: time("2024-03-20T10:15:00.000+08:00"), dueAt: time("2024-03-21T10:15:00+08:00"))
        // Entered by hand about a new car's handover: no repair order, no plate yet, no visit.
        let minimal = ComplaintOpened(
            complaintId: complaintId, storeId: derivedStoreId, complaintNo: "KS2403290002", level: .minor,
            complainant: buyer, content: "交车时没有讲解车机功能。", roNo: nil, plate: nil, visitId: nil,
            openedAt: time("2024-03-29T03:20:00Z"), dueAt: time("2024-04-01T03:20:00Z"))
        let fullEvent = CloudEvent(
            id: "7ce1aa4b-6342-4e90-a47f-e7cf7cd3076c", source: "/crm/customer-service",
            time: time("2024-03-20T02:15:00.750Z"), subject: complaintId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "0b7e6a52-9d4f-4e0a-8c1b-2f3e4d5c6b7a",
            causationid: "79738089-76c0-4f92-8bfe-90596d48a311",
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01")
        let minimalEvent = CloudEvent(
            id: "9683f5e5-542b-422b-be1b-97b33b7e9a70", source: "/crm/customer-service",
            time: time("2024-03-29T03:20:00Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func platformLeadReceived() throws -> ContractSample {
        // As Autohome sends it: the mobile formatted, with the +86 prefix Leads removes.
        let full = PlatformLeadReceived(
            platform: .autohome, platformLeadId: "1739024815", storeCode: storeCode, name: "王磊",
            mobile: "+86 138-7115-0099", province: "湖北", city: "武汉", brand: "奥迪", series: "奥迪A6L",
            model: "2024款 45 TFSI 臻选动感型", note: "询问置换补贴，周末方便到店看车",
            receivedAt: time("2024-03-16T09:28:41.250+08:00"))
        // Only what every platform sends: who, how to reach them, for which store.
        let minimal = PlatformLeadReceived(
            platform: .yiche, platformLeadId: "YC-20240316-000187", storeCode: storeCode, name: "刘芳",
            mobile: "13986204417", receivedAt: time("2024-03-16T14:05:00+08:00"))
        let fullEvent = CloudEvent(
            id: "8d3a5f1e-2c4b-4e6a-9f7d-1b3c5e7a9d2f", source: "/platform/autohome",
            time: time("2024-03-16T09:28:45+08:00"), subject: full.platformLeadId, data: full,
            correlationid: "autohome-push-20240316-0042")
        let minimalEvent = CloudEvent(
            id: "4b6d8f0a-1c3e-4a5b-8d7f-9e0a2c4b6d8f", source: "/platform/yiche",
            time: time("2024-03-16T14:05:02+08:00"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func leadChanged() throws -> ContractSample {
        let leadId = UUID(uuidString: "c8e1f2a3-4b5c-4d6e-8f70-91a2b3c4d5e6")!
        let full = LeadChanged(
            leadId: leadId, storeId: derivedStoreId, name: "王磊", mobile: "13871150099", gender: "male",
            source: "autohome", province: "湖北", city: "武汉", brand: "奥迪", series: "奥迪A6L",
            model: "2024款 45 TFSI 臻选动感型", level: "A", state: "assigned",
            consultantId: UUID(uuidString: "daf95973-a575-4202-b818-d7ab27c2d500")!,
            note: "询问置换补贴，周末方便到店看车", changedAt: time("2024-03-16T01:35:12Z"))
        // Entered by hand with only a name and a mobile, and in the showroom before anyone called.
        let minimal = LeadChanged(
            leadId: leadId, storeId: derivedStoreId, name: "刘芳", mobile: "13986204417", gender: nil,
            source: "phone", province: nil, city: nil, brand: nil, series: nil, model: nil, level: "B",
            state: "arrived", consultantId: nil, note: nil, changedAt: time("2024-03-23T02:41:07Z"))
        let fullEvent = CloudEvent(
            id: "2a7c4e91-5b3d-4f8a-9c6e-1d2f3a4b5c6d", source: "/crm/leads",
            time: time("2024-03-16T01:35:12Z"), subject: leadId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "8d3a5f1e-2c4b-4e6a-9f7d-1b3c5e7a9d2f",
            causationid: "8d3a5f1e-2c4b-4e6a-9f7d-1b3c5e7a9d2f",
            traceparent: "00-7d1f6e2a9c3b4d5e8f0a1b2c3d4e5f60-a1b2c3d4e5f60718-01")
        let minimalEvent = CloudEvent(
            id: "b4c5d6e7-f809-4a1b-8c2d-3e4f5a6b7c8d", source: "/crm/leads",
            time: time("2024-03-23T02:41:07Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func leadArrived() throws -> ContractSample {
        // Every field is required, so only the minimal envelope leaves attributes out.
        let leadId = UUID(uuidString: "c8e1f2a3-4b5c-4d6e-8f70-91a2b3c4d5e6")!
        let full = LeadArrived(
            leadId: leadId, storeId: derivedStoreId,
            prospectId: UUID(uuidString: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")!,
            arrivedAt: time("2024-03-23T10:30:00+08:00"))
        let minimal = LeadArrived(
            leadId: UUID(uuidString: "e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9")!, storeId: secondStoreId,
            prospectId: UUID(uuidString: "7a6b5c4d-3e2f-4a1b-9c0d-8e7f6a5b4c3d")!,
            arrivedAt: time("2024-03-24T06:15:00Z"))
        let fullEvent = CloudEvent(
            id: "5e8f0a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b", source: "/crm/prospects",
            time: time("2024-03-23T02:41:07Z"), subject: leadId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e",
            causationid: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e",
            traceparent: "00-7d1f6e2a9c3b4d5e8f0a1b2c3d4e5f60-b7ad6b7169203331-01")
        let minimalEvent = CloudEvent(
            id: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", source: "/crm/prospects",
            time: time("2024-03-24T06:16:30Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func prospectFollowUpRecorded() throws -> ContractSample {
        let followUpId = UUID(uuidString: "3d4e5f60-7182-4394-a5b6-c7d8e9f00112")!
        let full = ProspectFollowUpRecorded(
            followUpId: followUpId, followUpNo: "GJ2403250003",
            prospectId: UUID(uuidString: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")!, storeId: derivedStoreId,
            customer: Person(name: "王磊", mobile: "13871150099"), level: "H", method: "phone",
            brand: "奥迪", series: "奥迪A6L", model: "2024款 45 TFSI 臻选动感型",
            consultant: "钱进", recordedAt: time("2024-03-25T14:12:40.500+08:00"))
        // A walk-in who named no car yet.
        let minimal = ProspectFollowUpRecorded(
            followUpId: followUpId, followUpNo: "GJ2403250004",
            prospectId: UUID(uuidString: "7a6b5c4d-3e2f-4a1b-9c0d-8e7f6a5b4c3d")!, storeId: derivedStoreId,
            customer: buyer, level: "C", method: "showroom", brand: nil, series: nil, model: nil,
            consultant: "马超", recordedAt: time("2024-03-25T08:00:00Z"))
        let fullEvent = CloudEvent(
            id: "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", source: "/crm/prospects",
            time: time("2024-03-25T06:12:40Z"), subject: followUpId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0ff",
            causationid: "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0ff",
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-a1b2c3d4e5f60718-01")
        let minimalEvent = CloudEvent(
            id: "d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a", source: "/crm/prospects",
            time: time("2024-03-25T08:00:01Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func vehicleChanged() throws -> ContractSample {
        let vehicleId = UUID(uuidString: "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d")!
        // A file staff entered in full, the car back in the workshop in March.
        let full = VehicleChanged(
            vehicleId: vehicleId, storeId: derivedStoreId, vin: audiVIN, plate: "鄂A81245", brand: "奥迪", series: "奥迪A6L",
            model: "奥迪A6L 2019款 45 TFSI 臻选动感型", purchaseDate: "2019-05-18", registrationDate: "2019-05-25",
            insuranceExpiry: "2025-04-15",
            owner: VehicleOwner(name: owner.name, mobile: owner.mobile, gender: "male", province: "湖北省", city: "武汉市"),
            lastRepairOn: "2024-03-16", changedAt: time("2024-03-23T03:10:42.125Z"))
        // A file made from the ERP's first repair order of a car it named no model of: the
        // owner's name and mobile alone, no plate yet, and no repair order opened so far.
        let minimal = VehicleChanged(
            vehicleId: vehicleId, storeId: derivedStoreId, vin: benzVIN, plate: nil, brand: nil, series: nil, model: nil,
            purchaseDate: nil, registrationDate: nil, insuranceExpiry: nil, owner: VehicleOwner(name: buyer.name, mobile: buyer.mobile),
            lastRepairOn: nil, changedAt: time("2024-03-16T01:30:05Z"))
        let fullEvent = CloudEvent(
            id: "8e2f4a6c-1b3d-4e5f-9a7b-2c4d6e8f0a1b", source: "/crm/aftersales",
            time: time("2024-03-23T03:10:42.250Z"), subject: vehicleId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            causationid: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-c1d2e3f4a5b60718-01")
        let minimalEvent = CloudEvent(
            id: "5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c", source: "/crm/aftersales",
            time: time("2024-03-16T01:30:05Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func prospectChanged() throws -> ContractSample {
        let prospectId = UUID(uuidString: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")!
        // A visitor an old customer referred, with everything the showroom asked.
        let full = ProspectChanged(
            prospectId: prospectId, storeId: derivedStoreId, name: buyer.name, mobile: buyer.mobile, gender: "female",
            province: "湖北省", city: "武汉市", source: "referral", level: "A", brand: "奔驰", series: "奔驰C级", model: "2024款 C 260 L",
            state: "active", consultantId: UUID(uuidString: "daf95973-a575-4202-b818-d7ab27c2d500")!,
            referrerMobile: owner.mobile, inRecycleBin: false, changedAt: time("2024-03-23T02:41:07.375Z"))
        // Known by name and mobile alone, defeated, unassigned and deleted to the recycle bin;
        // from a source the store added itself.
        let minimal = ProspectChanged(
            prospectId: prospectId, storeId: secondStoreId, name: "刘芳", mobile: "13986204417", gender: nil, province: nil,
            city: nil, source: "douyin_live", level: "C", brand: nil, series: nil, model: nil, state: "defeated", consultantId: nil,
            referrerMobile: nil, inRecycleBin: true, changedAt: time("2024-03-30T08:00:00Z"))
        let fullEvent = CloudEvent(
            id: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", source: "/crm/prospects",
            time: time("2024-03-23T02:41:07.500Z"), subject: prospectId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b",
            causationid: "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b",
            traceparent: "00-7d1f6e2a9c3b4d5e8f0a1b2c3d4e5f60-d1e2f3a4b5c60718-01")
        let minimalEvent = CloudEvent(
            id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", source: "/crm/prospects",
            time: time("2024-03-30T08:00:00Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func prospectArrived() throws -> ContractSample {
        let prospectId = UUID(uuidString: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")!
        // The referred visitor's first visit.
        let full = ProspectArrived(
            prospectId: prospectId, trafficId: UUID(uuidString: "6d7e8f90-a1b2-4c3d-8e4f-5a6b7c8d9e0f")!, storeId: derivedStoreId,
            name: buyer.name, mobile: buyer.mobile, referrerMobile: owner.mobile, source: "referral",
            arrivedAt: time("2024-03-23T10:30:00+08:00"), firstArrival: true)
        // A walk-in's second visit, nobody referred.
        let minimal = ProspectArrived(
            prospectId: prospectId, trafficId: UUID(uuidString: "7e8f90a1-b2c3-4d4e-9f50-6a7b8c9d0e1f")!, storeId: derivedStoreId,
            name: "刘芳", mobile: "13986204417", referrerMobile: nil, source: "walk_in",
            arrivedAt: time("2024-03-30T06:00:00Z"), firstArrival: false)
        let fullEvent = CloudEvent(
            id: "3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d", source: "/crm/prospects",
            time: time("2024-03-23T02:41:07.625Z"), subject: prospectId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c",
            causationid: "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c",
            traceparent: "00-7d1f6e2a9c3b4d5e8f0a1b2c3d4e5f60-e1f2a3b4c5d60718-01")
        let minimalEvent = CloudEvent(
            id: "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", source: "/crm/prospects",
            time: time("2024-03-30T06:00:01Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    static func prospectPurchased() throws -> ContractSample {
        let prospectId = UUID(uuidString: "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f")!
        let full = ProspectPurchased(
            prospectId: prospectId, storeId: derivedStoreId, name: buyer.name, mobile: buyer.mobile, referrerMobile: owner.mobile,
            orderNo: "SN2404020001", orderedAt: time("2024-04-02T15:20:00+08:00"))
        // A buyer nobody referred.
        let minimal = ProspectPurchased(
            prospectId: prospectId, storeId: derivedStoreId, name: "刘芳", mobile: "13986204417", referrerMobile: nil,
            orderNo: "SN2404050007", orderedAt: time("2024-04-05T02:00:00Z"))
        let fullEvent = CloudEvent(
            id: "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", source: "/crm/prospects",
            time: time("2024-04-02T07:20:31.750Z"), subject: prospectId.uuidString.lowercased(),
            data: full, storeid: derivedStoreId.uuidString.lowercased(),
            correlationid: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
            causationid: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
            traceparent: "00-7d1f6e2a9c3b4d5e8f0a1b2c3d4e5f60-f1a2b3c4d5e60718-01")
        let minimalEvent = CloudEvent(
            id: "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f", source: "/crm/prospects",
            time: time("2024-04-05T02:00:02Z"), data: minimal)
        return try .make(full: fullEvent, minimal: minimalEvent)
    }

    // MARK: - Coupons

    static let couponId = UUID(uuidString: "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e")!
    static let couponDefinitionId = UUID(uuidString: "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a")!
    /// 15 digits and their Damm check digit.
    static let couponCode = "5191525048402813"

    /// A coupon as Coupons publishes it, from the issuing store.
    static func couponEvent<Payload: EventPayload>(_ data: Payload, id: String, at time: String, full: Bool) -> CloudEvent<Payload> {
        full
            ? CloudEvent(
                id: id, source: "/crm/coupons", time: Self.time(time), subject: couponId.uuidString.lowercased(), data: data,
                storeid: derivedStoreId.uuidString.lowercased(), correlationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f",
                causationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f",
                traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-c1d2e3f4a5b60718-01")
            : CloudEvent(id: id, source: "/crm/coupons", time: Self.time(time), data: data)
    }

    static func couponIssued() throws -> ContractSample {
        // Pushed by a quick task: 200 yuan off, 30 days counting the day of issue, on Shanghai's clock.
        let full = CouponIssued(
            couponId: couponId, code: couponCode, definitionId: couponDefinitionId, definitionNumber: "M2611280001",
            name: "冬季保养抵用券", kind: "item", faceValue: Decimal(string: "200.00")!, storeId: derivedStoreId, usableIn: "store",
            mobile: "13871150099", customerName: "李毅", taskId: UUID(uuidString: "7e6d5c4b-3a2f-4e1d-9c0b-8a7f6e5d4c3b")!,
            taskNumber: "KS2612010001", effectiveFrom: time("2026-12-01T10:30:00.250+08:00"), lastDay: "2026-12-30",
            effectiveUntil: time("2026-12-31T00:00:00+08:00"), issuedAt: time("2026-12-01T10:30:00.250+08:00"))
        // A package coupon valid in every store of the group, without an amount or a customer's name.
        let minimal = CouponIssued(
            couponId: couponId, code: "7382046159374027", definitionId: couponDefinitionId, definitionNumber: "M2611280002",
            name: "首保套餐券", kind: "package", faceValue: nil, storeId: derivedStoreId, usableIn: "group",
            mobile: "13986204417", customerName: nil, taskId: nil, taskNumber: nil,
            effectiveFrom: time("2027-01-01T00:00:00+08:00"), lastDay: "2027-03-31",
            effectiveUntil: time("2027-04-01T00:00:00+08:00"), issuedAt: time("2026-12-20T06:00:00Z"))
        return try .make(
            full: couponEvent(full, id: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f", at: "2026-12-01T02:30:00.412Z", full: true),
            minimal: couponEvent(minimal, id: "5d3b0f2e-8c4a-4b69-8f7e-2a1c3d4e5f60", at: "2026-12-20T06:00:00Z", full: false))
    }

    static func couponRedeemed() throws -> ContractSample {
        let full = CouponRedeemed(
            couponId: couponId, code: couponCode, definitionId: couponDefinitionId, mobile: "13871150099", storeId: derivedStoreId,
            redeemedBy: UUID(uuidString: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")!, orderKind: "repair_order",
            orderNumber: "RO2612120007", orderAmount: Decimal(string: "1280.50")!, faceValue: Decimal(string: "200.00")!,
            redeemedAt: time("2026-12-12T07:41:12.238Z"), undone: true,
            undoneBy: UUID(uuidString: "7c6b5a4d-3e2f-4b1a-8d9c-0e1f2a3b4c5d")!, undoneAt: time("2026-12-13T02:05:00Z"))
        // A package coupon redeemed in another store of the group, on a sales order.
        let minimal = CouponRedeemed(
            couponId: couponId, code: "7382046159374027", definitionId: couponDefinitionId, mobile: "13986204417",
            storeId: secondStoreId, redeemedBy: UUID(uuidString: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d")!,
            orderKind: "sales_order", orderNumber: "SN2612150003", orderAmount: 0, faceValue: nil,
            redeemedAt: time("2026-12-15T09:00:00Z"), undone: false)
        return try .make(
            full: couponEvent(full, id: "8f7e6d5c-4b3a-4291-8e7f-6d5c4b3a2918", at: "2026-12-12T07:41:12.250Z", full: true),
            minimal: couponEvent(minimal, id: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", at: "2026-12-15T09:00:01Z", full: false))
    }

    static func couponRevoked() throws -> ContractSample {
        // Approved by HQ while the group's approval switch was on.
        let full = CouponRevoked(
            couponId: couponId, code: couponCode, definitionId: couponDefinitionId, storeId: derivedStoreId, mobile: "13871150099",
            explanation: "客户已换购其他车型，不再来店保养，申请作废", requestedBy: UUID(uuidString: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d")!,
            approvedBy: UUID(uuidString: "5c4d3e2f-1a0b-4c9d-8e7f-6a5b4c3d2e1f")!, revokedAt: time("2026-12-05T11:12:45.500+08:00"))
        // Revoked at once: the switch was off.
        let minimal = CouponRevoked(
            couponId: couponId, code: couponCode, definitionId: couponDefinitionId, storeId: derivedStoreId, mobile: "13871150099",
            explanation: "重复发放", requestedBy: UUID(uuidString: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d")!, approvedBy: nil,
            revokedAt: time("2026-12-02T01:00:00Z"))
        return try .make(
            full: couponEvent(full, id: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", at: "2026-12-05T03:12:45.031Z", full: true),
            minimal: couponEvent(minimal, id: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", at: "2026-12-02T01:00:01Z", full: false))
    }

    static func registrationCreated() throws -> ContractSample {
        // From a poster's QR code.
        let registration = UUID(uuidString: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")!
        let event = UUID(uuidString: "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9")!
        let full = MarketingRegistrationCreated(
            registrationId: registration, eventId: event, eventNumber: "HD2612150001", eventName: "新春试驾会", storeId: derivedStoreId,
            mobile: "13871150099", name: "李毅", channelCode: "poster-wuhan-01", registeredAt: time("2026-12-18T10:15:30.110+08:00"))
        // Straight from the event's link.
        let minimal = MarketingRegistrationCreated(
            registrationId: registration, eventId: event, eventNumber: "HD2612150001", eventName: "新春试驾会", storeId: derivedStoreId,
            mobile: "13871150099", name: "李", channelCode: nil, registeredAt: time("2026-12-18T02:15:30Z"))
        return try .make(
            full: CloudEvent(
                id: "6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b", source: "/crm/marketing", time: time("2026-12-18T02:15:30.120Z"),
                subject: registration.uuidString.lowercased(), data: full, storeid: derivedStoreId.uuidString.lowercased(),
                correlationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f", causationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f",
                traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-c1d2e3f4a5b60718-01"),
            minimal: CloudEvent(id: "7f6e5d4c-3b2a-4f1e-8d9c-8b7a6f5e4d3c", source: "/crm/marketing", time: time("2026-12-18T02:15:31Z"), data: minimal))
    }

    static func prizeWon() throws -> ContractSample {
        let draw = UUID(uuidString: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f")!
        let wheel = UUID(uuidString: "3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a")!
        let prize = UUID(uuidString: "4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a8b")!
        // A coupon prize, issued by Coupons.
        let full = MarketingPrizeWon(
            drawId: draw, wheelId: wheel, wheelNumber: "DZ2612120001", wheelName: "双十二幸运大转盘", storeId: derivedStoreId,
            mobile: "13871150099", name: "李毅", prizeId: prize, prizeName: "200元保养券", prizeKind: "coupon",
            couponCode: "4839201746385920", couponLastDay: "2027-01-10", wonAt: time("2026-12-12T20:05:11.250+08:00"))
        // A gift, drawn without a name.
        let minimal = MarketingPrizeWon(
            drawId: draw, wheelId: wheel, wheelNumber: "DZ2612120001", wheelName: "双十二幸运大转盘", storeId: derivedStoreId,
            mobile: "13871150099", name: nil, prizeId: prize, prizeName: "车载香薰", prizeKind: "gift", couponCode: nil,
            couponLastDay: nil, wonAt: time("2026-12-12T12:05:11Z"))
        return try .make(
            full: CloudEvent(
                id: "5f6a7b8c-9d0e-4f1a-8b2c-4d5e6f7a8b9c", source: "/crm/marketing", time: time("2026-12-12T12:05:11.300Z"),
                subject: draw.uuidString.lowercased(), data: full, storeid: derivedStoreId.uuidString.lowercased()),
            minimal: CloudEvent(id: "6a7b8c9d-0e1f-4a2b-9c3d-5e6f7a8b9c0d", source: "/crm/marketing", time: time("2026-12-12T12:05:12Z"), data: minimal))
    }

    static func smsDelivered() throws -> ContractSample {
        // A marketing SMS whose receipt came back from Aliyun.
        let message = UUID(uuidString: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")!
        let send = UUID(uuidString: "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a")!
        let template = UUID(uuidString: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b")!
        let full = MarketingSmsDelivered(
            messageId: message, sendId: send, templateId: template, storeId: derivedStoreId, kind: "marketing", mobile: "13871150099",
            providerId: "932702304080415357^0", deliveredAt: time("2026-12-18T10:15:32.500+08:00"))
        // A notice from a provider that gives no id.
        let minimal = MarketingSmsDelivered(
            messageId: message, sendId: send, templateId: template, storeId: derivedStoreId, kind: "notice", mobile: "13871150099",
            providerId: nil, deliveredAt: time("2026-12-18T02:15:32Z"))
        return try .make(
            full: CloudEvent(
                id: "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d", source: "/crm/marketing", time: time("2026-12-18T02:15:32.750Z"),
                subject: message.uuidString.lowercased(), data: full, storeid: derivedStoreId.uuidString.lowercased(),
                correlationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f", causationid: "4c2a9e1d-7b3f-4a58-9e6d-1f0b2c3d4e5f",
                traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-c1d2e3f4a5b60718-01"),
            minimal: CloudEvent(id: "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e", source: "/crm/marketing", time: time("2026-12-18T02:15:33Z"), data: minimal))
    }
}
