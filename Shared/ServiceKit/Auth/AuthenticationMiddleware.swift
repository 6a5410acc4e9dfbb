import Hummingbird

/// Lets a request through only with a valid access token, and puts its `Principal` on the
/// context; anything else is a 401 problem.
///
/// Every service puts it in front of its `/api/v1` routes, the gateway too: a request that
/// reaches a service directly is checked exactly as one that came through the gateway.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext
    let keys: TokenKeys

    public init(keys: TokenKeys) {
        self.keys = keys
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ProblemDetails.unauthorized("this request needs `Authorization: Bearer <access token>`; get one at POST /api/v1/auth/login")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ProblemDetails.unauthorized("the Authorization header must be `Bearer <access token>`")
        }
        guard let claims = await keys.verify(String(parts[1]), for: .access), let principal = Principal(claims: claims) else {
            throw ProblemDetails.unauthorized("the access token is invalid or has expired; log in again or refresh it")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}

extension CRMRequestContext {
    /// The caller; routes behind `AuthenticationMiddleware` always have one.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw ProblemDetails.unauthorized("this request needs an access token") }
        return principal
    }

    /// The caller, after checking they have `permission`.
    public func require(_ permission: Permission) throws -> Principal {
        let principal = try requirePrincipal()
        try principal.require(permission)
        return principal
    }
}
