import Foundation
import ServiceKit

/// CustomerService (客服): satisfaction visits and complaints. A completed repair order or a
/// delivered new car becomes a visit task for the customer-service team.
@main
struct CustomerServiceApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .customerService,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: VisitTaskEvents.handlers()
        ))
    }
}
