import Foundation
import ServiceKit

/// Leads (网销线索): online sales leads from entry to a consultant's follow-up — de-duplicated by
/// mobile, assigned by hand or round robin, followed up on the store's rules, defeated and
/// re-activated.
@main
struct LeadsApp {
    static func main() async throws {
        let directory = Directory(schema: try SQLIdentifier(ServiceIdentity.leads.schema))
        // The platforms' leads follow the same clock as the API (CRM_FIXED_TIME in tests).
        let clock = (try? ServiceConfiguration(service: .leads).clock) ?? .system
        try await ServiceRunner.run(ServiceDefinition(
            identity: .leads,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: PlatformLeadEvents.handlers(directory: directory, clock: clock),
            routes: { group, environment in
                LeadRoutes(environment: environment).addRoutes(to: group)
                LeadTaskRoutes(environment: environment).addRoutes(to: group)
                LeadSettingsRoutes(environment: environment).addRoutes(to: group)
                LeadImportRoutes(environment: environment).addRoutes(to: group)
                ADFIntakeRoutes(environment: environment).addRoutes(to: group)
            },
            services: { environment in [AnnouncementBacklog(environment: environment)] }
        ))
    }
}
