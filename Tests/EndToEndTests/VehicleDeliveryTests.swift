import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// CS2: one visit task per delivered car. The ERP's `erp.vehicle.delivered.v1` makes a new-car
/// visit task in crm-customer-service (its own process, the real broker); what makes a car's
/// delivery one task is the store and the sales order it was sold under. The broker delivering
/// an event twice (the same event id) and the ERP sending the same delivery again as a new
/// event both leave that one task.
final class VehicleDeliveryTests: XCTestCase {
    func testADeliveredCarHasOneVisitTaskHoweverOftenItsDeliveryArrives() async throws {
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let customerService = try ServiceProcess(.customerService)
        try customerService.start()
        do {
            try await customerService.waitUntilReady()
            try await check(database, customerService)
        } catch {
            XCTFail("\(error)\n\(customerService.log.suffix(3000))")
        }
        await customerService.stop()
    }

    private func check(_ database: AdminDatabase, _ customerService: ServiceProcess) async throws {
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let otherStoreCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let orderNo = "SO" + String(Int.random(in: 10_000_000...99_999_999))
        func delivery(_ storeCode: String, _ orderNo: String, plate: String?) -> ERPVehicleDelivered {
            ERPVehicleDelivered(
                storeCode: storeCode, orderNo: orderNo, vin: "LFV3A28K7K3012345", plate: plate, customer: Person(name: "赖朝朝", mobile: "15972197426"),
                brand: "奥迪", series: "A6L", model: "2026款 45 TFSI", consultant: "王磊", deliveredAt: Date().addingTimeInterval(-3600))
        }
        let first = CloudEvent(source: "/erp/\(storeCode)", data: delivery(storeCode, orderNo, plate: nil))
        // The ERP sends the same delivery again as a new event, the plate registered meanwhile.
        let resent = CloudEvent(source: "/erp/\(storeCode)", data: delivery(storeCode, orderNo, plate: "鄂A81245"))
        // Controls: another sales order of the store (the same VIN: a car sold again is another
        // delivery), and the same order number in another store.
        let anotherOrder = CloudEvent(source: "/erp/\(storeCode)", data: delivery(storeCode, orderNo + "-2", plate: nil))
        let otherStore = CloudEvent(source: "/erp/\(otherStoreCode)", data: delivery(otherStoreCode, orderNo, plate: nil))
        XCTAssertNotEqual(first.id, resent.id)

        // The first event, and the same event again as a broker redelivers it; the service has
        // handled the first (its id is in the inbox) and skipped the second copy.
        try await BrokerQueues.publish([first, first])
        let firstHandled = try await eventually(timeout: .seconds(30)) {
            try await database.scalar("SELECT count(*)::int8 FROM customer_service.inbox WHERE event_id = '\(first.id)'") == 1
        }
        XCTAssertTrue(firstHandled, "crm-customer-service handles the delivery")
        let copySkipped = try await eventually(timeout: .seconds(30)) { try await duplicatesSkipped(customerService) >= 1 }
        XCTAssertTrue(copySkipped, "the second copy was delivered and skipped")

        // Then the resent delivery and the controls; wait until the service has handled each of
        // them, so that a second task would be there by now.
        try await BrokerQueues.publish([resent, anotherOrder, otherStore])
        let ids = [resent, anotherOrder, otherStore].map { "'\($0.id)'" }.joined(separator: ",")
        let handled = try await eventually(timeout: .seconds(30)) {
            try await database.scalar("SELECT count(*)::int8 FROM customer_service.inbox WHERE event_id IN (\(ids))") == 3
        }
        XCTAssertTrue(handled, "crm-customer-service handles the other three deliveries")

        let store = StoreID.forStoreCode(storeCode)
        let tasks = try await database.scalar("""
            SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(store)' AND order_type = 'new_car' AND order_no = '\(orderNo)'
            """)
        XCTAssertEqual(tasks, 1, "one visit task for the delivered car")
        let fromFirst = try await database.scalar("""
            SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(store)' AND order_no = '\(orderNo)' AND source_event_id = '\(first.id)'
            """)
        XCTAssertEqual(fromFirst, 1, "the task is the first event's")
        let storeTasks = try await database.scalar("SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(store)'")
        XCTAssertEqual(storeTasks, 2, "another sales order of the store is another car: its own task")
        let otherStoreTasks = try await database.scalar("""
            SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(StoreID.forStoreCode(otherStoreCode))' AND order_no = '\(orderNo)'
            """)
        XCTAssertEqual(otherStoreTasks, 1, "the same order number in another store is that store's car")
    }

    /// How many events the service's consumer received and skipped as handled before
    /// (`crm_events_duplicates_skipped_total` on `/metrics`).
    private func duplicatesSkipped(_ service: ServiceProcess) async throws -> Int {
        let metrics = String(decoding: try await service.get("/metrics").body, as: UTF8.self)
        return metrics.split(separator: "\n")
            .filter { $0.hasPrefix("crm_events_duplicates_skipped_total") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }
}
