import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// AfterSales and CustomerService records through the gateway: repair orders are one per store
/// and RO number (AS3), a vehicle file keeps its user and driver as well as its owner, and a
/// copied visit template is a template of its own in the same store.
final class AfterSalesRecordsTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    /// A VIN of a maker outside China and North America (no check digit), random per run.
    static func vin() -> String {
        let characters = Array("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
        return "WDD" + String((0..<14).map { _ in characters.randomElement()! })
    }

    // MARK: one repair order per store and RO number

    /// The same RO number in stores HX000001 and HX000002 — opened by each store's SA, and
    /// completed by the ERP for each store — is two repair orders, one in each store.
    func testTheSameRONumberInTwoStoresIsTwoRepairOrders() async throws {
        let sa1 = try await suite.login("sa.1")
        let sa2 = try await suite.login("sa.2")
        let store1 = StoreID.forStoreCode("HX000001").uuidString
        let store2 = StoreID.forStoreCode("HX000002").uuidString

        // Opened by an SA in each store.
        let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        var ids: [String] = []
        for (token, name) in [(sa1, "邓超"), (sa2, "孙俪")] {
            let reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, json: [
                "roNo": roNo, "vin": Self.vin(), "plate": "鄂A60775", "customer": ["name": name, "mobile": "13871150099"],
                "businessType": "generalRepair", "mileageKm": 1000,
            ])
            XCTAssertEqual(reply.status, 201, "\(name)'s store has no order \(roNo) yet: \(reply.text)")
            ids.append(try XCTUnwrap(reply.json["id"] as? String, reply.text))
        }
        XCTAssertNotEqual(ids[0], ids[1])
        for (token, store, id, name) in [(sa1, store1, ids[0], "邓超"), (sa2, store2, ids[1], "孙俪")] {
            let reply = try await suite.request(.GET, "/api/v1/after-sales/repair-orders?roNo=\(roNo)", token: token)
            XCTAssertEqual(reply.items.count, 1, reply.text)
            XCTAssertEqual(reply.items.first?["id"] as? String, id)
            XCTAssertEqual(reply.items.first?["storeId"] as? String, store)
            XCTAssertEqual((reply.items.first?["customer"] as? [String: Any])?["name"] as? String, name, "each store's own order")
        }
        var count = try await suite.database.scalar("SELECT count(DISTINCT store_id)::int8 FROM aftersales.repair_order WHERE ro_no = '\(roNo)'")
        XCTAssertEqual(count, 2)
        // The same number again in store 1 is still refused.
        var reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa1, json: [
            "roNo": roNo, "vin": Self.vin(), "plate": "鄂A60776", "customer": ["name": "邓超", "mobile": "13871150099"], "businessType": "generalRepair", "mileageKm": 1,
        ])
        XCTAssertEqual(reply.status, 409, reply.text)

        // Received from the ERP for each store.
        let erpNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        var events: [CloudEvent<ERPRepairOrderCompleted>] = []
        for code in ["HX000001", "HX000002"] {
            var order = Samples.completedRepairOrder(storeCode: code, number: 0)
            order.roNo = erpNo
            order.customer = Person(name: code == "HX000001" ? "周一" : "周二", mobile: "13800138000")
            events.append(CloudEvent(source: "/erp/\(code)", data: order))
        }
        try await BrokerQueues.publish(events)
        let both = try await eventually(timeout: .seconds(15)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN ('\(events[0].id)', '\(events[1].id)')") == 2
        }
        XCTAssertTrue(both, "AfterSales handles both events")
        count = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE ro_no = '\(erpNo)'")
        XCTAssertEqual(count, 2, "one repair order per store")
        for (token, store, name) in [(sa1, store1, "周一"), (sa2, store2, "周二")] {
            reply = try await suite.request(.GET, "/api/v1/after-sales/repair-orders?roNo=\(erpNo)", token: token)
            XCTAssertEqual(reply.items.count, 1, reply.text)
            XCTAssertEqual(reply.items.first?["storeId"] as? String, store)
            XCTAssertEqual(reply.items.first?["state"] as? String, "completed")
            XCTAssertEqual((reply.items.first?["customer"] as? [String: Any])?["name"] as? String, name, reply.text)
        }
        let announced = try await suite.database.scalar("""
            SELECT count(DISTINCT envelope->'data'->>'storeCode')::int8 FROM aftersales.outbox_event
            WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope->'data'->>'roNo' = '\(erpNo)'
            """)
        XCTAssertEqual(announced, 2, "each store's completion is announced")
    }

    // MARK: owner, user and driver

    /// A vehicle file keeps the user and the driver besides the owner: returned on creation and
    /// on reading, found by their mobile and name, replaced and removed by a change.
    func testAVehicleKeepsItsUserAndDriver() async throws {
        let sa = try await suite.login("sa.1")
        let vin = Self.vin()
        let driverMobile = "137" + String(format: "%08d", Int.random(in: 0...99_999_999))
        var reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": "鄂A81245", "brand": "凯迪拉克", "series": "XT5", "model": "2026款 28T 豪华型",
            "owner": ["name": "武汉某某贸易有限公司", "mobile": "13871150011"],
            "user": ["name": "刘洋", "mobile": "+86 138-7115-0012"],
            "driver": ["name": "何师傅", "mobile": driverMobile],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let id = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        func check(_ vehicle: [String: Any], _ context: String) {
            XCTAssertEqual((vehicle["owner"] as? [String: Any])?["name"] as? String, "武汉某某贸易有限公司", context)
            XCTAssertEqual((vehicle["user"] as? [String: Any])?["name"] as? String, "刘洋", context)
            XCTAssertEqual((vehicle["user"] as? [String: Any])?["mobile"] as? String, "13871150012", "normalised: \(context)")
            XCTAssertEqual((vehicle["driver"] as? [String: Any])?["name"] as? String, "何师傅", context)
            XCTAssertEqual((vehicle["driver"] as? [String: Any])?["mobile"] as? String, driverMobile, context)
        }
        check(reply.json, "created")
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(id)", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        check(reply.json, "read back")
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?mobile=\(driverMobile)", token: sa)
        XCTAssertEqual(reply.items.map { $0["id"] as? String }, [id], "found by the driver's mobile: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?vin=\(vin)&name=\("何师傅".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", token: sa)
        XCTAssertEqual(reply.items.map { $0["id"] as? String }, [id], "found by the driver's name: \(reply.text)")

        // A change replaces the driver and removes the user; the owner stays.
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(id)", token: sa, json: [
            "driver": ["name": "钱师傅", "mobile": "13871150013"], "user": NSNull(),
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(id)", token: sa)
        XCTAssertEqual((reply.json["driver"] as? [String: Any])?["name"] as? String, "钱师傅", reply.text)
        XCTAssertEqual((reply.json["driver"] as? [String: Any])?["mobile"] as? String, "13871150013", reply.text)
        XCTAssertNil(reply.json["user"] as? [String: Any], reply.text)
        XCTAssertEqual((reply.json["owner"] as? [String: Any])?["mobile"] as? String, "13871150011", reply.text)
    }

    // MARK: copying a visit template

    /// A copy of the store's default template is a new, non-default template of the same kind in
    /// the same store, with the same questions under ids of their own; changing the copy leaves
    /// the original as it was.
    func testACopiedVisitTemplateIsAnIndependentTemplateOfTheSameStore() async throws {
        let supervisor = try await suite.login("cs.supervisor.1")
        let otherStore = try await suite.login("cs.supervisor.2")
        let store1 = StoreID.forStoreCode("HX000001").uuidString
        var reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates?kind=after_sales", token: supervisor)
        XCTAssertEqual(reply.status, 200, reply.text)
        let original = try XCTUnwrap(reply.items.first { $0["isDefault"] as? Bool == true }, "store 1 has a default after-sales template: \(reply.text)")
        let originalID = try XCTUnwrap(original["id"] as? String)
        let originalQuestions = try XCTUnwrap(original["questions"] as? [[String: Any]])
        XCTAssertFalse(originalQuestions.isEmpty)

        let name = "售后回访副本\(Int.random(in: 1000...9999))"
        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-templates/\(originalID)/copy", token: supervisor, json: ["name": name])
        XCTAssertEqual(reply.status, 201, reply.text)
        let copy = reply.json
        let copyID = try XCTUnwrap(copy["id"] as? String)
        XCTAssertNotEqual(copyID, originalID)
        XCTAssertEqual(copy["name"] as? String, name)
        XCTAssertEqual(copy["storeId"] as? String, store1, "in the same store")
        XCTAssertEqual(copy["kind"] as? String, "after_sales")
        XCTAssertEqual(copy["isDefault"] as? Bool, false, "the copy is not the default")
        let copyQuestions = try XCTUnwrap(copy["questions"] as? [[String: Any]])
        XCTAssertEqual(copyQuestions.map { $0["text"] as? String }, originalQuestions.map { $0["text"] as? String })
        XCTAssertEqual(copyQuestions.map { $0["type"] as? String }, originalQuestions.map { $0["type"] as? String })
        let originalIDs = Set(originalQuestions.compactMap { $0["id"] as? String })
            .union(originalQuestions.flatMap { ($0["options"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
        let copyIDs = Set(copyQuestions.compactMap { $0["id"] as? String })
            .union(copyQuestions.flatMap { ($0["options"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
        XCTAssertTrue(originalIDs.isDisjoint(with: copyIDs), "questions and options with ids of their own")
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates/\(copyID)", token: otherStore)
        XCTAssertEqual(reply.status, 404, "not another store's")
        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-templates/\(originalID)/copy", token: supervisor, json: ["name": name])
        XCTAssertEqual(reply.status, 409, "the name is taken in the store: \(reply.text)")

        // Changing the copy leaves the original alone.
        reply = try await suite.request(.PUT, "/api/v1/customer-service/visit-templates/\(copyID)", token: supervisor, json: [
            "name": name, "kind": "after_sales",
            "questions": [["text": "您对本次保养满意吗？", "type": "rating", "maxRating": 5, "negativeAtMost": 2]],
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["questions"] as? [[String: Any]])?.count, 1, reply.text)
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates/\(originalID)", token: supervisor)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["isDefault"] as? Bool, true, "the original is still the default")
        let after = try XCTUnwrap(reply.json["questions"] as? [[String: Any]])
        XCTAssertEqual(after.compactMap { $0["id"] as? String }, originalQuestions.compactMap { $0["id"] as? String })
        XCTAssertEqual(after.map { $0["text"] as? String }, originalQuestions.map { $0["text"] as? String })
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates?kind=after_sales", token: supervisor)
        XCTAssertEqual(reply.items.filter { $0["isDefault"] as? Bool == true }.map { $0["id"] as? String }, [originalID], reply.text)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == copyID }, reply.text)
    }
}
