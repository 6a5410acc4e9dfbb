import Contracts
import Foundation
import NIOHTTP1
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// The events Coupons builds its customer read models and its referral rule (老带新, C6) from,
/// end to end: staff work through the gateway and the ERP publishes on the broker, and the
/// test reads what Prospects and AfterSales wrote to their outboxes in the same transactions
/// (every value, every count), and takes the events off a queue of its own bound to
/// `crm.events`, as Coupons' queue will be.
final class CustomerEventsTests: XCTestCase {
    var suite: Suite!
    let store1 = StoreID.forStoreCode("HX000001")
    /// A queue of the test's own, standing in for Coupons' until Coupons binds these types.
    static let queue = "e2e.customer-events"
    static let eventTypes = [
        ProspectChanged.eventType, ProspectArrived.eventType, ProspectPurchased.eventType, VehicleChanged.eventType,
    ]

    override func setUp() async throws {
        suite = try await Suite.start()
        try await BrokerQueues.run { connection in
            try connection.declareQueue(Self.queue)
            try connection.purgeQueue(Self.queue)
            for eventType in Self.eventTypes {
                try connection.bindQueue(Self.queue, exchange: MessagingTopology.eventsExchange, routingKey: eventType)
            }
        }
    }

    override func tearDown() async throws {
        try? await BrokerQueues.run { try $0.deleteQueue(Self.queue) }
        await suite?.stop()
    }

    static func mobile() -> String { "139" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    // MARK: reading the outboxes and the queue

    /// The events of `Payload`'s type that `schema`'s outbox holds and `condition` (SQL over
    /// `envelope`) selects, in the order they were written.
    func outbox<Payload: EventPayload>(
        _ type: Payload.Type, in schema: String, where condition: String
    ) async throws -> [CloudEvent<Payload>] {
        let rows = try await suite.database.client.query(PostgresQuery(unsafeSQL: """
            SELECT envelope::text FROM \(schema).outbox WHERE event_type = '\(Payload.eventType)' AND \(condition) ORDER BY seq
            """))
        var events: [CloudEvent<Payload>] = []
        for try await text in rows.decode(String.self) {
            events.append(try EventCoding.makeDecoder().decode(CloudEvent<Payload>.self, from: Data(text.utf8)))
        }
        return events
    }

    func prospectEvents<Payload: EventPayload>(_ type: Payload.Type, of prospect: String) async throws -> [CloudEvent<Payload>] {
        try await outbox(type, in: "prospects", where: "(envelope -> 'data' ->> 'prospectId')::uuid = '\(prospect)'")
    }

    func vehicleEvents(of vehicle: String) async throws -> [CloudEvent<VehicleChanged>] {
        try await outbox(VehicleChanged.self, in: "aftersales", where: "(envelope -> 'data' ->> 'vehicleId')::uuid = '\(vehicle)'")
    }

    /// Which of the events with `ids` the test's queue got (waiting until all have come, or the
    /// time is up). The queue is bound by the four types alone, so what arrives travelled on
    /// `crm.events` under its type as routing key; the AMQP `type` property must say the same.
    func receivedOnQueue(_ ids: Set<String>, timeout: Duration = .seconds(30)) async throws -> Set<String> {
        let received = Received()
        _ = try await eventually(timeout: timeout) {
            let messages = try await BrokerQueues.run { connection in
                var taken: [(id: String, property: String?, type: String)] = []
                while let message = try connection.get(queue: Self.queue) {
                    let envelope = try JSONSerialization.jsonObject(with: message.body) as? [String: Any] ?? [:]
                    taken.append((envelope["id"] as? String ?? "", message.properties.type, envelope["type"] as? String ?? ""))
                }
                return taken
            }
            for message in messages where message.property == message.type { received.ids.insert(message.id) }
            return ids.isSubset(of: received.ids)
        }
        return received.ids.intersection(ids)
    }

    final class Received: @unchecked Sendable { var ids = Set<String>() }

    // MARK: Prospects

    /// P1 with 老带新: referred traffic is stored with the referrer and announced — the arrival
    /// (first, then not), the prospect after each change, and its first purchase once however
    /// often the ERP repeats itself; a referrer with another source, or a bad one, is a 422 that
    /// writes nothing.
    func testReferredTrafficIsAnnouncedWithTheReferrerAndItsPurchaseOnce() async throws {
        let consultant = try await suite.login("consultant.1")
        let consultantID = try await suite.userID("consultant.1")
        let (visitor, referrer) = (Self.mobile(), Self.mobile())
        func traffic(_ extra: [String: Any]) -> [String: Any] {
            var body: [String: Any] = [
                "name": "陈小飞", "mobile": visitor, "arrival": "showroom", "partySize": 2, "arrivedAt": "2026-11-22T02:30:00Z",
                "category": "showroom", "source": "referral", "nature": "first_visit", "level": "A", "gender": "female",
                "province": "湖北省", "city": "武汉市", "brand": "奔驰", "series": "奔驰C级", "model": "2024款 C 260 L",
            ]
            body.merge(extra) { _, given in given }
            return body
        }

        // A referrer with a source other than 老客户介绍: a 422 naming the field, nothing written.
        var reply = try await suite.request(
            .POST, "/api/v1/prospects/traffic", token: consultant, json: traffic(["source": "walk_in", "referrerMobile": referrer]))
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertTrue(reply.isProblem)
        XCTAssertEqual(reply.problemFields, ["referrerMobile"], reply.text)
        let message = (reply.json["errors"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("referral") && message.contains("walk_in"), message)
        // Not a mobile: named too, with the source right.
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: traffic(["referrerMobile": "1234567"]))
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["referrerMobile"], reply.text)
        let written = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.prospect WHERE mobile = '\(visitor)'")
        XCTAssertEqual(written, 0, "a refused registration writes no prospect")
        let announced = try await suite.database.scalar("""
            SELECT count(*)::int8 FROM prospects.outbox WHERE envelope -> 'data' ->> 'mobile' = '\(visitor)'
            """)
        XCTAssertEqual(announced, 0, "and announces nothing")

        // Referred: the referrer as typed (+86, spaces) is stored normalised and shown.
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: traffic([
            "referrerMobile": "+86 " + referrer.prefix(3) + " " + referrer.dropFirst(3),
        ]))
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "created")
        let prospect = try XCTUnwrap(reply.json["prospect"] as? [String: Any])
        let prospectID = try XCTUnwrap(prospect["id"] as? String).lowercased()
        let firstTrafficID = try XCTUnwrap(reply.json["trafficId"] as? String).lowercased()
        XCTAssertEqual(prospect["referrerMobile"] as? String, referrer)
        XCTAssertEqual(prospect["source"] as? String, "referral")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: consultant)
        XCTAssertEqual(reply.json["referrerMobile"] as? String, referrer, reply.text)

        var arrivals = try await prospectEvents(ProspectArrived.self, of: prospectID)
        XCTAssertEqual(arrivals.count, 1)
        let firstArrival = try XCTUnwrap(arrivals.first)
        XCTAssertEqual(firstArrival.data, ProspectArrived(
            prospectId: UUID(uuidString: prospectID)!, trafficId: UUID(uuidString: firstTrafficID)!, storeId: store1, name: "陈小飞",
            mobile: visitor, referrerMobile: referrer, source: "referral", arrivedAt: RFC3339.date(from: "2026-11-22T02:30:00Z")!,
            firstArrival: true))
        XCTAssertEqual(firstArrival.source, "/crm/prospects")
        XCTAssertEqual(firstArrival.storeid, store1.uuidString.lowercased())
        var changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.count, 1, "one announcement per registration")
        var latest = try XCTUnwrap(changes.last).data
        XCTAssertEqual(latest, ProspectChanged(
            prospectId: UUID(uuidString: prospectID)!, storeId: store1, name: "陈小飞", mobile: visitor, gender: "female",
            province: "湖北省", city: "武汉市", source: "referral", level: "A", brand: "奔驰", series: "奔驰C级", model: "2024款 C 260 L",
            state: "active", consultantId: UUID(uuidString: consultantID), referrerMobile: referrer, inRecycleBin: false,
            changedAt: latest.changedAt))

        // A second visit as a walk-in naming nobody: the referrer stays; not the first arrival.
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: traffic([
            "source": "walk_in", "nature": "second_visit", "arrivedAt": "2026-11-23T06:00:00Z", "name": "陈晓飞",
        ]))
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "existing")
        XCTAssertEqual((reply.json["prospect"] as? [String: Any])?["referrerMobile"] as? String, referrer)
        let secondTrafficID = try XCTUnwrap(reply.json["trafficId"] as? String).lowercased()
        arrivals = try await prospectEvents(ProspectArrived.self, of: prospectID)
        XCTAssertEqual(arrivals.count, 2)
        XCTAssertEqual(arrivals.last?.data.trafficId, UUID(uuidString: secondTrafficID))
        XCTAssertEqual(arrivals.last?.data.firstArrival, false)
        XCTAssertEqual(arrivals.last?.data.source, "walk_in", "the visit's own source")
        XCTAssertEqual(arrivals.last?.data.referrerMobile, referrer, "the referrer on file")
        XCTAssertEqual(arrivals.last?.data.name, "陈晓飞", "the latest saved name")
        changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.count, 2)
        latest = try XCTUnwrap(changes.last).data
        XCTAssertEqual(latest.name, "陈晓飞")
        XCTAssertEqual(latest.source, "referral", "the prospect's source is its first registration's")
        XCTAssertEqual(latest.referrerMobile, referrer)
        XCTAssertGreaterThan(latest.changedAt, changes[0].data.changedAt, "a later change carries a later time")

        // A follow-up raises the level: announced.
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
            "level": "H", "method": "phone", "contents": ["invite"], "result": "continue", "contact": "first",
            "note": "约周六下单", "valid": true, "next": ["method": "showroom", "content": "order", "comesTomorrow": false],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.count, 3)
        XCTAssertEqual(changes.last?.data.level, "H")

        // The ERP's order: the prospect buys — announced once, with the referrer and the order;
        // the same order again as a new event, and the delivery, are no second purchase.
        let orderNo = "SN" + String(Int.random(in: 10_000_000...99_999_999))
        let orderedAt = RFC3339.date(from: "2026-11-25T07:20:00Z")!
        func order(amount: String) -> ERPSalesOrderCreated {
            ERPSalesOrderCreated(
                storeCode: "HX000001", orderNo: orderNo, customer: Person(name: "陈晓飞", mobile: visitor), brand: "奔驰",
                series: "奔驰C级", model: "2024款 C 260 L", amount: Decimal(string: amount)!, consultant: "钱进", createdAt: orderedAt)
        }
        let first = CloudEvent(source: "/erp/HX000001", data: order(amount: "312800.00"))
        try await BrokerQueues.publish([first, first])
        var purchases: [CloudEvent<ProspectPurchased>] = []
        let purchased = try await eventually(timeout: .seconds(30)) {
            purchases = try await prospectEvents(ProspectPurchased.self, of: prospectID)
            return !purchases.isEmpty
        }
        XCTAssertTrue(purchased, "prospects.prospect.purchased.v1 is published\n\(suite.logs)")
        XCTAssertEqual(purchases.first?.data, ProspectPurchased(
            prospectId: UUID(uuidString: prospectID)!, storeId: store1, name: "陈晓飞", mobile: visitor, referrerMobile: referrer,
            orderNo: orderNo, orderedAt: orderedAt))
        let resent = CloudEvent(source: "/erp/HX000001", data: order(amount: "309800.00"))
        let delivery = CloudEvent(source: "/erp/HX000001", data: ERPVehicleDelivered(
            storeCode: "HX000001", orderNo: orderNo, vin: "LFV2A21KXJ4098765", customer: Person(name: "陈晓飞", mobile: visitor),
            brand: "奔驰", series: "奔驰C级", model: "2024款 C 260 L", consultant: "钱进", deliveredAt: Date().addingTimeInterval(-60)))
        // One after the other, so that the announcements come in the ERP's order.
        func handled(_ event: String) async throws -> Bool {
            try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.inbox WHERE event_id = '\(event)'") == 1
            }
        }
        try await BrokerQueues.publish([resent])
        let resentHandled = try await handled(resent.id)
        XCTAssertTrue(resentHandled, "Prospects handles the resent order")
        try await BrokerQueues.publish([delivery])
        let deliveryHandled = try await handled(delivery.id)
        XCTAssertTrue(deliveryHandled, "Prospects handles the delivery")
        purchases = try await prospectEvents(ProspectPurchased.self, of: prospectID)
        XCTAssertEqual(purchases.count, 1, "one purchase per prospect")
        changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.map(\.data.state), ["active", "active", "active", "ordered", "ordered", "delivered"])
        XCTAssertEqual(changes.last?.data.level, "O")
        XCTAssertEqual(changes.last?.data.referrerMobile, referrer)

        // A visitor who names themselves as the referrer is stored as given (Coupons decides).
        let selfReferred = Self.mobile()
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: traffic([
            "mobile": selfReferred, "referrerMobile": selfReferred, "name": "许诺",
        ]))
        XCTAssertEqual(reply.status, 201, reply.text)
        let selfReferredID = try XCTUnwrap((reply.json["prospect"] as? [String: Any])?["id"] as? String)
        XCTAssertEqual((reply.json["prospect"] as? [String: Any])?["referrerMobile"] as? String, selfReferred)
        let selfArrival = try await prospectEvents(ProspectArrived.self, of: selfReferredID)
        XCTAssertEqual(selfArrival.map(\.data.referrerMobile), [selfReferred])

        // The broker carried them under their types: a queue bound to the types gets them.
        let ids = Set((arrivals + selfArrival).map(\.id) + changes.map(\.id) + purchases.map(\.id))
        let onQueue = try await receivedOnQueue(ids)
        XCTAssertEqual(onQueue, ids, "every event reaches a queue bound to crm.events by its type")
    }

    /// Assignment, defeat and the recycle bin change what a reader keeps of a prospect: each is
    /// announced with the new state.
    func testAssignmentDefeatAndTheRecycleBinAreAnnounced() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant3 = try await suite.userID("consultant.3")
        let mobile = Self.mobile()
        var reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: manager, json: [
            "name": "韩梅", "mobile": mobile, "arrival": "showroom", "arrivedAt": "2026-11-22T02:30:00Z", "category": "showroom",
            "source": "walk_in", "nature": "first_visit",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let prospectID = try XCTUnwrap((reply.json["prospect"] as? [String: Any])?["id"] as? String)
        var changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.last?.data.consultantId, nil, "a manager's registration waits for assignment")
        XCTAssertEqual(changes.last?.data.referrerMobile, nil)

        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/assign", token: manager, json: [
            "prospectIds": [prospectID], "consultantId": consultant3,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/defeat", token: manager, json: ["reason": "competitor"])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/delete", token: manager, json: ["prospectIds": [prospectID]])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/recycle-bin/restore", token: manager, json: ["prospectIds": [prospectID]])
        XCTAssertEqual(reply.status, 200, reply.text)

        changes = try await prospectEvents(ProspectChanged.self, of: prospectID)
        XCTAssertEqual(changes.map(\.data.consultantId), [nil] + Array(repeating: UUID(uuidString: consultant3), count: 4))
        XCTAssertEqual(changes.map(\.data.state), ["active", "active", "defeated", "defeated", "defeated"])
        XCTAssertEqual(changes.map(\.data.inRecycleBin), [false, false, false, true, false])
    }

    // MARK: AfterSales

    /// AS1–AS3: a file entered, edited, and visited by an SA's and the ERP's repair orders is
    /// announced with its values each time; a car the ERP brings in first gets a file from the
    /// repair order, announced with the owner the order names.
    func testVehicleEditsAndRepairOrdersAreAnnouncedWithTheNewValues() async throws {
        let sa = try await suite.login("sa.1")
        let vin = AfterSalesRecordsTests.vin()
        let ownerMobile = Self.mobile()
        var reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": "鄂A12345", "brand": "别克", "series": "君越", "model": "2026款 652T", "purchaseDate": "2026-01-08",
            "owner": ["name": "赖朝朝", "mobile": ownerMobile],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let vehicleID = try XCTUnwrap(reply.json["id"] as? String)
        var events = try await vehicleEvents(of: vehicleID)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(events.first?.data, VehicleChanged(
            vehicleId: UUID(uuidString: vehicleID)!, storeId: store1, vin: vin, plate: "鄂A12345", brand: "别克", series: "君越",
            model: "2026款 652T", purchaseDate: "2026-01-08", registrationDate: nil, insuranceExpiry: nil,
            owner: VehicleOwner(name: "赖朝朝", mobile: ownerMobile), lastRepairOn: nil, changedAt: events.first!.data.changedAt))
        XCTAssertEqual(events.first?.source, "/crm/aftersales")

        // The edit: a new plate, registration day and owner with a profile; the new values.
        let newOwnerMobile = Self.mobile()
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(vehicleID)", token: sa, json: [
            "plate": "鄂A·d5678", "registrationDate": "2026-01-15", "insuranceExpiry": "2027-01-14",
            "owner": ["name": "赖小燕", "mobile": "+86 " + newOwnerMobile, "gender": "female", "province": "湖北省", "city": "武汉市"],
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        events = try await vehicleEvents(of: vehicleID)
        XCTAssertEqual(events.count, 2)
        let edited = try XCTUnwrap(events.last).data
        XCTAssertEqual(edited, VehicleChanged(
            vehicleId: UUID(uuidString: vehicleID)!, storeId: store1, vin: vin, plate: "鄂AD5678", brand: "别克", series: "君越",
            model: "2026款 652T", purchaseDate: "2026-01-08", registrationDate: "2026-01-15", insuranceExpiry: "2027-01-14",
            owner: VehicleOwner(name: "赖小燕", mobile: newOwnerMobile, gender: "female", province: "湖北省", city: "武汉市"),
            lastRepairOn: nil, changedAt: edited.changedAt))
        XCTAssertGreaterThan(edited.changedAt, events[0].data.changedAt)

        // An SA opens a repair order at 01:30 on 1 April in Shanghai (31 March in UTC): the last
        // repair is the store's day. Completing it announces the file again.
        reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, json: [
            "vin": vin, "customer": ["name": "送修客户", "mobile": "13871150099"], "businessType": "paidMaintenance",
            "mileageKm": 5_200, "openedAt": "2026-03-31T17:30:00Z",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let repairOrderID = try XCTUnwrap(reply.json["id"] as? String)
        events = try await vehicleEvents(of: vehicleID)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.last?.data.lastRepairOn, "2026-04-01")
        XCTAssertEqual(events.last?.data.owner.name, "赖小燕", "a repair order leaves an existing file's owner as staff keep it")
        reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders/\(repairOrderID)/complete", token: sa, json: [
            "amount": 680.5, "completedAt": "2026-03-31T20:00:00Z",
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        events = try await vehicleEvents(of: vehicleID)
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events.last?.data.lastRepairOn, "2026-04-01")

        // The ERP opens a later order for the car, and completes one for a car the store has no
        // file of: that car's file comes from the order, announced with the order's customer.
        let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        let erpCustomer = Person(name: "王先生", mobile: Self.mobile())
        let opened = CloudEvent(source: "/erp/HX000001", data: ERPRepairOrderOpened(
            storeCode: "HX000001", roNo: roNo, vin: vin, plate: "鄂AD5678", customer: erpCustomer, sender: erpCustomer,
            businessType: .generalRepair, serviceAdvisor: "张翔", mileageKm: 8_000, openedAt: RFC3339.date(from: "2026-05-10T02:00:00Z")!))
        let newVIN = AfterSalesRecordsTests.vin()
        let completed = CloudEvent(source: "/erp/HX000001", data: ERPRepairOrderCompleted(
            storeCode: "HX000001", roNo: roNo + "-2", vin: newVIN, plate: "鄂A99999", customer: erpCustomer, sender: erpCustomer,
            businessType: .firstMaintenance, serviceAdvisor: "张翔", mileageKm: 3_000, amount: 0,
            openedAt: RFC3339.date(from: "2026-06-01T01:00:00Z")!, completedAt: RFC3339.date(from: "2026-06-01T03:00:00Z")!,
            brand: "别克", series: "君越", model: "2026款 652T"))
        try await BrokerQueues.publish([opened])
        try await BrokerQueues.publish([completed])
        let handled = try await eventually(timeout: .seconds(30)) {
            try await suite.database.scalar("""
                SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN ('\(opened.id)', '\(completed.id)')
                """) == 2
        }
        XCTAssertTrue(handled, "AfterSales handles the ERP's events\n\(suite.logs)")
        events = try await vehicleEvents(of: vehicleID)
        XCTAssertEqual(events.count, 5)
        XCTAssertEqual(events.last?.data.lastRepairOn, "2026-05-10")
        XCTAssertEqual(events.last?.data.owner.mobile, newOwnerMobile)
        let newCar = try await outbox(VehicleChanged.self, in: "aftersales", where: "envelope -> 'data' ->> 'vin' = '\(newVIN)'")
        XCTAssertEqual(newCar.count, 1)
        let newFile = try XCTUnwrap(newCar.first).data
        XCTAssertEqual(newFile.storeId, store1)
        XCTAssertEqual(newFile.owner, VehicleOwner(name: "王先生", mobile: erpCustomer.mobile))
        XCTAssertEqual(newFile.plate, "鄂A99999")
        XCTAssertEqual(newFile.brand, "别克")
        XCTAssertEqual(newFile.lastRepairOn, "2026-06-01")

        let ids = Set(events.map(\.id) + newCar.map(\.id))
        let onQueue = try await receivedOnQueue(ids)
        XCTAssertEqual(onQueue, ids, "every vehicle event reaches a queue bound to crm.events by its type")
    }
}
