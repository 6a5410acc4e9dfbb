import Contracts
import Foundation
import Logging

/// A setting that is missing or malformed.
public enum ConfigurationError: Error, CustomStringConvertible {
    case invalid(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let name, let reason): return "\(name): \(reason)"
        }
    }
}

/// Where a process runs: only `development` — set by `./crm up`, `./crm test` and `./crm bench` —
/// has defaults for secrets and lets a test fix the clock.
public enum DeploymentEnvironment: String, Sendable {
    case production
    case development
}

/// Everything a service reads from its environment.
///
/// Secrets have no default outside `CRM_ENVIRONMENT=development`: a service refuses to start
/// (exit 78, one line naming the variable) when one is missing or is a value written in this
/// repository (`KnownSecrets`, issue 10).
///
/// | variable | default |
/// |---|---|
/// | `CRM_ENVIRONMENT` | `production`; `development` only on a developer's machine |
/// | `CRM_HTTP_HOST` | `127.0.0.1` |
/// | `CRM_HTTP_PORT` | the service's port (gateway 8080, leads 8081 … marketing 8086) |
/// | `CRM_DATABASE_URL` | required; in development `postgres://<role>:dealer-crm-dev@127.0.0.1:5432/dealer_crm` |
/// | `CRM_AMQP_URL` | required; in development `amqp://guest:guest@127.0.0.1:5672/` |
/// | `CRM_JWT_SIGNING_KEYS` | gateway only, required: the installation's Ed25519 keys as a JWKS (`crm-gateway keys generate`) |
/// | `CRM_JWKS_URL` | services: the gateway's `/.well-known/jwks.json` (`http://gateway:8080/.well-known/jwks.json`) |
/// | `CRM_JWT_PUBLIC_KEYS` | services: public keys as a JWKS, instead of or besides `CRM_JWKS_URL` (one of them is required) |
/// | `CRM_INTERNAL_TOKEN` | aftersales, coupons and marketing, required: the installation's token for calls between services (`/internal/v1/…`, `InternalRoutes.swift`); at least 32 characters |
/// | `CRM_LOG_FORMAT` | `text` on a terminal, otherwise `json` |
/// | `CRM_LOG_LEVEL` | `info` |
/// | `CRM_AMQP_DELIVERY_LIMIT` | `5` |
/// | `CRM_DB_POOL_SIZE` | `20`: the relay's 6 passes, the consumer's workers (2), and requests |
/// | `CRM_CONSUMER_STALL_SECONDS` | `30`: a consumer holding deliveries without settling any this long turns `/health/ready` to 503 |
/// | `CRM_CONSUMER_STALL_LIVE_SECONDS` | `120`: … and this long `/health/live`, so that the orchestrator restarts it |
/// | `CRM_CONSUMER_DATABASE_WAIT_SECONDS` | `60`: how long a batch waits for an unavailable database before it goes back to the broker |
/// | `CRM_CONSUMER_WORKERS` | `2`: batches of events handled at the same time, each in its own transaction |
/// | `CRM_FIXED_TIME` | development only; an RFC 3339 time makes the service's clock stand still there (tests of time rules) |
/// | `CRM_CLOCK_FILE` | development only; with `CRM_FIXED_TIME`, a file whose RFC 3339 time the clock reads instead, at every call (tests move time) |
public struct ServiceConfiguration: Sendable {
    public var service: ServiceIdentity
    public var environment: DeploymentEnvironment
    public var httpHost: String
    public var httpPort: Int
    public var databaseURL: PostgresURL
    public var amqpURL: AMQPURL
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    public var deliveryLimit: Int
    public var databasePoolSize: Int
    /// What "now" is for business rules (due, overdue, today).
    public var clock: ServiceClock
    /// How long a consumer may hold deliveries without progress before it is not ready, and
    /// before it is not live (issue 11).
    public var consumerStallBound: Duration
    public var consumerStallLiveBound: Duration
    /// How long a consumer's batch waits for an unavailable database (`EventConsumer.Settings.databaseWait`).
    public var consumerDatabaseWait: Duration
    /// Batches the consumer handles at the same time, each in its own transaction
    /// (`EventConsumer.Settings.concurrency`; `CRM_CONSUMER_WORKERS`).
    public var consumerWorkers: Int
    /// How often a service's scheduled work looks for what is due — campaigns going live at
    /// 00:00 store time, reminders of the day (`CRM_SCHEDULER_INTERVAL_MS`, default 5 seconds):
    /// the most such work can lag its moment.
    public var schedulerInterval: Duration
    /// The gateway's keys (`CRM_JWT_SIGNING_KEYS`), or a service's configured public keys
    /// (`CRM_JWT_PUBLIC_KEYS`); nil when a service learns them from `jwksURL` alone.
    public var tokenKeys: SigningKeySet?
    /// The gateway's JWKS document, for a service (nil in the gateway).
    public var jwksURL: URL?
    /// The installation's token for calls from one service to another (`CRM_INTERNAL_TOKEN`,
    /// `InternalRoutes.swift`): what a caller sends and a service's `/internal/v1/…` routes
    /// require. Nil in a service that neither calls nor serves internal routes and has none set.
    public var internalToken: String?

    /// The services that call each other directly (Marketing's wheel issues coupon prizes through
    /// Coupons, M4; its SMS platform reads a campaign's targets from AfterSales, M5): outside
    /// development they need `CRM_INTERNAL_TOKEN`.
    public static let servicesCallingEachOther: Set<String> = [
        ServiceIdentity.coupons.name, ServiceIdentity.marketing.name, ServiceIdentity.afterSales.name,
    ]
    /// The token a development process uses when none is set; refused elsewhere (`KnownSecrets`).
    static let developmentInternalToken = "dealer-crm-internal-development-token"

    /// A service's own setting of whole seconds (`CRM_RENEWAL_PASS_SECONDS`): `fallback` when
    /// unset or empty; anything but a whole number in `range` throws `ConfigurationError`
    /// naming the variable.
    public static func seconds(
        _ name: String, default fallback: Int, range: ClosedRange<Int>,
        in variables: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Duration {
        guard let text = variables[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return .seconds(fallback) }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let number = Int(text), range.contains(number) else {
            throw ConfigurationError.invalid(name: name, reason: "expected a whole number of seconds from \(range.lowerBound) to \(range.upperBound), got \(text)")
        }
        return .seconds(number)
    }

    public init(service: ServiceIdentity, environment variables: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let text = variables[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError.invalid(name: name, reason: "expected a whole number in \(range), got \(text)")
            }
            return number
        }
        self.service = service
        switch value("CRM_ENVIRONMENT")?.lowercased() {
        case nil, "production": environment = .production
        case "development": environment = .development
        case let other?: throw ConfigurationError.invalid(name: "CRM_ENVIRONMENT", reason: "expected production or development, got \(other)")
        }
        let development = environment == .development
        /// A secret's value: required outside development, and never one this repository knows.
        func secret(_ name: String, developmentDefault: String?) throws -> String {
            guard let text = value(name) else {
                if development, let developmentDefault { return developmentDefault }
                throw ConfigurationError.invalid(name: name, reason: "is required (no default outside CRM_ENVIRONMENT=development)")
            }
            return text
        }
        func refuseKnown(_ name: String, _ secretValue: String, what: String) throws {
            guard !development, KnownSecrets.contains(secretValue) else { return }
            throw ConfigurationError.invalid(name: name, reason: "\(what) is a value written in the Dealer CRM repository; set one of this installation's own")
        }

        httpHost = value("CRM_HTTP_HOST") ?? "127.0.0.1"
        httpPort = try integer("CRM_HTTP_PORT", default: service.defaultPort, range: 0...65535)
        databaseURL = try PostgresURL(try secret("CRM_DATABASE_URL", developmentDefault: "postgres://\(service.databaseRole):dealer-crm-dev@127.0.0.1:5432/dealer_crm"))
        if !development && databaseURL.password.isEmpty {
            throw ConfigurationError.invalid(name: "CRM_DATABASE_URL", reason: "names no password")
        }
        try refuseKnown("CRM_DATABASE_URL", databaseURL.password, what: "the password")
        amqpURL = try AMQPURL(try secret("CRM_AMQP_URL", developmentDefault: "amqp://guest:guest@127.0.0.1:5672/"))
        try refuseKnown("CRM_AMQP_URL", amqpURL.password, what: "the password")
        try refuseKnown("CRM_AMQP_URL", amqpURL.user, what: "the user")

        switch value("CRM_LOG_FORMAT")?.lowercased() {
        case nil: logFormat = isatty(STDOUT_FILENO) == 1 ? .text : .json
        case "json": logFormat = .json
        case "text": logFormat = .text
        case let other?: throw ConfigurationError.invalid(name: "CRM_LOG_FORMAT", reason: "expected json or text, got \(other)")
        }
        if let text = value("CRM_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigurationError.invalid(name: "CRM_LOG_LEVEL", reason: "expected trace, debug, info, notice, warning, error or critical")
            }
            logLevel = level
        } else {
            logLevel = .info
        }
        deliveryLimit = try integer("CRM_AMQP_DELIVERY_LIMIT", default: 5, range: 1...1000)
        databasePoolSize = try integer("CRM_DB_POOL_SIZE", default: 20, range: 1...200)
        consumerStallBound = .seconds(try integer("CRM_CONSUMER_STALL_SECONDS", default: 30, range: 1...3600))
        consumerStallLiveBound = .seconds(try integer("CRM_CONSUMER_STALL_LIVE_SECONDS", default: 120, range: 1...86400))
        consumerDatabaseWait = .seconds(try integer("CRM_CONSUMER_DATABASE_WAIT_SECONDS", default: 60, range: 1...3600))
        consumerWorkers = try integer("CRM_CONSUMER_WORKERS", default: EventConsumer.Settings().concurrency, range: 1...64)
        schedulerInterval = .milliseconds(try integer("CRM_SCHEDULER_INTERVAL_MS", default: 5000, range: 50...3_600_000))

        // A fixed clock in production would let whoever sets a variable move every deadline.
        if let text = value("CRM_FIXED_TIME") {
            guard development else {
                throw ConfigurationError.invalid(name: "CRM_FIXED_TIME", reason: "is for tests only (CRM_ENVIRONMENT=development)")
            }
            guard let time = RFC3339.date(from: text) else {
                throw ConfigurationError.invalid(name: "CRM_FIXED_TIME", reason: "expected an RFC 3339 time, got \(text)")
            }
            clock = .fixed(time)
            if let path = value("CRM_CLOCK_FILE") { clock = .file(path, fallback: time) }
        } else {
            if value("CRM_CLOCK_FILE") != nil {
                throw ConfigurationError.invalid(name: "CRM_CLOCK_FILE", reason: "needs CRM_FIXED_TIME, and is for tests only (CRM_ENVIRONMENT=development)")
            }
            clock = .system
        }

        if let token = value("CRM_INTERNAL_TOKEN") {
            try refuseKnown("CRM_INTERNAL_TOKEN", token, what: "the token")
            guard development || token.count >= 32 else {
                throw ConfigurationError.invalid(name: "CRM_INTERNAL_TOKEN", reason: "is shorter than 32 characters; generate one with openssl rand -base64 32")
            }
            internalToken = token
        } else if development {
            internalToken = Self.developmentInternalToken
        } else if Self.servicesCallingEachOther.contains(service.name) {
            throw ConfigurationError.invalid(
                name: "CRM_INTERNAL_TOKEN", reason: "is required: the installation's token for calls between services (generate one with openssl rand -base64 32)")
        } else {
            internalToken = nil
        }

        func keySet(_ name: String) throws -> SigningKeySet? {
            guard let text = value(name) else { return nil }
            do {
                return try SigningKeySet(json: text)
            } catch {
                throw ConfigurationError.invalid(name: name, reason: "\(error)")
            }
        }
        if value("CRM_JWT_SECRET") != nil {
            throw ConfigurationError.invalid(
                name: "CRM_JWT_SECRET", reason: "is no longer read: tokens are signed with the gateway's CRM_JWT_SIGNING_KEYS and verified with its public keys")
        }
        if service == .gateway {
            if let keys = try keySet("CRM_JWT_SIGNING_KEYS") {
                guard keys.signingKey != nil else {
                    throw ConfigurationError.invalid(name: "CRM_JWT_SIGNING_KEYS", reason: "holds no private key to sign with")
                }
                tokenKeys = keys
            } else if development {
                // A developer's gateway started by hand: a key for this run only.
                tokenKeys = SigningKeySet(keys: [.generate(kid: "development-\(SigningKeySet.newKid())")])
            } else {
                throw ConfigurationError.invalid(
                    name: "CRM_JWT_SIGNING_KEYS", reason: "is required: the gateway's signing keys (generate them with `crm-gateway keys generate`)")
            }
            jwksURL = nil
        } else {
            tokenKeys = try keySet("CRM_JWT_PUBLIC_KEYS")
            if tokenKeys?.signingKey != nil {
                throw ConfigurationError.invalid(name: "CRM_JWT_PUBLIC_KEYS", reason: "holds a private key (`d`); only the gateway may hold one")
            }
            if let urlText = value("CRM_JWKS_URL") {
                guard let url = URL(string: urlText), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                    throw ConfigurationError.invalid(name: "CRM_JWKS_URL", reason: "expected an http URL, got \(urlText)")
                }
                jwksURL = url
            } else {
                jwksURL = nil
            }
            guard tokenKeys != nil || jwksURL != nil else {
                throw ConfigurationError.invalid(name: "CRM_JWKS_URL", reason: "is required (or CRM_JWT_PUBLIC_KEYS): where this service learns the gateway's public keys")
            }
        }
    }
}

extension ServiceIdentity {
    /// The variable that says where this service is, for those that call it: `CRM_<NAME>_URL`
    /// (`CRM_AFTERSALES_URL`, `CRM_CUSTOMER_SERVICE_URL`).
    public var urlVariable: String { "CRM_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))_URL" }

    /// Where this service is, as its callers read it — the gateway for its upstreams, Marketing
    /// for Coupons and AfterSales: `urlVariable`, or `http://127.0.0.1:<defaultPort>` when unset.
    /// - Throws: `ConfigurationError` naming the variable for anything but an http(s) URL.
    public func baseURL(in variables: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let text = variables[urlVariable]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !text.isEmpty else { return URL(string: "http://127.0.0.1:\(defaultPort)")! }
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ConfigurationError.invalid(name: urlVariable, reason: "expected an http URL, got \(text)")
        }
        return url
    }
}

/// Who a service is: its name, schema, database role and default port.
public struct ServiceIdentity: Sendable, Hashable {
    /// The service's name: its queue, its consumer name in inboxes, its `source` prefix.
    public var name: String
    /// The PostgreSQL schema it owns.
    public var schema: String
    public var defaultPort: Int
    /// The first path segment of its API: `/api/v1/<apiContext>/…` (with a token) and
    /// `/api/v1/public/<apiContext>/…` (open to anyone, `publicPathPrefix`).
    public var apiContext: String

    public init(name: String, schema: String, defaultPort: Int, apiContext: String) {
        // `/api/v1/public/…` is the prefix of every context's open routes, never a context.
        precondition(apiContext != Self.publicPathSegment, "no context may be called `\(Self.publicPathSegment)`")
        self.name = name
        self.schema = schema
        self.defaultPort = defaultPort
        self.apiContext = apiContext
    }

    /// The login role that owns `schema`: `crm_<schema>`.
    public var databaseRole: String { "crm_\(schema)" }

    public static let gateway = ServiceIdentity(name: "gateway", schema: "identity", defaultPort: 8080, apiContext: "identity")
    public static let leads = ServiceIdentity(name: "leads", schema: "leads", defaultPort: 8081, apiContext: "leads")
    public static let prospects = ServiceIdentity(name: "prospects", schema: "prospects", defaultPort: 8082, apiContext: "prospects")
    public static let afterSales = ServiceIdentity(name: "aftersales", schema: "aftersales", defaultPort: 8083, apiContext: "after-sales")
    public static let customerService = ServiceIdentity(name: "customer-service", schema: "customer_service", defaultPort: 8084, apiContext: "customer-service")
    public static let coupons = ServiceIdentity(name: "coupons", schema: "coupons", defaultPort: 8085, apiContext: "coupons")
    public static let marketing = ServiceIdentity(name: "marketing", schema: "marketing", defaultPort: 8086, apiContext: "marketing")

    public static let all: [ServiceIdentity] = [.gateway, .leads, .prospects, .afterSales, .customerService, .coupons, .marketing]
}
