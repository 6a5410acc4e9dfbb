import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// (c) The flagship flow across processes: N ERP `erp.repair_order.completed.v1` events
/// published as the dealer's ERP would, through the running crm-aftersales (repair order +
/// announcement) and crm-customer-service (visit task), until N visit tasks exist.
///
/// The latency of a task is its `created_at` minus the ERP's completion time, which is stamped
/// as the event is published.
struct FlagshipBenchmark {
    let setup: BenchmarkSetup
    /// The store the tasks go to; the gateway read benchmark lists them afterwards.
    let storeCode: String

    func run(events: Int) async throws -> Measurement {
        let client = Database.makeClient(url: setup.postgresURL, maximumConnections: 2, logger: setup.logger)
        let clientRun = Task { await client.run() }
        defer { clientRun.cancel() }
        let storeID = StoreID.forStoreCode(storeCode)
        let run = UUID().uuidString.prefix(6).uppercased()

        let publisher = EventPublisher(url: setup.amqpURL, topology: MessagingTopology(), logger: setup.logger)
        defer { publisher.shutdown() }
        let encoder = EventCoding.makeEncoder()
        let started = Date()
        var published = 0
        // Batches of 500 published as they are made, so each event's completion time is close
        // to the moment it leaves the ERP.
        while published < events {
            let messages = try (published..<min(events, published + 500)).map { index in
                let order = ERPRepairOrderCompleted(
                    storeCode: storeCode, roNo: "RO\(run)\(String(format: "%07d", index))", vin: "LFV3A28K7K3012345", plate: "鄂A81245",
                    customer: Person(name: "赖朝朝", mobile: "15972197426"), sender: Person(name: "赖朝朝", mobile: "15972197426"),
                    businessType: .paidMaintenance, serviceAdvisor: "王建国", mileageKm: 30_000 + index, amount: Decimal(string: "688.50")!,
                    openedAt: Date().addingTimeInterval(-3600), completedAt: Date())
                let event = CloudEvent(source: "/erp/\(storeCode)", data: order)
                return OutgoingMessage(
                    routingKey: event.type,
                    properties: MessageProperties(contentType: "application/cloudevents+json", messageID: event.id, type: event.type, timestamp: event.time),
                    body: try encoder.encode(event))
            }
            let outcomes = try await publisher.publish(messages, to: MessagingTopology.eventsExchange)
            guard outcomes.allSatisfy({ $0 == .confirmed }) else { throw BenchmarkError("the broker refused some events") }
            published += messages.count
        }

        let countSQL = "SELECT count(*)::int FROM customer_service.visit_task WHERE store_id = '\(storeID)' AND order_no LIKE 'RO\(run)%'"
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let done = try await client.query(PostgresQuery(unsafeSQL: countSQL)).decode(Int.self).all().first ?? 0
            if done >= events { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (extract(epoch FROM created_at - order_at) * 1000)::float8, extract(epoch FROM created_at)::float8 FROM customer_service.visit_task
            WHERE store_id = '\(storeID)' AND order_no LIKE 'RO\(run)%'
            """)).decode((Double, Double).self).all()
        guard rows.count == events else { throw BenchmarkError("only \(rows.count) of \(events) visit tasks appeared") }
        let last = rows.map(\.1).max() ?? started.timeIntervalSince1970
        return Measurement(events: events, seconds: last - started.timeIntervalSince1970, latenciesMilliseconds: rows.map(\.0))
    }
}
