import AsyncHTTPClient
import Foundation
import ServiceKit

/// The gateway: the only public entry. It logs users in and issues their tokens, administers
/// stores, teams, users and roles, keeps the audit log, forwards `/api/v1/<context>/…` to the
/// services and serves the OpenAPI document. It consumes no events, so it declares no queue;
/// it publishes identity changes for the services' directories.
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
