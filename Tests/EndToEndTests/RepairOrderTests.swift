import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// AS3 through the gateway: a service advisor opens and completes a repair order; the ERP then
/// sends the same order's completion as a new event. One repair order, one announcement, one
/// visit task, and the vehicle's repair history shows it. And the times of an order follow the
/// service clock.
final class RepairOrderTests: XCTestCase {
    func testAnOrderCompletedByTheSAAndThenByTheERPIsAnnouncedOnce() async throws {
        let suite = try await Suite.start()
        do {
            let sa = try await suite.login("sa.1")
            let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
            let vin = "LE4ZG8DB1KL054321"
            var reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, json: [
                "roNo": roNo, "vin": vin, "plate": "鄂A60775", "customer": ["name": "李毅", "mobile": "13871150099"],
                "businessType": "generalRepair", "mileageKm": 30125,
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let id = try XCTUnwrap(reply.json["id"] as? String)
            reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, json: [
                "roNo": roNo, "vin": vin, "customer": ["name": "李毅", "mobile": "13871150099"], "businessType": "generalRepair", "mileageKm": 1,
            ])
            XCTAssertEqual(reply.status, 409, "the same RO number twice: \(reply.text)")
            reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", token: sa, json: ["amount": 1280.5])
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(reply.json["state"] as? String, "completed")
            reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", token: sa, json: ["amount": 1280.5])
            XCTAssertEqual(reply.status, 409, reply.text)

            var order = Samples.completedRepairOrder(storeCode: "HX000001", number: 0)
            order.roNo = roNo
            order.vin = vin
            let erpEvent = CloudEvent(source: "/erp/HX000001", data: order)
            try await BrokerQueues.publish([erpEvent])
            let supervisor = try await suite.login("cs.supervisor.1")
            let arrived = try await eventually(timeout: .seconds(10)) {
                try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor).items.count == 1
            }
            XCTAssertTrue(arrived)
            // Wait until AfterSales has handled the ERP's event.
            let handled = try await eventually(timeout: .seconds(10)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id = '\(erpEvent.id)'") == 1
            }
            XCTAssertTrue(handled)
            let announcements = try await suite.database.scalar("""
                SELECT count(*)::int8 FROM aftersales.outbox_event WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope->'data'->>'roNo' = '\(roNo)'
                """)
            XCTAssertEqual(announcements, 1)
            let orders = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE ro_no = '\(roNo)'")
            XCTAssertEqual(orders, 1)
            let tasks = try await suite.database.scalar("SELECT count(*)::int8 FROM customer_service.visit_task WHERE order_no = '\(roNo)'")
            XCTAssertEqual(tasks, 1)

            let vehicles = try await suite.request(.GET, "/api/v1/after-sales/vehicles?vin=\(vin)", token: sa)
            let vehicleID = try XCTUnwrap(vehicles.items.first?["id"] as? String, vehicles.text)
            let history = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(vehicleID)/repair-orders?pageSize=200", token: sa)
            XCTAssertTrue(history.items.contains { $0["roNo"] as? String == roNo }, history.text)
            // The lists export with the same filters.
            let exported = try await suite.request(.GET, "/api/v1/after-sales/repair-orders/export?format=xlsx&roNo=\(roNo)", token: sa)
            XCTAssertEqual(exported.status, 200, exported.text)
            let sheet = try Spreadsheet.read(exported.body)
            XCTAssertEqual(sheet.first?.prefix(4), ["工单号", "VIN", "车牌", "客户"])
            XCTAssertEqual(sheet.count, 2)
            // The ERP completed it last, so the row carries the ERP's plate and customer.
            XCTAssertEqual(sheet.last?.prefix(4), [roNo, vin, "粤B12345", "王先生"])
            // Business type and state in the store's words (G5), not codes.
            XCTAssertEqual(sheet.first?[6], "业务类型")
            XCTAssertEqual(sheet.last?[6], "付费保养", "the ERP's paidMaintenance")
            XCTAssertEqual(sheet.first?[10], "状态")
            XCTAssertEqual(sheet.last?[10], "已完工")
            let files = try await suite.request(.GET, "/api/v1/after-sales/vehicles/export?format=csv&vin=\(vin)", token: sa)
            XCTAssertEqual(files.status, 200, files.text)
            XCTAssertTrue(files.text.contains(vin), files.text)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// AS3 on the service clock: an order opened or completed without a time takes the service
    /// clock's "now", numbered by that day, and a time after it is refused as in the future.
    /// crm-aftersales runs alone on a clock file, in a store of the test's own that the test
    /// announces as the gateway does; the clock stands months before the real date, so a time
    /// taken from the machine's clock would show.
    func testOpeningAndCompletionTimesFollowTheServiceClock() async throws {
        let clock = try TestClockFile("2026-06-01T02:00:00Z")  // 10:00 in Shanghai
        let start = clock.start
        defer { clock.remove() }
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start(overrides: clock.environment)
        defer { afterSales.signal(SIGKILL) }
        do {
            try await afterSales.waitUntilReady()
            let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
            let store = StoreID.forStoreCode(storeCode)
            let group = UUID()
            try await BrokerQueues.publish([CloudEvent(source: "/crm/gateway", data: IdentityStoreChanged(
                storeId: store, groupId: group, code: storeCode, name: "时钟测试店", timeZone: "Asia/Shanghai", version: 1))])
            let known = try await eventually(timeout: .seconds(30)) {
                try await database.scalar("SELECT count(*)::int8 FROM aftersales.directory_store WHERE id = '\(store)'") == 1
            }
            XCTAssertTrue(known, "AfterSales learns the store")
            let sa = try await DirectCaller.make(afterSales, store: store, group: group, role: "sa", permissions: [.readVehicles, .writeVehicles, .readRepairOrders, .writeRepairOrders])
            func date(_ value: Any?) -> Date? { (value as? String).flatMap(RFC3339.date(from:)) }
            let order: [String: Any] = [
                "vin": "LFV3A28K7K3012345", "plate": "鄂A81245", "customer": ["name": "赖朝朝", "mobile": "15972197426"],
                "businessType": "paidMaintenance", "mileageKm": 45210,
            ]

            var reply = try await sa.request(.POST, "/api/v1/after-sales/repair-orders", json: order)
            XCTAssertEqual(reply.status, 201, reply.text)
            let id = try XCTUnwrap(reply.json["id"] as? String)
            XCTAssertEqual(date(reply.json["openedAt"]), start, "opened at the service clock's now")
            XCTAssertEqual((reply.json["roNo"] as? String)?.prefix(8), "RO260601", "numbered by the service clock's day: \(reply.text)")
            // A day on — in the past on the real clock, in the future on the service's: refused.
            var tomorrow = order
            tomorrow["openedAt"] = RFC3339.string(from: start.addingTimeInterval(24 * 3600))
            reply = try await sa.request(.POST, "/api/v1/after-sales/repair-orders", json: tomorrow)
            XCTAssertEqual(reply.status, 422, reply.text)
            XCTAssertEqual(reply.problemFields, ["openedAt"])

            try clock.set(hoursAfterStart: 3)
            reply = try await sa.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", json: [
                "amount": 688.5, "completedAt": RFC3339.string(from: start.addingTimeInterval(4 * 3600)),
            ])
            XCTAssertEqual(reply.status, 422, "an hour after the service clock's now: \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["completedAt"])
            reply = try await sa.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", json: ["amount": 688.5])
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(date(reply.json["completedAt"]), start.addingTimeInterval(3 * 3600), "completed at the moved clock's now")
            // The announcement carries the same time.
            let announced = try await database.scalar("""
                SELECT count(*)::int8 FROM aftersales.outbox_event
                WHERE event_type = 'aftersales.repair_order.completed.v1' AND (envelope -> 'data' ->> 'repairOrderId')::uuid = '\(id)'
                  AND (envelope -> 'data' ->> 'completedAt')::timestamptz = '\(RFC3339.string(from: start.addingTimeInterval(3 * 3600)))'
                """)
            XCTAssertEqual(announced, 1)
        } catch {
            XCTFail("\(error)\n\(afterSales.log.suffix(3000))")
        }
        await afterSales.stop()
    }
}
