import Foundation
import ServiceKit

/// Prospects (潜客): showroom traffic and everyone a consultant is selling a car to — registered
/// by the duplicate rules, followed up on the store's rules, defeated (with approval and the
/// defeat pool), released to and claimed from the public pool, and turned into order and
/// retained customers by the ERP; their test drives and purchase proposals.
@main
struct ProspectsApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .prospects,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: ProspectEvents.handlers(),
            routes: { group, environment in
                TrafficRoutes(environment: environment).addRoutes(to: group)
                TrafficImportRoutes(environment: environment).addRoutes(to: group)
                ProspectRoutes(environment: environment).addRoutes(to: group)
                FollowUpRoutes(environment: environment).addRoutes(to: group)
                ProspectTaskRoutes(environment: environment).addRoutes(to: group)
                ProspectSettingsRoutes(environment: environment).addRoutes(to: group)
                PublicPoolRoutes(environment: environment).addRoutes(to: group)
                DefeatPoolRoutes(environment: environment).addRoutes(to: group)
                SalesOrderRoutes(environment: environment).addRoutes(to: group)
                TestDriveRouteSettings(environment: environment).addRoutes(to: group)
                TestDriveRoutes(environment: environment).addRoutes(to: group)
                ProposalRoutes(environment: environment).addRoutes(to: group)
            },
            services: { environment in [PublicPoolSweeper(environment: environment)] }
        ))
    }
}
