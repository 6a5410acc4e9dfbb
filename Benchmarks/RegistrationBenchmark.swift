import AsyncHTTPClient
import Foundation
import NIOCore

/// (i) Event registrations all at once (issue 15's "(h)"): one `POST
/// /api/v1/public/marketing/events/{id}/registrations` per mobile of a list, every one started at
/// the same moment (one connection each), straight to crm-marketing — the public route takes no
/// token, and the gateway's per-client rate limit would turn a single bench client away.
/// `Benchmarks/marketing-bench.sh` compares the rate with pgbench running the registration's
/// INSERT at its most concurrent.
struct RegistrationBenchmark {
    /// The event's registration URL.
    let url: String
    let mobiles: [String]

    struct Outcome {
        var measurement: Measurement
        /// Answers by status (201 a new registration).
        var statuses: [Int: Int]
        var firstFailure: String?

        var lines: String {
            var text = String(
                format: "    %d registrations at once in %.2f s = %.0f registrations/s; latency p50 %.1f ms, p99 %.1f ms",
                measurement.events, measurement.seconds, measurement.rate, measurement.percentile(0.50), measurement.percentile(0.99))
            text += "\n    answers: " + statuses.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
            if let firstFailure { text += "\n    first failure: \(firstFailure)" }
            return text
        }
    }

    func run() async throws -> Outcome {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: mobiles.count)
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(120))
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
        let url = self.url
        @Sendable func register(_ mobile: String) async throws -> (status: Int, milliseconds: Double, body: String?) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"mobile": "\#(mobile)", "name": "基准客户"}"#))
            let started = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(120))
            let answer = try await response.body.collect(upTo: 1 << 20)
            let took = ContinuousClock.now - started
            let status = Int(response.status.code)
            return (status, Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15, status == 201 ? nil : String(buffer: answer))
        }
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (status: Int, milliseconds: Double, body: String?).self) { group in
            for mobile in mobiles { group.addTask { try await register(mobile) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - started
        var statuses: [Int: Int] = [:]
        for result in results { statuses[result.status, default: 0] += 1 }
        return Outcome(
            measurement: Measurement(
                events: results.count, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                latenciesMilliseconds: results.map(\.milliseconds)),
            statuses: statuses, firstFailure: results.first { $0.status != 201 }?.body)
    }
}
