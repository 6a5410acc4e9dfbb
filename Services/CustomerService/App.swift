import Foundation
import ServiceKit

/// CustomerService (客服): satisfaction visits and complaints. A completed repair order or a
/// delivered new car becomes a visit task; supervisors assign tasks, agents call customers and
/// record answers on the store's templates; a dissatisfied answer opens a complaint, which is
/// handled to its close.
@main
struct CustomerServiceApp {
    static func main() async throws {
        let directory = Directory(schema: try SQLIdentifier(ServiceIdentity.customerService.schema))
        var handlers = VisitTaskEvents.handlers()
        // A new store gets its default templates as soon as the gateway announces it.
        handlers.followDirectory(directory) { store, context in
            try await TemplateStore(connection: context.connection, logger: context.logger).seedDefaults(store: store.storeId)
        }
        try await ServiceRunner.run(ServiceDefinition(
            identity: .customerService,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                TemplateRoutes(environment: environment).addRoutes(to: group)
                VisitTaskRoutes(environment: environment).addRoutes(to: group)
                VisitRoutes(environment: environment).addRoutes(to: group)
                ComplaintRoutes(environment: environment).addRoutes(to: group)
                VisitStatisticsRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
