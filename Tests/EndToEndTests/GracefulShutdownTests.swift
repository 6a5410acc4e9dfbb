import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// SIGTERM in the middle of a stream (as Kubernetes sends before it removes a pod): the
/// consumer finishes and acknowledges the events it holds, the relay then publishes what they
/// committed (`OutboxRelay.flush`, at most about 3 s), and the process exits 0.
final class GracefulShutdownTests: XCTestCase {
    func testSIGTERMMidStreamAcknowledgesWhatWasCommittedAndPublishesItsAnnouncements() async throws {
        let total = 3_000
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        // CustomerService's queue takes the announcements; without a queue they would wait.
        let customerService = try ServiceProcess(.customerService)
        try customerService.start()
        defer { customerService.signal(SIGKILL) }
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start()
        defer { afterSales.signal(SIGKILL) }
        try await customerService.waitUntilReady()
        try await afterSales.waitUntilReady()

        let events = (0..<total).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        try await BrokerQueues.publish(events)
        let handledSQL = "SELECT count(*)::int8 FROM aftersales.repair_order WHERE store_code = '\(storeCode)'"
        let someDone = try await eventually(timeout: .seconds(60)) { try await database.scalar(handledSQL) >= 300 }
        XCTAssertTrue(someDone, "log:\n\(afterSales.log.suffix(2000))")

        afterSales.signal(SIGTERM)
        let status = await afterSales.waitForExit(timeout: 30)
        XCTAssertEqual(status, 0, "exits cleanly; log:\n\(afterSales.log.suffix(2000))")
        let atExit = try await database.scalar(handledSQL)
        XCTAssertLessThan(atExit, total, "the SIGTERM must land mid-stream for this test to mean anything")

        // The relay's last flush came after the consumer's last commit: every announcement of
        // a repair order written so far is on the broker.
        let unpublished = try await database.scalar("""
            SELECT count(*)::int8 FROM aftersales.outbox_event
            WHERE published_at IS NULL AND envelope -> 'data' ->> 'storeCode' = '\(storeCode)'
            """)
        XCTAssertEqual(unpublished, 0, "announcements committed before the exit were left unpublished")
        XCTAssertTrue(afterSales.log.contains("outbox flushed"), "log:\n\(afterSales.log.suffix(2000))")

        // Started again, it gets the rest. Had the first process left committed events
        // unacknowledged, the broker would deliver them again and the inbox would skip them as
        // duplicates; none may be.
        let restarted = try ServiceProcess(.afterSales)
        try restarted.start()
        defer { restarted.signal(SIGKILL) }
        try await restarted.waitUntilReady()
        let allDone = try await eventually(timeout: .seconds(90)) { try await database.scalar(handledSQL) >= total }
        XCTAssertTrue(allDone, "log:\n\(restarted.log.suffix(2000))")
        let repairOrders = try await database.scalar(handledSQL)
        XCTAssertEqual(repairOrders, total)
        let metrics = try await restarted.get("/metrics")
        let duplicates = Self.metric("crm_events_duplicates_skipped_total", in: String(decoding: metrics.body, as: UTF8.self))
        XCTAssertEqual(duplicates, 0, "events handled before SIGTERM came again: their acks were not sent")
        let visitTasks = try await eventually(timeout: .seconds(90)) {
            try await database.scalar("SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(StoreID.forStoreCode(storeCode))'") >= total
        }
        XCTAssertTrue(visitTasks, "every completion announced once reaches CustomerService")
        await restarted.stop()
        await customerService.stop()
    }

    /// The sum of a counter's samples in Prometheus text (0 when it has none yet).
    static func metric(_ name: String, in text: String) -> Double {
        text.split(separator: "\n")
            .filter { $0.hasPrefix("\(name){") || $0.hasPrefix("\(name) ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }
}
