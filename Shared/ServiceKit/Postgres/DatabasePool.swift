import Foundation
import Logging
import Metrics
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// A service's connection pool (postgres-nio's `PostgresClient`), replaced by a fresh one when it
/// stops handing out connections while the database answers (issue 11).
///
/// After PostgreSQL restarted, postgres-nio 1.33's pool was seen to reopen a single connection
/// and leave every other waiting request queued for ever: the consumer held its deliveries and
/// the flow stopped until someone restarted the service. Now a lease that waits past
/// `Database.connectionWait` reports here; if a connection of our own, outside the pool, gets an
/// answer from the database, the pool is wedged: a new pool takes over and the old one is shut
/// down, which fails whatever it still had queued, so those callers try again on the new one.
public final class DatabasePool: Service, @unchecked Sendable {
    /// At most one replacement this often.
    static let replacementInterval: Duration = .seconds(10)

    private let url: PostgresURL?
    private let maximumConnections: Int
    private let logger: Logger
    private let lock = NSLock()
    private var current: PostgresClient
    private var runs: [Task<Void, Never>] = []
    private var lastReplacement: ContinuousClock.Instant?
    private var probing = false
    private let replacementCounter = Counter(label: "crm_database_pool_replacements_total")

    /// A pool this type runs and may replace: pass it to the service group.
    public init(url: PostgresURL, maximumConnections: Int, logger: Logger) {
        self.url = url
        self.maximumConnections = maximumConnections
        self.logger = logger
        current = Database.makeClient(url: url, maximumConnections: maximumConnections, logger: logger)
    }

    /// A pool whose owner runs it (`client.run()`); never replaced.
    public init(fixed client: PostgresClient, logger: Logger) {
        url = nil
        maximumConnections = 0
        self.logger = logger
        current = client
    }

    /// The pool in use now.
    public var client: PostgresClient {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Runs the pool (and any that replaces it) until graceful shutdown.
    public func run() async throws {
        start(client)
        try? await gracefulShutdown()
        let runs = lock.withLock { self.runs }
        runs.forEach { $0.cancel() }
        for run in runs { await run.value }
    }

    private func start(_ client: PostgresClient) {
        let run = Task { await client.run() }
        lock.withLock { runs.append(run) }
    }

    /// A lease waited past its deadline: if the database answers a connection of our own, the
    /// pool is wedged and is replaced.
    func leaseTimedOut() {
        guard let url else { return }
        let shouldProbe = lock.withLock { () -> Bool in
            guard !probing, lastReplacement.map({ ContinuousClock.now - $0 > Self.replacementInterval }) ?? true else { return false }
            probing = true
            return true
        }
        guard shouldProbe else { return }
        Task {
            if await Self.databaseAnswers(url, logger: logger) { replace() }
            lock.withLock { probing = false }
        }
    }

    private func replace() {
        guard let url else { return }
        let fresh = Database.makeClient(url: url, maximumConnections: maximumConnections, logger: logger)
        let oldRuns = lock.withLock { () -> [Task<Void, Never>] in
            let oldRuns = runs
            current = fresh
            runs = []
            lastReplacement = .now
            return oldRuns
        }
        start(fresh)
        logger.warning("the connection pool handed out no connection while the database answers; replaced it with a new pool")
        replacementCounter.increment()
        // Shutting the old pool down fails what it still had queued; its callers try again.
        oldRuns.forEach { $0.cancel() }
    }

    /// Whether the database answers `SELECT 1` on a connection of its own, within 2 s: the
    /// truth about the database, whatever state the pool is in. Nil for a pool its owner runs
    /// (this type does not know where it connects).
    public func databaseAnswers() async -> Bool? {
        guard let url else { return nil }
        return await Self.databaseAnswers(url, logger: logger)
    }

    static func databaseAnswers(_ url: PostgresURL, logger: Logger) async -> Bool {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(2)
        do {
            return try await withTimeout(.seconds(2)) {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: logger
                ).get()
                defer { Task { try? await connection.close() } }
                return try await connection.query("SELECT 1", logger: logger).collect().count == 1
            }
        } catch {
            return false
        }
    }
}
