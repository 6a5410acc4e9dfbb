import Foundation
import ServiceKit

/// AfterSales (售后): vehicle files with their customers' file and classes (AS1, AS2, AS5), the
/// store's after-sales rules (§8.3), repair orders and their history. Repair orders arrive from
/// the dealer's ERP as events or are opened by service advisors through the API; completing one
/// publishes `aftersales.repair_order.completed.v1`, which starts the satisfaction-visit flow
/// in CustomerService. Insurance renewal (续保招揽, AS6): tasks opened from each car's insurance
/// expiry by a background pass (`RenewalScheduler`), followed up by renewal specialists, renewed
/// by hand or by the ERP's `erp.insurance_policy.issued.v1`.
@main
struct AfterSalesApp {
    static func main() async throws {
        let directory = Directory(schema: try SQLIdentifier(ServiceIdentity.afterSales.schema))
        // The ERP's policies are recorded on the same clock as the API (CRM_FIXED_TIME in tests).
        let clock = (try? ServiceConfiguration(service: .afterSales).clock) ?? .system
        let renewalPass: Duration
        do {
            renewalPass = try RenewalScheduler.interval(from: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
            exit(78)  // EX_CONFIG, as for ServiceRunner's settings
        }
        var handlers = RepairOrderEvents.handlers()
        RenewalEvents.add(to: &handlers, directory: directory, clock: clock)
        try await ServiceRunner.run(ServiceDefinition(
            identity: .afterSales,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                // One folder per feature: Vehicles/, RepairOrders/, Settings/, Renewals/.
                VehicleExport(environment: environment).addRoutes(to: group)
                VehicleRoutes(environment: environment).addRoutes(to: group)
                RepairOrderExport(environment: environment).addRoutes(to: group)
                RepairOrderRoutes(environment: environment).addRoutes(to: group)
                AfterSalesSettingsRoutes(environment: environment).addRoutes(to: group)
                RenewalExport(environment: environment).addRoutes(to: group)
                RenewalRoutes(environment: environment).addRoutes(to: group)
                RenewalSettingsRoutes(environment: environment).addRoutes(to: group)
            },
            services: { environment in [RenewalScheduler(environment: environment, interval: renewalPass)] }
        ))
    }
}
