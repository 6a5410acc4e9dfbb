import Foundation
import ServiceKit

/// Marketing (市场营销, M1–M6; seed §9): what the store publishes to its customer-facing site
/// and WeChat pages (车管家前端). So far: news (新闻资讯, M1) and price promotions (降价促销, M2),
/// written by the marketing manager (市场经理, `marketing.content.manage`) and read by anyone
/// through the public prefix `/api/v1/public/marketing/…` — published items only, with ETags.
/// Channel QR codes (推广二维码, M6) attribute leads, registrations, showroom arrivals and orders
/// to the poster, partner or consultant they came through. Events, the lucky wheel and SMS
/// (M3–M5) come with later slices of issue 15.
@main
struct MarketingApp {
    static func main() async throws {
        var handlers = EventHandlers()
        ChannelEvents.add(to: &handlers)
        try await ServiceRunner.run(ServiceDefinition(
            identity: .marketing,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                // One folder per feature: News/, Promotions/, Channels/; Publishing/ is shared.
                NewsRoutes(environment: environment).addRoutes(to: group)
                NewsCoverRoutes(environment: environment).addRoutes(to: group)
                PromotionRoutes(environment: environment).addRoutes(to: group)
                ChannelReportRoutes(environment: environment).addRoutes(to: group)
                ChannelRoutes(environment: environment).addRoutes(to: group)
            },
            publicRoutes: { group, environment in
                PublicNewsRoutes(environment: environment).addRoutes(to: group)
                PublicPromotionRoutes(environment: environment).addRoutes(to: group)
            }
        ))
    }
}
