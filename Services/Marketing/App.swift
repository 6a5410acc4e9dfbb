import Foundation
import ServiceKit

/// Marketing (市场营销, M1–M6; seed §9): what the store publishes to its customer-facing site
/// and WeChat pages (车管家前端). So far: news (新闻资讯, M1) and price promotions (降价促销, M2),
/// written by the marketing manager (市场经理, `marketing.content.manage`) and read by anyone
/// through the public prefix `/api/v1/public/marketing/…` — published items only, with ETags.
/// Events, the lucky wheel, SMS and channel QR codes (M3–M6) come with later slices of issue 15.
@main
struct MarketingApp {
    static func main() async throws {
        try await ServiceRunner.run(ServiceDefinition(
            identity: .marketing,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: EventHandlers(),
            routes: { group, environment in
                // One folder per feature: News/, Promotions/; Publishing/ is shared.
                NewsRoutes(environment: environment).addRoutes(to: group)
                NewsCoverRoutes(environment: environment).addRoutes(to: group)
                PromotionRoutes(environment: environment).addRoutes(to: group)
            },
            publicRoutes: { group, environment in
                PublicNewsRoutes(environment: environment).addRoutes(to: group)
                PublicPromotionRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
