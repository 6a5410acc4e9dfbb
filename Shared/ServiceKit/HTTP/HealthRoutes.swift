import Foundation
import Hummingbird
import Prometheus

/// What `/health/ready` checks. Each check gets `timeout` to answer and fails if it does not:
/// a probe that hangs on an unreachable dependency is worse than one that says "failing".
public struct ReadinessChecks: Sendable {
    public static let timeout: Duration = .seconds(2)

    public var checks: [(name: String, check: @Sendable () async -> Bool)]

    public init(_ checks: [(name: String, check: @Sendable () async -> Bool)]) {
        self.checks = checks
    }
}

struct HealthReport: ResponseEncodable, Codable {
    var status: String
    var checks: [String: String]

    /// 200 with `passing` when every check says "ok", else 503 with `failing` and the checks.
    static func response(_ checks: [String: Bool], passing: String, failing: String) throws -> Response {
        let passed = checks.values.allSatisfy { $0 }
        let report = HealthReport(status: passed ? passing : failing, checks: checks.mapValues { $0 ? "ok" : "failing" })
        return Response(
            status: passed ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(report))))
    }
}

extension Router where Context == CRMRequestContext {
    /// `/health/live` (the process answers and no liveness check fails: 503 tells the
    /// orchestrator a restart is the cure), `/health/ready` (every check passes; 503 and the
    /// failing checks otherwise) and `/metrics` (Prometheus text format; `beforeScrape` brings
    /// gauges up to date).
    func addOperationalRoutes(
        readiness: ReadinessChecks, liveness: [(name: String, check: @Sendable () -> Bool)] = [],
        metrics: PrometheusCollectorRegistry, beforeScrape: @escaping @Sendable () -> Void = {}
    ) {
        get("health/live") { _, _ -> Response in
            var results: [String: Bool] = [:]
            for (name, check) in liveness { results[name] = check() }
            return try HealthReport.response(results, passing: "live", failing: "not live")
        }
        get("health/ready") { _, _ -> Response in
            var results: [String: Bool] = [:]
            await withTaskGroup(of: (String, Bool).self) { group in
                for (name, check) in readiness.checks {
                    group.addTask {
                        let passed = (try? await withTimeout(ReadinessChecks.timeout) { await check() }) ?? false
                        return (name, passed)
                    }
                }
                for await (name, passed) in group { results[name] = passed }
            }
            return try HealthReport.response(results, passing: "ready", failing: "not ready")
        }
        get("metrics") { _, _ -> Response in
            beforeScrape()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }
}
