import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// A database outage much longer than a batch's wait (`CRM_CONSUMER_DATABASE_WAIT_SECONDS`)
/// dead-letters nothing: the consumer hands what it holds back once and takes no new
/// deliveries until the database answers, instead of taking them and handing them back again
/// until the queue's delivery limit dead-letters them.
final class LongDatabaseOutageTests: XCTestCase {
    /// The queue gets a delivery limit of 2 here; it is deleted before and after, so that the
    /// services of other tests declare it with their own.
    let queue = ServiceIdentity.afterSales.name

    override func tearDown() async throws {
        // A test that failed with the database stopped leaves it up for the tests after it.
        let database = try await AdminDatabase()
        if (try? await withDeadline(.seconds(5), "a probe", { try await database.scalar("SELECT 1") })) == nil {
            try? ServerControl.database.run("start")
        }
        database.shutdown()
        let queue = self.queue
        try? await BrokerQueues.run { try $0.deleteQueue(queue) }
    }

    func testAnOutageOfManyDatabaseWaitsDeadLettersNothing() async throws {
        let queue = self.queue
        try await BrokerQueues.run { try $0.deleteQueue(queue) }
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start(overrides: ["CRM_AMQP_DELIVERY_LIMIT": "2", "CRM_CONSUMER_DATABASE_WAIT_SECONDS": "1"])
        defer { afterSales.signal(SIGKILL) }
        try await afterSales.waitUntilReady()
        let deadBefore = try await BrokerQueues.run { try $0.messageCount(queue: "\(queue).dead") }

        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let total = 500
        try ServerControl.database.run("stop")
        let events = (0..<total).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        try await BrokerQueues.publish(events)
        // Fifteen waits of one second: handed back each time, every event would pass its limit.
        try await Task.sleep(for: .seconds(15))
        try ServerControl.database.run("start")

        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let countSQL = "SELECT count(*)::int8 FROM aftersales.repair_order WHERE store_code = '\(storeCode)'"
        let allDone = try await eventually(timeout: .seconds(90)) { (try? await database.scalar(countSQL)) ?? 0 >= total }
        XCTAssertTrue(allDone, "log:\n\(afterSales.log.suffix(3000))")
        let repairOrders = try await database.scalar(countSQL)
        XCTAssertEqual(repairOrders, total)
        let deadAfter = try await BrokerQueues.run { try $0.messageCount(queue: "\(queue).dead") }
        XCTAssertEqual(deadAfter - deadBefore, 0, "events dead-lettered during the outage; log:\n\(afterSales.log.suffix(3000))")
        XCTAssertTrue(afterSales.log.contains("paused consuming"), "log:\n\(afterSales.log.suffix(3000))")
        await afterSales.stop()
    }
}
