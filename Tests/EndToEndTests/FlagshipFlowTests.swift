import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The start of the flagship flow, across processes: the ERP's repair-order completions reach
/// AfterSales, whose announcements become CustomerService visit tasks — one per order, however
/// often the ERP sends it.
final class FlagshipFlowTests: XCTestCase {
    func testERPCompletionsBecomeExactlyOneVisitTaskPerRepairOrder() async throws {
        let orders = 500
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let afterSales = try ServiceProcess(.afterSales)
        let customerService = try ServiceProcess(.customerService)
        defer {
            afterSales.signal(SIGKILL)
            customerService.signal(SIGKILL)
        }
        try afterSales.start()
        try customerService.start()
        try await afterSales.waitUntilReady()
        try await customerService.waitUntilReady()

        let events = (0..<orders).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        // The same event three times, and the same order again as a new event, as ERPs resend.
        let resentOrder = CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: 7))
        try await BrokerQueues.publish(events + [events[0], events[0], resentOrder])

        let storeID = StoreID.forStoreCode(storeCode)
        let countSQL = "SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(storeID)'"
        let arrived = try await eventually(timeout: .seconds(60)) { try await database.scalar(countSQL) >= orders }
        XCTAssertTrue(arrived, "logs:\n\(afterSales.log.suffix(1500))\n\(customerService.log.suffix(1500))")
        try await Task.sleep(for: .seconds(1))
        let tasks = try await database.scalar(countSQL)
        XCTAssertEqual(tasks, orders, "one visit task per repair order")
        let first = try await database.scalar("""
            SELECT count(*)::int8 FROM customer_service.visit_task
            WHERE store_id = '\(storeID)' AND order_no = 'RO00000000' AND order_type = 'repair' AND state = 'pending'
              AND customer_mobile = '13800138000' AND sender_name = '李师傅' AND plate = '粤B12345' AND business_type = 'paidMaintenance'
            """)
        XCTAssertEqual(first, 1, "the task carries the order's customer, sender, plate and business type")
        await afterSales.stop()
        await customerService.stop()
    }
}
