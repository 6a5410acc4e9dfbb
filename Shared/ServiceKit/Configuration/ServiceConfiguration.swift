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

/// Everything a service reads from its environment. Each setting has a default that works with
/// the local launcher (`./crm up`), so a service started by hand on a developer machine runs.
///
/// | variable | default |
/// |---|---|
/// | `CRM_HTTP_HOST` | `127.0.0.1` |
/// | `CRM_HTTP_PORT` | the service's port (gateway 8080, leads 8081 … marketing 8086) |
/// | `CRM_DATABASE_URL` | `postgres://<role>:dealer-crm-dev@127.0.0.1:5432/dealer_crm` |
/// | `CRM_AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672/` |
/// | `CRM_LOG_FORMAT` | `text` on a terminal, otherwise `json` |
/// | `CRM_LOG_LEVEL` | `info` |
/// | `CRM_AMQP_DELIVERY_LIMIT` | `5` |
/// | `CRM_DB_POOL_SIZE` | `20`: the relay's 6 passes, the consumer's 4 workers, and requests |
/// | `CRM_FIXED_TIME` | unset; an RFC 3339 time makes the service's clock stand still there (tests of time rules) |
/// | `CRM_CLOCK_FILE` | unset; with `CRM_FIXED_TIME`, a file whose RFC 3339 time the clock reads instead, at every call (tests move time) |
/// | `CRM_JWT_SECRET` | a development secret; set a long random one (≥ 32 characters) in production |
public struct ServiceConfiguration: Sendable {
    public var service: ServiceIdentity
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
    /// The key the gateway signs access tokens with and every service verifies them with.
    public var jwtSecret: String

    /// The secret used when `CRM_JWT_SECRET` is not set: fine on a developer's machine only.
    public static let developmentJWTSecret = "dealer-crm-local-development-secret-do-not-deploy"

    public init(service: ServiceIdentity, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
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
        httpHost = value("CRM_HTTP_HOST") ?? "127.0.0.1"
        httpPort = try integer("CRM_HTTP_PORT", default: service.defaultPort, range: 0...65535)
        databaseURL = try PostgresURL(value("CRM_DATABASE_URL")
            ?? "postgres://\(service.databaseRole):dealer-crm-dev@127.0.0.1:5432/dealer_crm")
        amqpURL = try AMQPURL(value("CRM_AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672/")
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
        if let text = value("CRM_FIXED_TIME") {
            guard let time = RFC3339.date(from: text) else {
                throw ConfigurationError.invalid(name: "CRM_FIXED_TIME", reason: "expected an RFC 3339 time, got \(text)")
            }
            clock = .fixed(time)
            if let path = value("CRM_CLOCK_FILE") { clock = .file(path, fallback: time) }
        } else {
            clock = .system
        }
        jwtSecret = value("CRM_JWT_SECRET") ?? Self.developmentJWTSecret
        guard jwtSecret.utf8.count >= 32 else {
            throw ConfigurationError.invalid(name: "CRM_JWT_SECRET", reason: "must be at least 32 characters")
        }
    }
}

/// Who a service is: its name, schema, database role and default port.
public struct ServiceIdentity: Sendable, Hashable {
    /// The service's name: its queue, its consumer name in inboxes, its `source` prefix.
    public var name: String
    /// The PostgreSQL schema it owns.
    public var schema: String
    public var defaultPort: Int
    /// The first path segment of its public API: `/api/v1/<apiContext>/…`.
    public var apiContext: String

    public init(name: String, schema: String, defaultPort: Int, apiContext: String) {
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
