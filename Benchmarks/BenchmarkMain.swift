import Foundation
import Logging
import ServiceKit

/// `./crm bench`: measures the messaging backbone against itself, in one run, on one machine.
///
/// (a) the raw bus: N events published with confirms and consumed with acks through the
///     project's AMQP layer, no database;
/// (b) the pipeline: the same N events written through an outbox, relayed, consumed through
///     the inbox, each making a one-row effect in PostgreSQL.
///
/// It prints both rates, the ratio b/a and each one's p50/p99 end-to-end latency. Only the ratio
/// compares: absolute rates depend on the machine.
@main
struct BenchmarkMain {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        func value(after option: String) -> String? {
            arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let events = value(after: "--events").flatMap(Int.init) ?? 20_000
        let environment = ProcessInfo.processInfo.environment
        guard let postgres = environment["CRM_TEST_POSTGRES_URL"], let amqp = environment["CRM_TEST_AMQP_URL"] else {
            print("run me through ./crm bench, which starts PostgreSQL and RabbitMQ for the run")
            exit(2)
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let setup = try BenchmarkSetup(postgresURL: try PostgresURL(postgres), amqpURL: try AMQPURL(amqp), logger: logger)

        // `--flagship STORECODE`: only the cross-process flow, against services already running
        // (Benchmarks/suite-bench.sh starts them).
        if arguments.contains("--flagship") {
            let storeCode = value(after: "--flagship") ?? "HX000001"
            let (flagship, publishing) = try await FlagshipBenchmark(setup: setup, storeCode: storeCode).run(events: events)
            print(flagship.line(name: "(c) flagship: ERP completion → AfterSales → CustomerService visit task (processes)"))
            print(String(format: "    (the ERP's side, the bench, published them in %.2f s)", publishing))
            print(String(format: "flagship-rate %.1f", flagship.rate))
            return
        }
        // `--steady STORECODE [--rate R] [--seconds S]`: the same flow at a fixed R completions a
        // second for S seconds (default 500 for 20): latency from publishing to the task's commit.
        if arguments.contains("--steady") {
            let storeCode = value(after: "--steady") ?? "HX000002"
            let rate = value(after: "--rate").flatMap(Int.init) ?? 500
            let seconds = value(after: "--seconds").flatMap(Int.init) ?? 20
            let steady = try await FlagshipBenchmark(setup: setup, storeCode: storeCode).runSteady(rate: rate, seconds: seconds)
            print(steady.lines)
            return
        }
        // `--coupon-sink`: binds a queue to Coupons' events and acknowledges them until stopped,
        // as their consumers will (Benchmarks/coupon-bench.sh runs it in the background).
        if arguments.contains("--coupon-sink") {
            try await CouponEventSink(setup: setup).run()
        }
        // `--coupon-redemptions URL --token T --codes FILE [--clients C]`: (h), each code of FILE
        // redeemed once through `POST URL/api/v1/coupons/redemptions` by C concurrent clients.
        if let url = value(after: "--coupon-redemptions") {
            guard let token = value(after: "--token"), let file = value(after: "--codes") else {
                print("--coupon-redemptions needs --token and --codes")
                exit(2)
            }
            let codes = try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
            let clients = value(after: "--clients").flatMap(Int.init) ?? 32
            let outcome = try await CouponRedemptionBenchmark(baseURL: url, token: token, codes: codes, clients: clients).run()
            print(outcome.lines)
            print(String(format: "coupon-redemption-rate %.1f", outcome.measurement.rate))
            print("coupon-redemption-failures \(outcome.failures.values.reduce(0, +))")
            return
        }
        // `--registrations URL --mobiles FILE`: (i), one registration per mobile of FILE, all at once.
        if let url = value(after: "--registrations") {
            guard let file = value(after: "--mobiles") else {
                print("--registrations needs --mobiles")
                exit(2)
            }
            let mobiles = try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
            let outcome = try await RegistrationBenchmark(url: url, mobiles: mobiles).run()
            print(outcome.lines)
            print(String(format: "registration-rate %.1f", outcome.measurement.rate))
            print("registrations-created \(outcome.statuses[201, default: 0])")
            return
        }
        print("Dealer CRM benchmark — \(events) events, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let raw = try await RawBusBenchmark(setup: setup).run(events: events)
        print(raw.line(name: "(a) raw bus: publish with confirms → consume with acks"))
        // CRM_BENCH_ONLY=flagship: (a) for the ratio, then only the flagship flow.
        if environment["CRM_BENCH_ONLY"] != "flagship" {
            let pipeline = try await PipelineBenchmark(setup: setup).run(events: events)
            print(pipeline.line(name: "(b) pipeline: outbox → relay → broker → inbox + effect row"))
            print(String(format: "ratio b/a: %.2f", pipeline.rate / raw.rate))
        }
        print(String(format: "raw-rate %.1f", raw.rate))
    }
}

struct BenchmarkSetup {
    var postgresURL: PostgresURL
    var amqpURL: AMQPURL
    var logger: Logger
}

/// What one benchmark measured.
struct Measurement {
    var events: Int
    var seconds: Double
    var latenciesMilliseconds: [Double]

    var rate: Double { Double(events) / seconds }

    func percentile(_ p: Double) -> Double {
        let sorted = latenciesMilliseconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    func line(name: String) -> String {
        String(format: "%@\n    %d events in %.2f s = %.0f events/s; end-to-end latency p50 %.1f ms, p99 %.1f ms",
               name, events, seconds, rate, percentile(0.50), percentile(0.99))
    }
}
