import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import ServiceKit

/// (h) Coupon redemptions over HTTP: `POST /api/v1/coupons/redemptions` for each code of a list,
/// each code once, from `clients` concurrent clients (each its own keep-alive connection),
/// straight to crm-coupons or through the gateway, whichever URL it is given.
/// `Benchmarks/coupon-bench.sh` issues the coupons first and compares the rate with pgbench
/// running the service's UPDATE at the same concurrency.
struct CouponRedemptionBenchmark {
    /// The service's base URL, e.g. `http://127.0.0.1:8085`.
    let baseURL: String
    /// A bearer token with `coupons.redeem` (the cashier).
    let token: String
    let codes: [String]
    let clients: Int

    struct Outcome {
        var measurement: Measurement
        /// Answers other than 200, by status, with the first problem's text.
        var failures: [Int: Int]
        var firstFailure: String?
        var clients: Int

        var lines: String {
            var text = String(
                format: "    %d redemptions from %d clients in %.2f s = %.0f redemptions/s; latency p50 %.1f ms, p99 %.1f ms",
                measurement.events, clients, measurement.seconds, measurement.rate, measurement.percentile(0.50), measurement.percentile(0.99))
            if !failures.isEmpty {
                text += "\n    failed: " + failures.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
                if let firstFailure { text += "\n    first failure: \(firstFailure)" }
            }
            return text
        }
    }

    func run() async throws -> Outcome {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let outcome = try await run(on: client)
            try await client.shutdown()
            return outcome
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func run(on client: HTTPClient) async throws -> Outcome {

        let url = baseURL + "/api/v1/coupons/redemptions"
        let codes = self.codes
        let clients = self.clients
        let token = self.token
        @Sendable func redeem(_ index: Int) async throws -> (status: Int, milliseconds: Double, body: String?) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            let body = #"{"code": "\#(codes[index])", "orderKind": "repair_order", "orderNumber": "BENCH\#(index)", "orderAmount": 500}"#
            request.body = .bytes(ByteBuffer(string: body))
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(60))
            let answer = try await response.body.collect(upTo: 1 << 20)
            let took = ContinuousClock.now - started
            let milliseconds = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
            let status = Int(response.status.code)
            return (status, milliseconds, status == 200 ? nil : String(buffer: answer))
        }

        let started = ContinuousClock.now
        // Client k redeems codes k, k + clients, k + 2·clients, …: each code once, no shared state.
        let results = try await withThrowingTaskGroup(of: [(status: Int, milliseconds: Double, body: String?)].self) { group in
            for k in 0..<clients {
                group.addTask {
                    var mine: [(status: Int, milliseconds: Double, body: String?)] = []
                    for index in stride(from: k, to: codes.count, by: clients) { mine.append(try await redeem(index)) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var failures: [Int: Int] = [:]
        for result in results where result.status != 200 { failures[result.status, default: 0] += 1 }
        return Outcome(
            measurement: Measurement(events: results.count, seconds: seconds, latenciesMilliseconds: results.map(\.milliseconds)),
            failures: failures, firstFailure: results.first { $0.status != 200 }?.body, clients: clients)
    }
}

/// A stand-in for the future consumers of Coupons' events (`coupons.coupon.*`, nobody in the
/// suite binds them yet): a quorum queue bound to them, every delivery acknowledged. Without a
/// bound queue the broker returns each event unroutable and crm-coupons' outbox relay retries
/// them with backoff — 100,000 of them after a push — which a deployment with a consumer never
/// sees. Runs until the process is stopped.
struct CouponEventSink {
    let setup: BenchmarkSetup

    func run() async throws -> Never {
        let queue = ConsumerQueue(
            name: "bench.coupons-sink",
            eventTypes: [CouponIssued.eventType, CouponRedeemed.eventType, CouponRevoked.eventType])
        let stream = DeliveryStream(url: setup.amqpURL, queue: queue, prefetch: 1000, logger: setup.logger)
        stream.start()
        while !stream.isConsuming { try await Task.sleep(for: .milliseconds(20)) }
        print("coupon event sink consuming", queue.name)
        fflush(stdout)
        while let batch = await stream.deliveries.nextBatch(limit: 500) {
            for delivery in batch { stream.settle(delivery, .ack) }
        }
        throw BenchmarkError("the coupon event sink's stream ended")
    }
}
