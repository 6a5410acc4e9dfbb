import Contracts
import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// A consuming service killed with SIGKILL in the middle of a stream and started again loses
/// nothing and doubles nothing.
final class CrashRecoveryTests: XCTestCase {
    func testAfterSalesKilledMidStreamRecordsEachRepairOrderExactlyOnce() async throws {
        let total = 8_000
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let database = try await AdminDatabase()
        defer { database.shutdown() }

        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start()
        try await afterSales.waitUntilReady()

        let events = (0..<total).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        // A few duplicates as well, as an ERP that resends does.
        try await BrokerQueues.publish(events + events.prefix(100))

        let countSQL = "SELECT count(*)::int8 FROM aftersales.repair_order WHERE store_code = '\(storeCode)'"
        let someDone = try await eventually(timeout: .seconds(60)) { try await database.scalar(countSQL) >= 300 }
        XCTAssertTrue(someDone, "AfterSales handles events; log:\n\(afterSales.log.suffix(2000))")
        afterSales.signal(SIGKILL)
        _ = await afterSales.waitForExit(timeout: 10)
        let atKill = try await database.scalar(countSQL)
        XCTAssertLessThan(atKill, total, "the kill must land mid-stream for this test to mean anything")

        let restarted = try ServiceProcess(.afterSales)
        try restarted.start()
        defer { restarted.signal(SIGKILL) }
        try await restarted.waitUntilReady()
        let allDone = try await eventually(timeout: .seconds(90)) { try await database.scalar(countSQL) >= total }
        XCTAssertTrue(allDone, "log:\n\(restarted.log.suffix(2000))")
        try await Task.sleep(for: .seconds(1))

        let repairOrders = try await database.scalar(countSQL)
        XCTAssertEqual(repairOrders, total, "one repair order per RO number")
        // Each completion is announced exactly once through the outbox.
        let announced = try await database.scalar("""
            SELECT count(*)::int8 FROM aftersales.outbox
            WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope -> 'data' ->> 'storeCode' = '\(storeCode)'
            """)
        XCTAssertEqual(announced, total)
        let handled = try await database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN (\(events.map { "'\($0.id)'" }.joined(separator: ",")))")
        XCTAssertEqual(handled, total, "every ERP event is in the inbox once")
        await restarted.stop()
    }
}

/// The test run's database as its superuser, for looking at every schema.
final class AdminDatabase: @unchecked Sendable {
    let client: PostgresClient
    private let runTask: Task<Void, Never>

    init() async throws {
        client = Database.makeClient(url: try TestEnvironment.postgresURL, maximumConnections: 4, logger: .init(label: "test"))
        let client = self.client
        runTask = Task { await client.run() }
    }

    func scalar(_ sql: String) async throws -> Int {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return value }
        return 0
    }

    func shutdown() { runTask.cancel() }
}

enum Samples {
    static func completedRepairOrder(storeCode: String, number: Int) -> ERPRepairOrderCompleted {
        ERPRepairOrderCompleted(
            storeCode: storeCode, roNo: String(format: "RO%08d", number), vin: "LSVAU2180N2183294", plate: "粤B12345",
            customer: Person(name: "王先生", mobile: "13800138000"), sender: Person(name: "李师傅", mobile: "13900139000"),
            businessType: .paidMaintenance, serviceAdvisor: "张顾问", mileageKm: 12_000 + number, amount: Decimal(string: "688.50")!,
            openedAt: Date().addingTimeInterval(-7200), completedAt: Date())
    }
}
