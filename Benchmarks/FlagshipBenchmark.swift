import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// (c) The flagship flow across processes: ERP `erp.repair_order.completed.v1` events
/// published as the dealer's ERP would, through the running crm-aftersales (repair order +
/// announcement) and crm-customer-service (visit task).
///
/// - `run(events:)`: N completions as fast as the broker takes them, until N visit tasks exist:
///   the flow's throughput. The latency of a task is its `created_at` minus the ERP's
///   completion time, which is stamped as the event is published.
/// - `runSteady(rate:seconds:)`: completions at a fixed rate, as a busy group's ERPs send
///   them, well below the throughput: the latency a store sees, from publishing to the commit
///   of the visit task.
struct FlagshipBenchmark {
    let setup: BenchmarkSetup
    /// The store the tasks go to; the gateway read benchmark lists them afterwards.
    let storeCode: String

    /// Returns the measurement and how long publishing took: the flow cannot finish before the
    /// ERP's side has sent everything, so when the two are close the bench is the limit.
    func run(events: Int) async throws -> (Measurement, publishingSeconds: Double) {
        let client = Database.makeClient(url: setup.postgresURL, maximumConnections: 2, logger: setup.logger)
        let clientRun = Task { await client.run() }
        defer { clientRun.cancel() }
        let storeID = StoreID.forStoreCode(storeCode)
        let run = "RO" + UUID().uuidString.prefix(6).uppercased()

        let publisher = EventPublisher(url: setup.amqpURL, topology: MessagingTopology(), logger: setup.logger)
        defer { publisher.shutdown() }
        let encoder = EventCoding.makeEncoder()
        let started = Date()
        var published = 0
        // Batches of 500 published as they are made, so each event's completion time is close
        // to the moment it leaves the ERP.
        while published < events {
            let messages = try (published..<min(events, published + 500)).map { index in
                try completion(index, run: run, completedAt: Date(), encoder: encoder)
            }
            let outcomes = try await publisher.publish(messages, to: MessagingTopology.eventsExchange)
            guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw BenchmarkError("the broker refused some events") }
            published += messages.count
        }

        let publishing = Date().timeIntervalSince(started)
        try await waitForTasks(events, run: run, storeID: storeID, client: client)
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (extract(epoch FROM created_at - order_at) * 1000)::float8, extract(epoch FROM created_at)::float8 FROM customer_service.visit_task
            WHERE store_id = '\(storeID)' AND order_no LIKE '\(run)%'
            """)).decode((Double, Double).self).all()
        guard rows.count == events else { throw BenchmarkError("only \(rows.count) of \(events) visit tasks appeared") }
        let last = rows.map(\.1).max() ?? started.timeIntervalSince1970
        return (Measurement(events: events, seconds: last - started.timeIntervalSince1970, latenciesMilliseconds: rows.map(\.0)), publishing)
    }

    /// What the steady-state run measured.
    struct Steady {
        var rate: Int
        var seconds: Int
        /// Events published, and over how long (first to last publication).
        var published: Int
        var publishingSeconds: Double
        /// The most a 10 ms tick of the publisher started behind its schedule.
        var worstTickLagMilliseconds: Double
        /// How each latency was taken: the task's commit time, or (without
        /// `track_commit_timestamp`) its transaction's start.
        var clock: String
        var latencies: Measurement

        var lines: String {
            String(format: """
                (c) steady state: %d ERP completions/s for %d s → AfterSales → CustomerService visit task (processes)
                    %d events published in %.2f s (%.0f/s, ticks of 10 ms at most %.1f ms late); publish → visit task's commit p50 %.1f ms, p99 %.1f ms, max %.1f ms
                    clock: %@
                flagship-steady-p50 %.1f
                flagship-steady-p99 %.1f
                """,
                rate, seconds, published, publishingSeconds, Double(published) / publishingSeconds, worstTickLagMilliseconds,
                latencies.percentile(0.50), latencies.percentile(0.99), latencies.latenciesMilliseconds.max() ?? .nan, clock,
                latencies.percentile(0.50), latencies.percentile(0.99))
        }
    }

    /// Publishes `rate` completions a second for `seconds` seconds — a tick every 10 ms, each
    /// publishing the events due by then, without waiting for the previous ticks' confirms —
    /// and measures each from the moment it is published to the commit of its visit task.
    ///
    /// Both ends are read on the machine's real-time clock: the publish time is the bench's
    /// `Date()` when the tick hands the event to the publisher, carried in the event as the
    /// ERP's completion time (which the visit task keeps as `order_at`); the commit time is
    /// PostgreSQL's commit timestamp of the transaction that created the task
    /// (`pg_xact_commit_timestamp(xmin)`, kept because `./crm bench` starts its PostgreSQL with
    /// `track_commit_timestamp = on`). The bench, the services and PostgreSQL run on one
    /// machine, so the two readings come from the same clock; a monotonic clock cannot be
    /// compared across processes. `created_at` would be the transaction's start, before the
    /// task is visible to anyone; it is used only if commit timestamps are off, and says so.
    func runSteady(rate: Int, seconds: Int) async throws -> Steady {
        let client = Database.makeClient(url: setup.postgresURL, maximumConnections: 2, logger: setup.logger)
        let clientRun = Task { await client.run() }
        defer { clientRun.cancel() }
        let storeID = StoreID.forStoreCode(storeCode)
        let run = "RS" + UUID().uuidString.prefix(6).uppercased()
        let commitTimestamps = try await client.query("SHOW track_commit_timestamp").decode(String.self).all().first == "on"

        let publisher = EventPublisher(url: setup.amqpURL, topology: MessagingTopology(), logger: setup.logger)
        defer { publisher.shutdown() }
        let encoder = EventCoding.makeEncoder()
        let total = rate * seconds
        let tick = Duration.milliseconds(10)
        let ticks = seconds * 100
        guard total > 0 else { throw BenchmarkError("the steady state needs a rate and a duration above 0") }
        let clock = ContinuousClock()
        var worstLag = Duration.zero
        var first: Date?
        var last = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let start = clock.now
            var published = 0
            for n in 1...ticks {
                let due = start + tick * n
                try await clock.sleep(until: due)
                worstLag = max(worstLag, clock.now - due)
                let target = total * n / ticks
                guard target > published else { continue }
                let now = Date()
                first = first ?? now
                last = now
                let messages = try (published..<target).map { try completion($0, run: run, completedAt: now, encoder: encoder) }
                published = target
                group.addTask {
                    let outcomes = try await publisher.publish(messages, to: MessagingTopology.eventsExchange)
                    guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw BenchmarkError("the broker refused some events") }
                }
            }
            try await group.waitForAll()
        }

        try await waitForTasks(total, run: run, storeID: storeID, client: client)
        let committed = commitTimestamps ? "pg_xact_commit_timestamp(xmin)" : "created_at"
        let latencies = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (extract(epoch FROM \(committed) - order_at) * 1000)::float8 FROM customer_service.visit_task
            WHERE store_id = '\(storeID)' AND order_no LIKE '\(run)%'
            """)).decode(Double.self).all()
        guard latencies.count == total else { throw BenchmarkError("only \(latencies.count) of \(total) visit tasks appeared") }
        let publishing = last.timeIntervalSince(first ?? last)
        return Steady(
            rate: rate, seconds: seconds, published: total, publishingSeconds: publishing,
            worstTickLagMilliseconds: Double(worstLag.components.attoseconds) / 1e15 + Double(worstLag.components.seconds) * 1000,
            clock: commitTimestamps
                ? "the machine's real-time clock at both ends: the bench's Date() at publishing, carried in the event; PostgreSQL's commit timestamp of the task"
                : "track_commit_timestamp is off: the task's created_at (its transaction's start), not its commit",
            latencies: Measurement(events: total, seconds: publishing, latenciesMilliseconds: latencies))
    }

    /// The ERP's completion of order `index` of the run, completed at `completedAt`, as the ERP
    /// publishes it.
    private func completion(_ index: Int, run: String, completedAt: Date, encoder: JSONEncoder) throws -> OutgoingMessage {
        let order = ERPRepairOrderCompleted(
            storeCode: storeCode, roNo: "\(run)\(String(format: "%07d", index))", vin: "LFV3A28K7K3012345", plate: "鄂A81245",
            customer: Person(name: "赖朝朝", mobile: "15972197426"), sender: Person(name: "赖朝朝", mobile: "15972197426"),
            businessType: .paidMaintenance, serviceAdvisor: "王建国", mileageKm: 30_000 + index, amount: Decimal(string: "688.50")!,
            openedAt: completedAt.addingTimeInterval(-3600), completedAt: completedAt)
        let event = CloudEvent(source: "/erp/\(storeCode)", time: completedAt, data: order)
        return OutgoingMessage(
            routingKey: event.type,
            properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: event.type, timestamp: event.time),
            body: try encoder.encode(event))
    }

    /// Waits until the run's `count` visit tasks exist (for at most ten minutes).
    private func waitForTasks(_ count: Int, run: String, storeID: UUID, client: PostgresClient) async throws {
        let countSQL = "SELECT count(*)::int FROM customer_service.visit_task WHERE store_id = '\(storeID)' AND order_no LIKE '\(run)%'"
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let done = try await client.query(PostgresQuery(unsafeSQL: countSQL)).decode(Int.self).all().first ?? 0
            if done >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
