import Hummingbird

/// Answers every API request 503 (problem+json, `Retry-After`) until the service's migrations
/// are applied: before that its tables may not exist, or not yet have the shape its code reads
/// (issue 12). The health routes are outside `/api/v1` and answer all along.
public struct MigrationsAppliedMiddleware: RouterMiddleware {
    public typealias Context = CRMRequestContext
    let migrationsApplied: Flag

    public init(migrationsApplied: Flag) {
        self.migrationsApplied = migrationsApplied
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard migrationsApplied.isSet else {
            throw ProblemDetails.unavailable("the service is starting: its database is being brought up to date; try again shortly")
        }
        return try await next(request, context)
    }
}
