import Foundation
import ServiceKit

/// The gateway: the only public entry. Login, tokens and routing arrive with the next issue;
/// today it runs the platform (its `identity` schema, health, metrics, graceful shutdown).
/// It consumes no events, so it declares no queue.
@main
struct GatewayApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .gateway,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: nil
        ))
    }
}
