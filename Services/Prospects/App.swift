import Foundation
import ServiceKit

/// The Prospects service. Its business features arrive with later issues; today it runs the
/// platform: its schema and migrations, its queue, health, metrics and graceful shutdown.
@main
struct ProspectsApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .prospects,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: EventHandlers()
        ))
    }
}
