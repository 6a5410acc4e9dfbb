import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1
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
            SELECT count(*)::int8 FROM aftersales.outbox_event
            WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope -> 'data' ->> 'storeCode' = '\(storeCode)'
            """)
        XCTAssertEqual(announced, total)
        let handled = try await database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN (\(events.map { "'\($0.id)'" }.joined(separator: ",")))")
        XCTAssertEqual(handled, total, "every ERP event is in the inbox once")
        await restarted.stop()
    }

    /// The same for crm-customer-service, the consumer at the end of the flagship flow: ERP
    /// completions stream through crm-aftersales to it, it is killed with SIGKILL in the middle
    /// of them, and once started again every repair order has its visit task, exactly once.
    func testCustomerServiceKilledMidStreamMakesEachVisitTaskExactlyOnce() async throws {
        let total = 2_000
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let store = StoreID.forStoreCode(storeCode)
        let database = try await AdminDatabase()
        defer { database.shutdown() }

        let afterSales = try ServiceProcess(.afterSales)
        let customerService = try ServiceProcess(.customerService)
        let restarted = try ServiceProcess(.customerService)
        defer {
            for process in [afterSales, customerService, restarted] { process.signal(SIGKILL) }
        }
        try afterSales.start()
        try customerService.start()
        try await afterSales.waitUntilReady()
        try await customerService.waitUntilReady()

        let events = (0..<total).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        try await BrokerQueues.publish(events)

        let tasksSQL = "SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(store)'"
        let someDone = try await eventually(timeout: .seconds(60)) { try await database.scalar(tasksSQL) >= 100 }
        XCTAssertTrue(someDone, "CustomerService makes visit tasks; log:\n\(customerService.log.suffix(2000))\n\(afterSales.log.suffix(2000))")
        customerService.signal(SIGKILL)
        let exited = await customerService.waitForExit(timeout: 10)
        XCTAssertNotNil(exited, "crm-customer-service is gone after SIGKILL")
        let atKill = try await database.scalar(tasksSQL)
        XCTAssertLessThan(atKill, total, "the kill must land mid-stream for this test to mean anything")

        try restarted.start()
        try await restarted.waitUntilReady()
        let allDone = try await eventually(timeout: .seconds(90)) { try await database.scalar(tasksSQL) >= total }
        let after = try await database.scalar(tasksSQL)
        XCTAssertTrue(allDone, "\(after) of \(total) tasks (\(atKill) at the kill); log:\n\(restarted.log.suffix(2000))")
        try await Task.sleep(for: .seconds(1))  // anything doubled would show by now

        print("visit tasks at the kill: \(atKill) of \(total)")
        let tasks = try await database.scalar(tasksSQL)
        XCTAssertEqual(tasks, total, "one visit task per completed repair order")
        let withoutTask = try await database.scalar("""
            SELECT count(*)::int8 FROM aftersales.repair_order r
            WHERE r.store_code = '\(storeCode)' AND NOT EXISTS (
                SELECT 1 FROM customer_service.visit_task t WHERE t.store_id = r.store_id AND t.order_type = 'repair' AND t.order_no = r.ro_no)
            """)
        XCTAssertEqual(withoutTask, 0, "every repair order has its visit task")
        // Every completion AfterSales announced is in CustomerService's inbox, once.
        let handled = try await database.scalar("""
            SELECT count(*)::int8 FROM customer_service.inbox
            WHERE event_id IN (
                SELECT event_id FROM aftersales.outbox_event
                WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope -> 'data' ->> 'storeCode' = '\(storeCode)')
            """)
        XCTAssertEqual(handled, total, "every announcement handled once")
        await restarted.stop()
        await afterSales.stop()
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

    /// The first column of every row, as text.
    func rows(_ sql: String) async throws -> [String] {
        var values: [String] = []
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { values.append(value) }
        return values
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

/// A member of staff calling one service directly, with an access token signed by the test
/// run's key exactly as the gateway signs one — for tests that run a service without the
/// gateway, in a store of their own that no other test touches.
struct DirectCaller {
    let port: Int
    let token: String
    let storeID: UUID
    let userID: UUID

    /// A caller of `role` in a new store (or `store`), store-wide (or of `scope`), with `permissions`;
    /// a new user unless `user` is given (the same person in another role).
    static func make(
        _ service: ServiceProcess, store: UUID = UUID(), group: UUID = UUID(), role: String, scope: DataScope = .store,
        permissions: [Permission], user userID: UUID = UUID()
    ) async throws -> DirectCaller {
        let signer = try await TokenKeys(keys: TestTokenKeys.signing, jwksURL: nil, logger: .init(label: "test"))
        let token = try await signer.sign(AccessClaims(
            userID: userID, use: .access, username: "\(role).\(userID.uuidString.prefix(6))", store: store, group: group, team: nil,
            role: role, scope: scope, permissions: permissions, issuedAt: Date(), lifetime: 3600))
        return DirectCaller(port: service.port, token: token, storeID: store, userID: userID)
    }

    func request(_ method: HTTPMethod, _ path: String, json: Any? = nil, bytes: Data? = nil, contentType: String = "text/csv") async throws -> Suite.Reply {
        try await ServiceProcess.request(port: port, method, path, token: token, json: json, bytes: bytes, contentType: contentType)
    }
}
