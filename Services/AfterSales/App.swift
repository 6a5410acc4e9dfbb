import Foundation
import ServiceKit

/// AfterSales (售后): vehicle files with their customers' file and classes (AS1, AS2, AS5), the
/// store's after-sales rules (§8.3), repair orders and their history. Repair orders arrive from
/// the dealer's ERP as events or are opened by service advisors through the API; completing one
/// publishes `aftersales.repair_order.completed.v1`, which starts the satisfaction-visit flow
/// in CustomerService. Solicitation campaigns (AS4) go live by the store's clock
/// (`CampaignScheduler`) and succeed when their cars come back.
@main
struct AfterSalesApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .afterSales,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: RepairOrderEvents.handlers(),
            routes: { group, environment in
                // One folder per feature: Vehicles/, RepairOrders/, Campaigns/, Settings/.
                VehicleExport(environment: environment).addRoutes(to: group)
                VehicleRoutes(environment: environment).addRoutes(to: group)
                RepairOrderExport(environment: environment).addRoutes(to: group)
                RepairOrderRoutes(environment: environment).addRoutes(to: group)
                CampaignExport(environment: environment).addRoutes(to: group)
                CampaignListRoutes(environment: environment).addRoutes(to: group)
                CampaignRoutes(environment: environment).addRoutes(to: group)
                CampaignTaskRoutes(environment: environment).addRoutes(to: group)
                AfterSalesSettingsRoutes(environment: environment).addRoutes(to: group)
            },
            services: { environment in [CampaignScheduler(environment: environment)] }
        ))
    }
}
