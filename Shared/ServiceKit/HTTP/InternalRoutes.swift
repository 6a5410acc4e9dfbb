import Crypto
import Foundation
import Hummingbird

/// Routes one service offers another, never a person: `/internal/v1/<apiContext>/…`.
///
/// ```
/// /internal/v1/<apiContext>/…    e.g. POST /internal/v1/coupons/prize-issues
/// ```
///
/// - A service adds them with `ServiceDefinition(internalRoutes:)`; the group it gets is already
///   at that prefix. The caller sends `Authorization: Bearer <CRM_INTERNAL_TOKEN>`, the
///   installation's token (`ServiceConfiguration.internalToken`); anything else is a 401.
/// - The gateway forwards only `/api/v1/…`: nothing outside the installation's network reaches
///   these routes through it. A staff token does not open them either, and the internal token
///   opens nothing else.
/// - What a caller asks of them must be safe to ask twice (an idempotency key in the body),
///   because a caller that timed out asks again (`InternalServiceClient`).
extension ServiceIdentity {
    /// `internal/v1/<apiContext>`: where the service's internal routes are mounted.
    public var internalPathPrefix: String { "internal/v1/\(apiContext)" }
}

/// Lets a request through only with the installation's internal token (`CRM_INTERNAL_TOKEN`),
/// compared in constant time; 401 otherwise, and always when the service has no token.
public struct InternalAuthenticationMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext
    let expected: SHA256Digest?

    public init(token: String?) {
        expected = token.map { SHA256.hash(data: Data($0.utf8)) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expected else {
            throw ProblemDetails.unauthorized("this service has no CRM_INTERNAL_TOKEN: its internal routes are closed")
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw ProblemDetails.unauthorized("an internal route needs `Authorization: Bearer <CRM_INTERNAL_TOKEN>`")
        }
        // Equal digests of equal length: `==` on the digests compares in constant time.
        guard SHA256.hash(data: Data(header.dropFirst(7).utf8)) == expected else {
            throw ProblemDetails.unauthorized("the internal token is not this installation's")
        }
        return try await next(request, context)
    }
}
