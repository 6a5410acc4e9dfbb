import Contracts
import Foundation
import Logging
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// crm-aftersales records the ERP's repair-order events a consumer batch at a time, with a few
/// statements per batch. A batch that holds several events about the same order — an opening
/// and its completion, a completion sent twice, a completion and a late opening — must come
/// out exactly as handling the events one at a time: one order per store and RO number, the
/// latest data, the first completion's time, one announcement per completed order.
final class RepairOrderBatchTests: XCTestCase {
    func testOneBatchWithOpeningsRepeatsAndManyOrdersAnnouncesEachCompletionOnce() async throws {
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let store = StoreID.forStoreCode(storeCode)
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start()
        defer { afterSales.signal(SIGKILL) }
        do {
            try await afterSales.waitUntilReady()
            try await check(storeCode: storeCode, store: store, database: database)
        } catch {
            XCTFail("\(error)\nlog:\n\(afterSales.log.suffix(3000))")
        }
        await afterSales.stop()
    }

    private func check(storeCode: String, store: UUID, database: AdminDatabase) async throws {
        // Every event of the test shares one subject: the consumer hands the events of a
        // subject to one worker, in order, so they can meet in one batch.
        let subject = "erp-\(storeCode)"
        let hour = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600 - 86_400)
        func at(_ minutes: Double) -> Date { hour.addingTimeInterval(minutes * 60) }
        func vin() -> String { AfterSalesRecordsTests.vin() }
        func completion(
            _ roNo: String, vin: String, amount: String, completedAt: Date, plate: String = "粤B12345", customer: String = "王先生"
        ) -> CloudEvent<ERPRepairOrderCompleted> {
            CloudEvent(source: "/erp/\(storeCode)", subject: subject, data: ERPRepairOrderCompleted(
                storeCode: storeCode, roNo: roNo, vin: vin, plate: plate,
                customer: Person(name: customer, mobile: "13800138000"), sender: Person(name: "李师傅", mobile: "13900139000"),
                businessType: .paidMaintenance, serviceAdvisor: "张顾问", mileageKm: 12_000, amount: Decimal(string: amount)!,
                openedAt: at(0), completedAt: completedAt))
        }
        func opening(_ roNo: String, vin: String, plate: String, customer: String) -> CloudEvent<ERPRepairOrderOpened> {
            CloudEvent(source: "/erp/\(storeCode)", subject: subject, data: ERPRepairOrderOpened(
                storeCode: storeCode, roNo: roNo, vin: vin, plate: plate,
                customer: Person(name: customer, mobile: "13800138001"), sender: Person(name: "李师傅", mobile: "13900139000"),
                businessType: .generalRepair, serviceAdvisor: "张顾问", mileageKm: 11_000, openedAt: at(1)))
        }
        /// Asserts that `sql` counts `expected`.
        func expect(_ expected: Int, _ sql: String, _ message: String = "", line: UInt = #line) async throws {
            let count = try await database.scalar(sql)
            XCTAssertEqual(count, expected, message, line: line)
        }
        func inInbox(_ ids: [String]) async throws -> Int {
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE consumer = 'aftersales' AND event_id IN (\(ids.map { "'\($0)'" }.joined(separator: ",")))")
        }

        // Before the batch: order E completed, and order B (the batch's blocker) opened.
        let (vinB, vinE, vinP, vinD, vinQ) = (vin(), vin(), vin(), vin(), vin())
        let completedE = completion("E", vin: vinE, amount: "300", completedAt: at(10))
        let openedB = opening("B", vin: vinB, plate: "粤B00001", customer: "卜先生")
        try await BrokerQueues.publish([completedE])
        try await BrokerQueues.publish([openedB])
        var handled = try await eventually(timeout: .seconds(20)) { try await inInbox([completedE.id, openedB.id]) == 2 }
        XCTAssertTrue(handled, "AfterSales handles the events before the batch")

        // The batch, in the order the ERP sends it.
        let openedP = opening("P", vin: vinP, plate: "粤B10001", customer: "开单人")
        let completedP = completion("P", vin: vinP, amount: "100", completedAt: at(20), plate: "粤B10002", customer: "结算人")
        let completedD1 = completion("D", vin: vinD, amount: "200", completedAt: at(21), plate: "粤B20001")
        let completedD2 = completion("D", vin: vinD, amount: "210", completedAt: at(22), plate: "粤B20002")
        let completedEAgain = completion("E", vin: vinE, amount: "310", completedAt: at(23), plate: "粤B30002")
        let many = (0..<200).map { completion(String(format: "M%03d", $0), vin: vin(), amount: "688.5", completedAt: at(24)) }
        let completedN = completion("N", vin: "", amount: "50", completedAt: at(25))
        let completedQ = completion("Q", vin: vinQ, amount: "400", completedAt: at(26), plate: "粤B40001")
        let openedQ = opening("Q", vin: vinQ, plate: "粤B40002", customer: "晚开单")
        let freshIDs = [openedP.id, completedP.id, completedD1.id, completedD2.id, completedEAgain.id] + many.map(\.id)
            + [completedN.id, completedQ.id, openedQ.id]
        XCTAssertEqual(freshIDs.count, 208, "fewer than the consumer's batch size, 250")

        // They must all wait in the consumer's worker while it is busy, then go as one batch:
        // the test holds order B's row, the blocker's completion waits for it in its own
        // transaction, the batch queues up behind it, and is handled when the row is let go.
        let blocker = completion("B", vin: vinB, amount: "1", completedAt: at(15))
        let logger = Logger(label: "test")
        try await database.client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                _ = try await connection.query("SELECT 1 FROM aftersales.repair_order WHERE store_id = \(store) AND ro_no = 'B' FOR UPDATE", logger: logger).collect()
                try await BrokerQueues.publish([blocker])
                let waiting = try await eventually(timeout: .seconds(10)) {
                    try await database.scalar("SELECT count(*)::int8 FROM pg_stat_activity WHERE usename = 'crm_aftersales' AND wait_event_type = 'Lock'") >= 1
                }
                XCTAssertTrue(waiting, "the blocker's transaction waits for order B")
                try await BrokerQueues.publish([openedP])
                try await BrokerQueues.publish([completedP, completedD1, completedD2, completedEAgain])
                try await BrokerQueues.publish(many + [completedN, completedQ])
                // The ERP sends D's first completion again as the same event, and Q's opening late.
                try await BrokerQueues.publish([completedD1])
                try await BrokerQueues.publish([openedQ])
                let delivered = try await eventually(timeout: .seconds(10)) {
                    try await BrokerQueues.run { try $0.messageCount(queue: "aftersales") } == 0
                }
                XCTAssertTrue(delivered, "the broker has handed every event to crm-aftersales")
                try await Task.sleep(for: .milliseconds(500))  // from the connection's thread to the worker
                try await connection.query("COMMIT", logger: logger)
            } catch {
                try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
        handled = try await eventually(timeout: .seconds(30)) { try await inInbox(freshIDs + [blocker.id]) == freshIDs.count + 1 }
        XCTAssertTrue(handled, "AfterSales handles the batch")
        let transactions = try await database.scalar("""
            SELECT count(DISTINCT xmin::text)::int8 FROM aftersales.inbox WHERE consumer = 'aftersales' AND event_id IN (\(freshIDs.map { "'\($0)'" }.joined(separator: ",")))
            """)
        XCTAssertEqual(transactions, 1, "the test's premise: the events were handled in one batch")

        // One order per RO number: B, E, P, D, Q, N and the 200.
        let inStore = "store_id = '\(store)'"
        try await expect(206, "SELECT count(*)::int8 FROM aftersales.repair_order WHERE \(inStore)")
        try await expect(0, "SELECT count(*)::int8 FROM aftersales.repair_order WHERE \(inStore) AND (state <> 'completed' OR source <> 'erp')")
        // One announcement per completed order, caused by the event that completed it.
        let announcements = "aftersales.outbox_event WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope->'data'->>'storeCode' = '\(storeCode)'"
        try await expect(206, "SELECT count(*)::int8 FROM \(announcements)")
        try await expect(206, "SELECT count(DISTINCT envelope->'data'->>'roNo')::int8 FROM \(announcements)")
        // A handler's announcements go as one message (a CloudEvents batch): the 200 orders
        // completed side by side are in one.
        try await expect(1, "SELECT count(*)::int8 FROM (SELECT message_id FROM \(announcements) GROUP BY message_id HAVING count(*) >= 200) AS big")
        func announced(_ roNo: String, causedBy event: String, amount: String, completedAt: Date, plate: String) -> String {
            """
            SELECT count(*)::int8 FROM \(announcements) AND envelope->'data'->>'roNo' = '\(roNo)' AND envelope->>'causationid' = '\(event)'
              AND (envelope->'data'->>'amount')::numeric = \(amount) AND envelope->'data'->>'plate' = '\(plate)'
              AND (envelope->'data'->>'completedAt')::timestamptz = '\(RFC3339.string(from: completedAt))'
            """
        }
        try await expect(1, announced("E", causedBy: completedE.id, amount: "300", completedAt: at(10), plate: "粤B12345"), "E was announced before the batch, and not again")
        try await expect(1, announced("P", causedBy: completedP.id, amount: "100", completedAt: at(20), plate: "粤B10002"))
        try await expect(1, announced("D", causedBy: completedD1.id, amount: "200", completedAt: at(21), plate: "粤B20001"), "the first of D's two completions")
        try await expect(1, announced("Q", causedBy: completedQ.id, amount: "400", completedAt: at(26), plate: "粤B40001"))
        try await expect(1, announced("M042", causedBy: many[42].id, amount: "688.5", completedAt: at(24), plate: "粤B12345"))
        try await expect(1, announced("N", causedBy: completedN.id, amount: "50", completedAt: at(25), plate: "粤B12345"))

        // Each order as one at a time leaves it: the latest data and amount, the first completion's time.
        func order(_ roNo: String, completedAt: Date, amount: String, plate: String, customer: String) -> String {
            """
            SELECT count(*)::int8 FROM aftersales.repair_order WHERE \(inStore) AND ro_no = '\(roNo)' AND state = 'completed'
              AND completed_at = '\(RFC3339.string(from: completedAt))' AND amount = \(amount) AND plate = '\(plate)' AND customer_name = '\(customer)'
            """
        }
        try await expect(1, order("P", completedAt: at(20), amount: "100", plate: "粤B10002", customer: "结算人"), "opened, then completed with the completion's data")
        try await expect(1, order("D", completedAt: at(21), amount: "210", plate: "粤B20002", customer: "王先生"), "completed at the first completion, with the second's data")
        try await expect(1, order("E", completedAt: at(10), amount: "310", plate: "粤B30002", customer: "王先生"), "a repeated completion changes the data, not the completion")
        try await expect(1, order("Q", completedAt: at(26), amount: "400", plate: "粤B40002", customer: "晚开单"), "a late opening changes the data, not the state or the amount")
        try await expect(1, order("B", completedAt: at(15), amount: "1", plate: "粤B12345", customer: "王先生"))
        try await expect(1, """
            SELECT count(*)::int8 FROM aftersales.repair_order WHERE \(inStore) AND ro_no = 'P' AND opened_at = '\(RFC3339.string(from: at(0)))'
            """, "the completion's opening time, the latest the ERP sent")

        // A file per car with a VIN, started by the first order that showed it.
        try await expect(205, "SELECT count(*)::int8 FROM aftersales.vehicle WHERE \(inStore)")
        try await expect(0, "SELECT count(*)::int8 FROM aftersales.vehicle WHERE \(inStore) AND vin = ''", "N's car has no VIN")
        try await expect(1, """
            SELECT count(*)::int8 FROM aftersales.vehicle WHERE \(inStore) AND vin = '\(vinP)' AND owner_name = '开单人' AND plate = '粤B10001' AND source = 'repair_order'
            """, "P's car from its opening, the first event about it")
        try await expect(1, """
            SELECT count(*)::int8 FROM aftersales.vehicle WHERE \(inStore) AND vin = '\(vinQ)' AND plate = '粤B40001'
            """, "Q's car from its completion, which came before its opening")
    }
}
