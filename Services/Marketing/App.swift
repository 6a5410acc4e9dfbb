import Foundation
import ServiceKit

/// Marketing (市场营销, M1–M6; seed §9): what the store shows its customers and how it brings
/// them in. Events (活动管理, M3): the marketing manager writes events and puts them online; the
/// customer-facing pages register customers without logging in (集客报名) — one registration per
/// mobile, never more than the capacity, however many processes take them — staff check
/// registrants in and hand invitation tasks (邀约任务) to consultants, who follow them up.
@main
struct MarketingApp {
    static func main() async throws {
        var handlers = EventHandlers()
        CustomerEvents.add(to: &handlers)
        try await ServiceRunner.run(ServiceDefinition(
            identity: .marketing,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                // One folder per feature: Events/ (events, registrations, check-in), Invitations/, Customers/.
                EventListExport(environment: environment).addRoutes(to: group)
                EventRoutes(environment: environment).addRoutes(to: group)
                AttendanceRoutes(environment: environment).addRoutes(to: group)
                InvitationRoutes(environment: environment).addRoutes(to: group)
                CustomerRoutes(environment: environment).addRoutes(to: group)
            },
            publicRoutes: { group, environment in
                RegistrationRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
