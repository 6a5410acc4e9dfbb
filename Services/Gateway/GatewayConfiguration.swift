import Foundation
import ServiceKit

/// The gateway's own settings, beyond every service's `ServiceConfiguration`.
///
/// | variable | default |
/// |---|---|
/// | `CRM_<SERVICE>_URL` (`CRM_LEADS_URL`, `CRM_AFTERSALES_URL`, `CRM_CUSTOMER_SERVICE_URL` …) | `http://127.0.0.1:<its default port>` |
/// | `CRM_ACCESS_TOKEN_MINUTES` | `30` |
/// | `CRM_REFRESH_TOKEN_HOURS` | `168` (a week) |
/// | `CRM_LOCKOUT_MINUTES` | `15`: how long five failed logins in a row lock an account |
/// | `CRM_BCRYPT_COST` | `10` |
/// | `CRM_SEED_DEMO` | off; `1` seeds the demo group, stores and users (`./crm up` does) |
/// | `CRM_ADMIN_PASSWORD` | none; when set and no user exists, creates the user `admin` with it (never a password written in this repository, outside development) |
/// | `CRM_PUBLIC_RATE_PER_SECOND` | `10`: requests per second one client may send to `/api/v1/public/…`, in this gateway process (a fraction such as `0.5` is allowed) |
/// | `CRM_PUBLIC_RATE_BURST` | `20`: requests one client may send at once after a pause |
/// | `CRM_TRUSTED_PROXY_HOPS` | `0`: reverse proxies in front of the gateway that append to `X-Forwarded-For`; 0 keys clients by the connection's address and ignores the header |
struct GatewayConfiguration: Sendable {
    /// The service behind each `/api/v1/<apiContext>/…`.
    var upstreams: [String: URL]
    var accessTokenLifetime: TimeInterval
    var refreshTokenLifetime: TimeInterval
    var lockoutDuration: TimeInterval
    /// Failed logins in a row that lock an account.
    var lockoutThreshold = 5
    var bcryptCost: UInt8
    var seedDemo: Bool
    var adminPassword: String?
    /// The largest answer `Idempotency-Key` keeps to replay (`CRM_IDEMPOTENT_ANSWER_LIMIT_BYTES`,
    /// 4 MiB); a larger one is remembered as done but not replayed.
    var idempotentAnswerLimit: Int
    /// The rate limit of `/api/v1/public/…` per client, per gateway process (`RateLimiter`):
    /// tokens per second (`CRM_PUBLIC_RATE_PER_SECOND`, 10) …
    var publicRatePerSecond: Double
    /// … and the bucket's size (`CRM_PUBLIC_RATE_BURST`, 20).
    var publicRateBurst: Int
    /// Reverse proxies in front of the gateway whose `X-Forwarded-For` entries are believed
    /// (`CRM_TRUSTED_PROXY_HOPS`, 0: none, the socket's address is the client's). `ClientAddress`.
    var trustedProxyHops: Int

    static let proxiedServices: [ServiceIdentity] = [.leads, .prospects, .afterSales, .customerService, .coupons, .marketing]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
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
        func number(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
            guard let text = value(name) else { return fallback }
            guard let number = Double(text), number.isFinite, range.contains(number) else {
                throw ConfigurationError.invalid(name: name, reason: "expected a number in \(range.lowerBound)...\(range.upperBound), got \(text)")
            }
            return number
        }
        var upstreams: [String: URL] = [:]
        for service in Self.proxiedServices {
            upstreams[service.apiContext] = try service.baseURL(in: environment)
        }
        self.upstreams = upstreams
        accessTokenLifetime = TimeInterval(try integer("CRM_ACCESS_TOKEN_MINUTES", default: 30, range: 1...1440) * 60)
        refreshTokenLifetime = TimeInterval(try integer("CRM_REFRESH_TOKEN_HOURS", default: 168, range: 1...2160) * 3600)
        lockoutDuration = TimeInterval(try integer("CRM_LOCKOUT_MINUTES", default: 15, range: 1...1440) * 60)
        bcryptCost = UInt8(try integer("CRM_BCRYPT_COST", default: 10, range: 4...16))
        seedDemo = ["1", "true", "yes"].contains(value("CRM_SEED_DEMO")?.lowercased() ?? "")
        adminPassword = value("CRM_ADMIN_PASSWORD")
        idempotentAnswerLimit = try integer("CRM_IDEMPOTENT_ANSWER_LIMIT_BYTES", default: 4 << 20, range: 256...(256 << 20))
        publicRatePerSecond = try number("CRM_PUBLIC_RATE_PER_SECOND", default: 10, range: 0.01...100_000)
        publicRateBurst = try integer("CRM_PUBLIC_RATE_BURST", default: 20, range: 1...100_000)
        trustedProxyHops = try integer("CRM_TRUSTED_PROXY_HOPS", default: 0, range: 0...10)
        if let adminPassword, value("CRM_ENVIRONMENT")?.lowercased() != "development", KnownSecrets.contains(adminPassword) {
            throw ConfigurationError.invalid(
                name: "CRM_ADMIN_PASSWORD", reason: "is a value written in the Dealer CRM repository; set one of this installation's own")
        }
    }
}
