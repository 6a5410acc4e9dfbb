import Foundation
import ServiceKit

/// Leads (网销线索): online sales leads from entry to a consultant's follow-up — de-duplicated by
/// mobile, assigned by hand or round robin, followed up on the store's rules, defeated and
/// re-activated.
@main
struct LeadsApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .leads,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: EventHandlers(),
            routes: { group, environment in
                LeadRoutes(environment: environment).addRoutes(to: group)
                LeadTaskRoutes(environment: environment).addRoutes(to: group)
                LeadSettingsRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
