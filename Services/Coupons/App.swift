import Foundation
import ServiceKit

/// Coupons (优惠券, C1–C6; seed §6, §8.1): the finance director defines coupons; issuing tasks
/// push them to customers or publish a claim link; the ledger lists every issued coupon with
/// its code; SAs and cashiers redeem codes; unused coupons are revoked, after HQ's approval
/// while the group's approval switch is on; the referral rule (老带新) gives coupons when a
/// referred customer arrives or buys. Every issue locks its definition's row first, so a
/// definition never issues more than its quantity and a customer never holds more than its
/// limit, however many replicas run. Marketing's lucky wheel asks for coupon prizes over the
/// internal routes (Prizes/).
@main
struct CouponsApp {
    static func main() async throws {
        var handlers = EventHandlers()
        CustomerEvents.add(to: &handlers)
        ReferralEvents.add(to: &handlers)
        try await ServiceRunner.run(ServiceDefinition(
            identity: .coupons,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                // One folder per feature: Definitions/, Tasks/, Ledger/, Redemptions/, Revocations/, Settings/, Customers/, Referrals/; Issuing/ is shared.
                CouponListExport(environment: environment).addRoutes(to: group)
                DefinitionRoutes(environment: environment).addRoutes(to: group)
                IssueTaskRoutes(environment: environment).addRoutes(to: group)
                RecipientListRoutes(environment: environment).addRoutes(to: group)
                CouponSettingsRoutes(environment: environment).addRoutes(to: group)
                LedgerRoutes(environment: environment).addRoutes(to: group)
                RedemptionRoutes(environment: environment).addRoutes(to: group)
                RevocationRoutes(environment: environment).addRoutes(to: group)
                ReferralRoutes(environment: environment).addRoutes(to: group)
            },
            publicRoutes: { group, environment in
                ClaimRoutes(environment: environment).addRoutes(to: group)
            },
            internalRoutes: { group, environment in
                // Coupon prizes of Marketing's lucky wheel (M4), asked for at the moment of the draw.
                PrizeIssueRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
