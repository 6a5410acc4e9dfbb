import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// What a service is made of; each `Services/<Name>/App.swift` fills one in and runs it.
public struct ServiceDefinition: Sendable {
    public var identity: ServiceIdentity
    /// The folder of the service's `NNN_name.sql` files (its resource bundle's `Migrations`).
    public var migrationsFolder: URL?
    /// The events the service consumes; `nil` means it declares no queue at all.
    public var handlers: EventHandlers?
    /// Adds the service's `/api/v1/...` routes; every request to them carries a valid access
    /// token (`context.principal`).
    public var routes: @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void
    /// Adds the service's routes open to anyone, without a token, under
    /// `/api/v1/public/<apiContext>/…` (`ServiceIdentity.publicPathPrefix`): the group is
    /// already at that prefix, so `group.get("claims/{token}")` serves
    /// `GET /api/v1/public/coupons/claims/{token}`. The gateway forwards the prefix without a
    /// token and rate-limited; `context.principal` is nil there. See `PublicRoutes.swift`.
    public var publicRoutes: @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void
    /// Adds `/api/v1/...` routes that take no token, at paths of their own: only the gateway has
    /// any — its login and refresh, which hand tokens out, and its forwarding of every service's
    /// public prefix. A service's own open routes are `publicRoutes`, which keeps them under the
    /// public prefix, apart from its authenticated ones.
    public var unauthenticatedRoutes: @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void
    /// Adds the routes other services call, under `/internal/v1/<apiContext>/…`; every request
    /// to them carries the installation's internal token (`InternalRoutes.swift`).
    public var internalRoutes: @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void
    /// Adds routes outside `/api/v1` (the gateway's `/openapi.yaml`).
    public var rootRoutes: @Sendable (Router<CRMRequestContext>, ServiceEnvironment) -> Void
    /// Services started alongside the HTTP server and stopped with it (the gateway's seeding).
    public var services: @Sendable (ServiceEnvironment) -> [any Service]

    public init(
        identity: ServiceIdentity,
        migrationsFolder: URL?,
        handlers: EventHandlers?,
        routes: @escaping @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void = { _, _ in },
        publicRoutes: @escaping @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void = { _, _ in },
        unauthenticatedRoutes: @escaping @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void = { _, _ in },
        internalRoutes: @escaping @Sendable (RouterGroup<CRMRequestContext>, ServiceEnvironment) -> Void = { _, _ in },
        rootRoutes: @escaping @Sendable (Router<CRMRequestContext>, ServiceEnvironment) -> Void = { _, _ in },
        services: @escaping @Sendable (ServiceEnvironment) -> [any Service] = { _ in [] }
    ) {
        self.identity = identity
        self.migrationsFolder = migrationsFolder
        self.handlers = handlers
        self.routes = routes
        self.publicRoutes = publicRoutes
        self.unauthenticatedRoutes = unauthenticatedRoutes
        self.internalRoutes = internalRoutes
        self.rootRoutes = rootRoutes
        self.services = services
    }
}

/// What routes and handlers get to work with.
public struct ServiceEnvironment: Sendable {
    public let configuration: ServiceConfiguration
    public let database: Database
    public let outbox: Outbox
    public let logger: Logger
    /// Verifies (and, in the gateway, signs) access tokens.
    public let tokens: TokenKeys
    /// The service's copy of the gateway's stores and users.
    public let directory: Directory
    /// Set once the service's migrations are applied. Until then API requests answer 503 and
    /// the service's background work waits (issue 12: on an empty schema they used to fail).
    public let migrationsApplied: Flag
}

/// Starts a service the same way for every bounded context:
///
/// 1. reads the configuration and sets up logging and Prometheus metrics;
/// 2. opens the Postgres pool and applies the migrations (retrying until the database answers);
/// 3. starts the outbox relay and, if it handles events, the consumer of its queue;
/// 4. serves HTTP: the service's routes (with a token under `/api/v1/<apiContext>`, open to
///    anyone under `/api/v1/public/<apiContext>`), `/health/live`, `/health/ready`, `/metrics`. The
///    health routes answer from the first moment; API requests answer 503 until the migrations
///    are applied, and the service's own background work (`services`) starts only then.
///
/// On SIGTERM or SIGINT it stops in reverse order: the HTTP server stops taking requests, the
/// consumer finishes and acknowledges the batch in hand, the relay publishes what is committed,
/// and the pool closes.
public enum ServiceRunner {
    /// A service's own setting read before it starts (`ServiceConfiguration.seconds`): a bad
    /// value ends the process as a bad platform setting does — one line naming the variable,
    /// exit status 78 (EX_CONFIG).
    public static func setting<Value>(_ read: () throws -> Value) -> Value {
        do {
            return try read()
        } catch {
            FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
            exit(78)  // EX_CONFIG
        }
    }

    public static func run(_ definition: ServiceDefinition) async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(service: definition.identity)
        } catch {
            FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
            exit(78)  // EX_CONFIG
        }
        LoggingSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel, service: definition.identity.name)
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let application = try await makeApplication(definition, configuration: configuration, metrics: metrics)
        do {
            try await application.runService()
        } catch {
            // A service that cannot go on says why and exits non-zero (its supervisor restarts
            // it), instead of trapping with a crash report.
            Logger(label: "crm.\(definition.identity.name)").critical("stopped by an error", metadata: ["error": "\(DatabaseFailure.logText(error))"])
            exit(70)  // EX_SOFTWARE
        }
    }

    /// The whole service as a Hummingbird application, for `run` and for tests.
    public static func makeApplication(
        _ definition: ServiceDefinition, configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry
    ) async throws -> some ApplicationProtocol {
        let logger = {
            var logger = Logger(label: "crm.\(definition.identity.name)")
            logger.logLevel = configuration.logLevel
            return logger
        }()
        let migrations = try definition.migrationsFolder.map(Migration.load(from:)) ?? []
        let directory = Directory(schema: try SQLIdentifier(definition.identity.schema))
        var definition = definition
        if var handlers = definition.handlers, !handlers.followsDirectory {
            handlers.followDirectory(directory)
            definition.handlers = handlers
        }

        let pool = DatabasePool(url: configuration.databaseURL, maximumConnections: configuration.databasePoolSize, logger: logger)
        let database = Database(pool: pool, schema: try SQLIdentifier(definition.identity.schema), logger: logger)
        let progress = definition.handlers.map { _ in
            ConsumerProgress(
                consumer: definition.identity.name, readyBound: configuration.consumerStallBound,
                liveBound: configuration.consumerStallLiveBound)
        }
        let migrationsApplied = Flag()
        let messaging = MessagingService(
            definition: definition, configuration: configuration, database: database, directory: directory, migrations: migrations,
            migrationsApplied: migrationsApplied, progress: progress, logger: logger)
        let environment = ServiceEnvironment(
            configuration: configuration, database: database, outbox: Outbox(schema: database.schema), logger: logger,
            tokens: try await TokenKeys(keys: configuration.tokenKeys, jwksURL: configuration.jwksURL, logger: logger), directory: directory,
            migrationsApplied: migrationsApplied)
        // A service learns the gateway's keys now, not at its first request; a gateway that is
        // not up yet is asked again when a token names a key this service does not know.
        Task { await environment.tokens.fetchPublicKeys() }

        let router = Router(context: CRMRequestContext.self)
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(LogRequestsMiddleware(.debug))
        router.middlewares.add(ProblemMiddleware())
        let amqpURL = configuration.amqpURL
        var readiness: [(name: String, check: @Sendable () async -> Bool)] = [
            ("postgres", { await database.isReachable() }),
            // This process's own flag, as the API's MigrationsAppliedMiddleware reads it: ready only
            // when the API answers (the schema being up to date through another replica is not enough).
            ("migrations", { messaging.migrationsApplied.isSet }),
            ("broker", { await BrokerProbe.canConnect(to: amqpURL) }),
        ]
        var liveness: [(name: String, check: @Sendable () -> Bool)] = []
        if let progress {
            // A consumer holding deliveries without progress: not ready past one bound, not
            // live past the other, when a restart is the cure.
            let isMakingProgress: @Sendable () async -> Bool = { progress.isMakingProgress }
            let isAlive: @Sendable () -> Bool = { progress.isAlive }
            readiness.append(("queue", { progress.isConsuming }))
            readiness.append(("consumer", isMakingProgress))
            liveness.append(("consumer", isAlive))
        }
        router.addOperationalRoutes(
            readiness: ReadinessChecks(readiness), liveness: liveness, metrics: metrics,
            beforeScrape: { progress?.updateGauges() })
        definition.rootRoutes(router, environment)
        let api = router.group("api/v1").add(middleware: MigrationsAppliedMiddleware(migrationsApplied: migrationsApplied))
        definition.unauthenticatedRoutes(api, environment)
        // Public routes only under the public prefix, authenticated ones only outside it: no path
        // leads from one to the other (a context is never called `public`).
        definition.publicRoutes(api.group(RouterPath("\(ServiceIdentity.publicPathSegment)/\(definition.identity.apiContext)")), environment)
        definition.routes(api.group().add(middleware: AuthenticationMiddleware(keys: environment.tokens)), environment)
        definition.internalRoutes(
            router.group(RouterPath(definition.identity.internalPathPrefix))
                .add(middleware: MigrationsAppliedMiddleware(migrationsApplied: migrationsApplied))
                .add(middleware: InternalAuthenticationMiddleware(token: configuration.internalToken)),
            environment)

        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "crm-\(definition.identity.name)"),
            services: [pool, messaging] + definition.services(environment).map { AfterMigrations($0, migrationsApplied: migrationsApplied) },
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
    }
}

/// Applies the migrations, then runs the outbox relay and the consumer until shutdown.
final class MessagingService: Service, @unchecked Sendable {
    let migrationsApplied: Flag
    private let definition: ServiceDefinition
    private let configuration: ServiceConfiguration
    private let database: Database
    private let directory: Directory
    private let migrations: [Migration]
    private let progress: ConsumerProgress?
    private let logger: Logger

    init(
        definition: ServiceDefinition, configuration: ServiceConfiguration, database: Database, directory: Directory,
        migrations: [Migration], migrationsApplied: Flag, progress: ConsumerProgress?, logger: Logger
    ) {
        self.migrationsApplied = migrationsApplied
        self.progress = progress
        self.definition = definition
        self.configuration = configuration
        self.database = database
        self.directory = directory
        self.migrations = migrations
        self.logger = logger
    }

    func run() async throws {
        try await applyMigrations()
        let publisher = EventPublisher(url: configuration.amqpURL, topology: MessagingTopology(), logger: logger)
        let relay = OutboxRelay(database: database, publisher: publisher, appID: definition.identity.name, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            if let handlers = definition.handlers {
                let queue = ConsumerQueue(
                    name: definition.identity.name, eventTypes: handlers.eventTypes,
                    deliveryLimit: configuration.deliveryLimit)
                var settings = EventConsumer.Settings()
                settings.databaseWait = configuration.consumerDatabaseWait
                settings.concurrency = configuration.consumerWorkers
                settings.clock = configuration.clock
                let consumer = EventConsumer(
                    queue: queue, handlers: handlers, database: database, amqpURL: configuration.amqpURL,
                    deadLetters: publisher, settings: settings, progress: progress, directory: directory, logger: logger)
                group.addTask { try await consumer.run() }
            }
            do {
                try await group.waitForAll()
            } catch {
                await publisher.close()
                throw error
            }
        }
        // Only now: the consumer's last batches (and the services stopped before this one)
        // have committed, so their events are in the outbox.
        await relay.flush()
        await publisher.close()
        logger.info("stopped: consumer settled, outbox flushed")
    }

    /// Whether PostgreSQL itself refused a statement (bad SQL, a name taken): not worth a retry.
    private static func isRejectedSQL(_ error: any Error) -> Bool {
        if let error = error as? PSQLError { return error.code == .server }
        if let error = error as? PostgresTransactionError, let inner = error.closureError { return isRejectedSQL(inner) }
        return false
    }

    /// Retries until the database accepts the migrations; a migration that is itself broken
    /// (an edited file, bad SQL) stops the service, since retrying cannot fix it.
    private func applyMigrations() async throws {
        var backoff = Backoff(initial: 0.5, maximum: 10)
        while true {
            do {
                try await MigrationRunner(database: database).apply(migrations)
                migrationsApplied.set()
                return
            } catch let error as MigrationError {
                logger.critical("migrations cannot be applied", metadata: ["error": "\(DatabaseFailure.logText(error))"])
                throw error
            } catch let error where Self.isRejectedSQL(error) {
                logger.critical("a migration failed", metadata: ["error": "\(DatabaseFailure.logText(error))"])
                throw error
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                let delay = backoff.next()
                logger.warning("database not available for migrations; retrying", metadata: ["error": "\(DatabaseFailure.logText(error))", "retryIn": "\(delay)"])
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }
}

/// A flag set once, read from anywhere.
public final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public func set() { lock.lock(); value = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }

    /// Returns once the flag is set, or when the task is cancelled. It looks every 50 ms: the
    /// flags it serves are set once at start-up, so a wait costs nothing worth a wake-up list.
    public func wait() async {
        while !isSet, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Runs a service's own background work (`ServiceDefinition.services`) only once the
/// migrations are applied: on an empty schema it would otherwise fail and log until they are.
struct AfterMigrations: Service {
    let service: any Service
    let migrationsApplied: Flag

    init(_ service: any Service, migrationsApplied: Flag) {
        self.service = service
        self.migrationsApplied = migrationsApplied
    }

    func run() async throws {
        // Graceful shutdown while waiting: end without starting the work.
        await cancelWhenGracefulShutdown { await migrationsApplied.wait() }
        guard migrationsApplied.isSet, !Task.isShuttingDownGracefully else { return }
        try await service.run()
    }
}
