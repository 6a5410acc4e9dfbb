import AsyncHTTPClient
import Foundation
import Hummingbird
import ServiceKit

/// The gateway: the only public entry. It logs users in and issues their tokens, administers
/// stores, teams, users and roles, keeps the audit log, forwards `/api/v1/<context>/…` (with a
/// token) and `/api/v1/public/<context>/…` (without one, rate-limited per client) to the
/// services and serves the OpenAPI document. It consumes no events, so it declares no queue;
/// it publishes identity changes for the services' directories.
///
/// The audit log and `Idempotency-Key` are on the authenticated routes only. Writes through the
/// public prefix (a coupon claim, an event registration) are not audited: the audit log says
/// which staff member changed what, an anonymous caller is no one it could name, and a flood
/// would fill it; the service keeps its own record of such a write (the claim row with its
/// mobile and time). Nor are they made idempotent here — keys belong to a signed-in user —; a
/// public write that a page may send twice is made safe by the service's own unique rules.
@main
struct GatewayApp {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "keys" { exit(SigningKeyCommand.run(Array(arguments.dropFirst()))) }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration()
        } catch {
            FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
            exit(78)  // EX_CONFIG
        }
        let passwords = Passwords(cost: configuration.bcryptCost)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        clientConfiguration.decompression = .disabled
        // A stopped service refuses at once on loopback; one on a host that is gone must not
        // keep the caller waiting either: 2 s to connect, then 503 (issue 11).
        clientConfiguration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        // One limiter for the process: the public prefix's rate is per gateway replica.
        let publicRateLimit = RateLimitMiddleware(
            limiter: RateLimiter(ratePerSecond: configuration.publicRatePerSecond, burst: configuration.publicRateBurst),
            clientAddress: ClientAddress(trustedProxyHops: configuration.trustedProxyHops))

        try await ServiceRunner.run(ServiceDefinition(
            identity: .gateway,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: nil,
            routes: { group, environment in
                let audit = AuditLog(logger: environment.logger)
                group.add(middleware: AuditMiddleware(database: environment.database, audit: audit))
                group.add(middleware: IdempotencyMiddleware(
                    database: environment.database, clock: environment.configuration.clock,
                    answerLimit: configuration.idempotentAnswerLimit))
                AuthRoutes(environment: environment, configuration: configuration, passwords: passwords, audit: audit)
                    .addAuthenticatedRoutes(to: group)
                AdminRoutes(environment: environment, passwords: passwords).addRoutes(to: group)
                AuditLogRoutes(environment: environment).addRoutes(to: group)
                DictionaryRoutes(environment: environment).addRoutes(to: group)
                ServiceProxy(client: client, upstreams: configuration.upstreams, logger: environment.logger).addRoutes(to: group)
            },
            unauthenticatedRoutes: { group, environment in
                AuthRoutes(environment: environment, configuration: configuration, passwords: passwords, audit: AuditLog(logger: environment.logger))
                    .addUnauthenticatedRoutes(to: group)
                // Every service's public prefix, /api/v1/public/<context>/…: no token, rate-limited.
                ServiceProxy(client: client, upstreams: configuration.upstreams, logger: environment.logger)
                    .addPublicRoutes(to: group.group(RouterPath(ServiceIdentity.publicPathSegment)).add(middleware: publicRateLimit))
            },
            rootRoutes: { router, environment in
                try! OpenAPIDocument.addRoute(to: router)
                PublicKeysDocument.addRoute(to: router, keys: environment.tokens.publishedKeys)
            },
            services: { environment in
                [Seeder(environment: environment, configuration: configuration, passwords: passwords), HTTPClientService(client: client)]
            }
        ))
    }
}
