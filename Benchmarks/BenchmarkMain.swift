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
        let arguments = CommandLine.arguments.dropFirst()
        var events = 20_000
        if let index = arguments.firstIndex(of: "--events"), let value = arguments.dropFirst(index - arguments.startIndex + 1).first.flatMap(Int.init) {
            events = value
        }
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
        if let index = arguments.firstIndex(of: "--flagship") {
            let storeCode = arguments.dropFirst(index - arguments.startIndex + 1).first ?? "HX000001"
            let flagship = try await FlagshipBenchmark(setup: setup, storeCode: storeCode).run(events: events)
            print(flagship.line(name: "(c) flagship: ERP completion → AfterSales → CustomerService visit task (processes)"))
            print(String(format: "flagship-rate %.1f", flagship.rate))
            return
        }
        print("Dealer CRM benchmark — \(events) events, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let raw = try await RawBusBenchmark(setup: setup).run(events: events)
        print(raw.line(name: "(a) raw bus: publish with confirms → consume with acks"))
        let pipeline = try await PipelineBenchmark(setup: setup).run(events: events)
        print(pipeline.line(name: "(b) pipeline: outbox → relay → broker → inbox + effect row"))
        print(String(format: "ratio b/a: %.2f", pipeline.rate / raw.rate))
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
