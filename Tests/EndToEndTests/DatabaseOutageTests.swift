import AsyncHTTPClient
import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The flagship flow rides out PostgreSQL going away and coming back, by itself (issue 11):
/// ERP completions → crm-aftersales (repair order + announcement) → crm-customer-service (visit
/// task), with the database restarted or stopped mid-stream. Every order arrives exactly once,
/// within 60 s of the database being back; nothing stalls.
final class DatabaseOutageTests: XCTestCase {
    static let orders = 3_000
    var afterSales: ServiceProcess!
    var customerService: ServiceProcess!
    var database: AdminDatabase!

    override func setUp() async throws {
        database = try await AdminDatabase()
        afterSales = try ServiceProcess(.afterSales)
        customerService = try ServiceProcess(.customerService)
        let debug = ProcessInfo.processInfo.environment["CRM_TEST_OUTAGE_LOG_LEVEL"].map { ["CRM_LOG_LEVEL": $0] } ?? [:]
        try afterSales.start(overrides: debug)
        try customerService.start(overrides: debug)
        try await afterSales.waitUntilReady()
        try await customerService.waitUntilReady()
    }

    override func tearDown() async throws {
        // A test that failed with the database stopped leaves it up for the tests after it.
        // (Only then: starting a running server is not harmless, the broker's script would
        // drop the running node's pid file.)
        if let database, (try? await withDeadline(.seconds(5), "a probe", { try await database.scalar("SELECT 1") })) == nil {
            try? ServerControl.database.run("start")
        }
        await afterSales?.stop()
        await customerService?.stop()
        database?.shutdown()
    }

    /// The three counts of one store's stream; nil while the database does not answer.
    private func counts(_ storeCode: String) async -> (repairOrders: Int, announced: Int, visitTasks: Int)? {
        do {
            let repairOrders = try await database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE store_code = '\(storeCode)'")
            let announced = try await database.scalar("""
                SELECT count(*)::int8 FROM aftersales.outbox_event
                WHERE event_type = 'aftersales.repair_order.completed.v1' AND envelope -> 'data' ->> 'storeCode' = '\(storeCode)'
                """)
            let visitTasks = try await database.scalar(
                "SELECT count(*)::int8 FROM customer_service.visit_task WHERE store_id = '\(StoreID.forStoreCode(storeCode))'")
            return (repairOrders, announced, visitTasks)
        } catch {
            return nil
        }
    }

    /// Publishes a stream of `orders` completions for a new store, waits until a third is
    /// written, runs `outage`, and checks that all arrive exactly once within 60 s after it.
    private func stream(round: Int, outage: () async throws -> Void) async throws {
        let storeCode = "HX\(String(Int.random(in: 100_000...999_999)))"
        let events = (0..<Self.orders).map { CloudEvent(source: "erp/test", data: Samples.completedRepairOrder(storeCode: storeCode, number: $0)) }
        try await BrokerQueues.publish(events)
        let started = try await eventually(timeout: .seconds(60)) { (await counts(storeCode)?.repairOrders ?? 0) >= Self.orders / 3 }
        XCTAssertTrue(started, "round \(round): the stream does not flow\n\(logs)")
        try await outage()
        let back = ContinuousClock.now
        let done = try await eventually(timeout: .seconds(60)) {
            guard let counts = await counts(storeCode) else { return false }
            return counts.repairOrders >= Self.orders && counts.announced >= Self.orders && counts.visitTasks >= Self.orders
        }
        let final = await counts(storeCode)
        XCTAssertTrue(done, "round \(round): not all arrived within 60 s of the database being back: \(String(describing: final))\n\(logs)")
        if !done, let pause = ProcessInfo.processInfo.environment["CRM_TEST_OUTAGE_PAUSE"] {
            print("STALLED: aftersales pid \(afterSales.pid) log \(afterSales.logFile.path); customer-service pid \(customerService.pid) log \(customerService.logFile.path)")
            try await Task.sleep(for: .seconds(Int(pause)!))
        }
        let waited = ContinuousClock.now - back
        try await Task.sleep(for: .seconds(1))  // anything doubled would show by now
        let settled = await counts(storeCode)
        XCTAssertEqual(settled?.repairOrders, Self.orders, "round \(round): repair orders")
        XCTAssertEqual(settled?.announced, Self.orders, "round \(round): announcements")
        XCTAssertEqual(settled?.visitTasks, Self.orders, "round \(round): visit tasks")
        print("round \(round): all \(Self.orders) arrived \(waited) after the database was back")
    }

    private var logs: String {
        "--- aftersales\n\(afterSales.log.suffix(2500))\n--- customer-service\n\(customerService.log.suffix(2500))"
    }

    func testFiveFastRestartsOfPostgreSQLMidStreamStallNothing() async throws {
        for round in 1...5 {
            try await stream(round: round) {
                try ServerControl.database.run("restart")
            }
        }
    }

    /// While the database is stopped the service says so — `/health/ready` 503 naming it, an API
    /// request a 503 with `Retry-After` within 5 s — and once it is back, it is ready within 10 s.
    func testWhilePostgreSQLIsStoppedReadinessAndRequestsSay503AndItIsReadySoonAfter() async throws {
        let signer = try await TokenKeys(keys: TestTokenKeys.signing, jwksURL: nil, logger: .init(label: "test"))
        let token = try await signer.sign(AccessClaims(
            userID: UUID(), use: .access, username: "sa.outage", store: StoreID.forStoreCode("HX000001"), group: UUID(), team: nil,
            role: "sa", scope: .store, permissions: [.readVehicles], issuedAt: Date(), lifetime: 600))
        do {
            try ServerControl.database.run("stop")
            let stopped = ContinuousClock.now
            var readiness = ""
            let notReady = try await eventually(timeout: .seconds(5)) {
                let (status, body) = try await afterSales.get("/health/ready")
                readiness = String(decoding: body, as: UTF8.self)
                return status == 503 && readiness.contains(#""postgres":"failing""#)
            }
            XCTAssertTrue(notReady, "/health/ready while the database is down: \(readiness)")

            var request = HTTPClientRequest(url: "http://127.0.0.1:\(afterSales.port)/api/v1/after-sales/vehicles")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let asked = ContinuousClock.now
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            let answeredIn = ContinuousClock.now - asked
            XCTAssertEqual(response.status.code, 503, "an API request while the database is down")
            XCTAssertLessThan(answeredIn, .seconds(5), "the 503 took \(answeredIn)")
            XCTAssertNotNil(response.headers.first(name: "retry-after"))
            XCTAssertEqual(response.headers.first(name: "content-type"), "application/problem+json")
            // The metrics say what happened: the database errors by SQLSTATE, the consumer's hand.
            let metrics = String(decoding: try await afterSales.get("/metrics").body, as: UTF8.self)
            XCTAssertTrue(metrics.contains(#"crm_database_errors_total{sqlstate="connection"}"#), metrics)
            XCTAssertTrue(metrics.contains(#"crm_consumer_deliveries_in_hand{consumer="aftersales"}"#), metrics)

            try await Task.sleep(until: stopped + .seconds(10))
            try ServerControl.database.run("start")
            let ready = try await eventually(timeout: .seconds(10)) { try await afterSales.get("/health/ready").status == 200 }
            let after = String(decoding: try await afterSales.get("/health/ready").body, as: UTF8.self)
            XCTAssertTrue(ready, "not ready within 10 s of the database being back: \(after)")
        }
    }

    func testPostgreSQLStoppedForTwentySecondsMidStream() async throws {
        try await stream(round: 1) {
            try ServerControl.database.run("stop")
            try await Task.sleep(for: .seconds(20))
            try ServerControl.database.run("start")
        }
    }

    /// PostgreSQL restarted and, right after, RabbitMQ stopped and started: the consumers
    /// re-open their connections, declare their queues again and get what they held redelivered.
    func testPostgreSQLAndRabbitMQBothRestartedMidStream() async throws {
        try await stream(round: 1) {
            try ServerControl.database.run("restart")
            try ServerControl.broker.run("stop")
            try ServerControl.broker.run("start")
        }
    }
}
