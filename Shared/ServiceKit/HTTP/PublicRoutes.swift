import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Routes open to anyone — a customer on a WeChat H5 page claiming a coupon with their mobile,
/// registering for an event, reading the news — live under one prefix per context:
///
/// ```
/// /api/v1/public/<apiContext>/…        e.g. GET /api/v1/public/coupons/claims/{token}
/// ```
///
/// - A service adds them with `ServiceDefinition(publicRoutes:)`; the group it gets is already
///   at `/api/v1/public/<apiContext>`. No `AuthenticationMiddleware` runs there and there is no
///   `context.principal`: such a route decides for itself what it trusts (a claim token, a
///   mobile and an SMS code) and enforces its own exact rules in its database.
/// - The gateway forwards `/api/v1/public/<apiContext>/**` to the service that owns the context
///   with the path unchanged, without asking for a token and without passing one on (it strips
///   `Authorization`), rate-limited per client (`RateLimiter`, `ClientAddress`). Everything else
///   under `/api/v1` still needs a token.
/// - A service's authenticated routes can never be reached through the prefix: the service
///   mounts only its public routes under it, and since the token is stripped, a route that needs
///   one would answer 401 even if a path did lead there.
extension ServiceIdentity {
    /// The path segment after `/api/v1` that marks a route as open to anyone: `public`. No
    /// context may be called that.
    public static let publicPathSegment = "public"

    /// `api/v1/public/<apiContext>`: where the service's public routes are mounted, and what
    /// the gateway forwards to it without a token.
    public var publicPathPrefix: String { "api/v1/\(Self.publicPathSegment)/\(apiContext)" }
}

/// Who sent a request, as a key for `RateLimiter`: the client's IP address (no port — a client
/// opens many connections).
///
/// With `trustedProxyHops` 0 (`CRM_TRUSTED_PROXY_HOPS` unset) it is the address of the socket,
/// and `X-Forwarded-For` is ignored: anyone can write that header. With n > 0 the gateway sits
/// behind n reverse proxies that each append the address they were connected from, so the
/// client is the n-th entry of `X-Forwarded-For` counted from the right (n = 1: the last one);
/// entries further left were written by the client itself and are not trusted. With fewer entries
/// than n (a request that came round a proxy) it is the leftmost entry, and without the header
/// the socket's address.
public struct ClientAddress: Sendable {
    /// Reverse proxies in front of the gateway that append to `X-Forwarded-For`, 0…10.
    public let trustedProxyHops: Int

    public init(trustedProxyHops: Int) {
        self.trustedProxyHops = trustedProxyHops
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// An entry longer than this is not an address; it is cut so a key stays small.
    static let maximumKeyLength = 64

    /// The key of the client that sent `headers` over a connection from `remoteAddress`;
    /// `unknown` when neither says (an in-process test client).
    public func key(headers: HTTPFields, remoteAddress: SocketAddress?) -> String {
        let socket = remoteAddress.flatMap { $0.ipAddress } ?? "unknown"
        guard trustedProxyHops > 0 else { return socket }
        // Several X-Forwarded-For fields are one comma-separated list, in order (RFC 9110 §5.3).
        let entries = headers[values: Self.forwardedFor]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !entries.isEmpty else { return socket }
        let index = max(0, entries.count - trustedProxyHops)
        return String(entries[index].prefix(Self.maximumKeyLength))
    }
}

/// Refuses a request whose client (`ClientAddress`) has used up its `RateLimiter` bucket: a 429
/// problem with `Retry-After` in whole seconds, before anything else is done for it.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext
    let limiter: RateLimiter
    let clientAddress: ClientAddress

    public init(limiter: RateLimiter, clientAddress: ClientAddress) {
        self.limiter = limiter
        self.clientAddress = clientAddress
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key = clientAddress.key(headers: request.headers, remoteAddress: context.remoteAddress)
        if case .refused(let seconds) = limiter.take(for: key) {
            throw ProblemDetails.tooManyRequests(retryAfter: seconds)
        }
        return try await next(request, context)
    }
}
