import Foundation
import ServiceKit

/// Marketing (市场营销, M1–M6; seed §9): what the store publishes to its customer-facing site
/// and WeChat pages (车管家前端), and how it brings customers in. News (新闻资讯, M1) and price
/// promotions (降价促销, M2), written by the marketing manager (市场经理) and read by anyone
/// through the public prefix `/api/v1/public/marketing/…` — published items only, with ETags.
/// Events (活动管理, M3): the customer-facing pages register customers without logging in
/// (集客报名) — one registration per mobile, never more than the capacity, however many
/// processes take them — staff check registrants in and hand invitation tasks (邀约任务) to
/// consultants. Channel QR codes (推广二维码, M6) attribute leads, registrations, showroom
/// arrivals and orders to the poster, partner or consultant they came through. The lucky wheel
/// (大转盘, M4) lets customers spin for prizes in stock; a coupon prize is issued through Coupons
/// over its internal routes at the moment of the draw (Wheel/). The SMS platform (短信平台, M5,
/// `Sms/`) sends templates to lists, customers, registrants and a solicitation campaign's targets
/// (read from AfterSales over its internal routes) through Alibaba Cloud SMS (or a
/// file in development) under its rules: quiet hours, a daily cap, the opt-out list, one message
/// per key.
@main
struct MarketingApp {
    static func main() async throws {
        let couponsURL = ServiceRunner.setting { try ServiceIdentity.coupons.baseURL().absoluteString }
        let afterSalesURL = ServiceRunner.setting { try ServiceIdentity.afterSales.baseURL().absoluteString }
        let prizes: @Sendable (ServiceEnvironment) -> CouponPrizes = {
            CouponPrizes(couponsURL: couponsURL, token: $0.configuration.internalToken)
        }
        var handlers = EventHandlers()
        CustomerEvents.add(to: &handlers)
        ChannelEvents.add(to: &handlers)
        let development = ProcessInfo.processInfo.environment["CRM_ENVIRONMENT"]?.lowercased() == "development"
        let sms = ServiceRunner.setting { try SmsConfiguration(development: development) }
        let smsProvider = sms.makeProvider()
        try await ServiceRunner.run(ServiceDefinition(
            identity: .marketing,
            migrationsFolder: Bundle.module.url(forResource: "Migrations", withExtension: nil),
            handlers: handlers,
            routes: { group, environment in
                // One folder per feature: News/, Promotions/, Events/ (events, registrations, check-in),
                // Invitations/, Customers/, Channels/, Wheel/, Sms/; Publishing/ is shared.
                NewsRoutes(environment: environment).addRoutes(to: group)
                NewsCoverRoutes(environment: environment).addRoutes(to: group)
                PromotionRoutes(environment: environment).addRoutes(to: group)
                EventListExport(environment: environment).addRoutes(to: group)
                EventRoutes(environment: environment).addRoutes(to: group)
                AttendanceRoutes(environment: environment).addRoutes(to: group)
                InvitationRoutes(environment: environment).addRoutes(to: group)
                CustomerRoutes(environment: environment).addRoutes(to: group)
                ChannelReportRoutes(environment: environment).addRoutes(to: group)
                ChannelRoutes(environment: environment).addRoutes(to: group)
                WheelRoutes(environment: environment, prizes: prizes(environment)).addRoutes(to: group)
                DrawLogRoutes(environment: environment).addRoutes(to: group)
                SmsTemplateRoutes(environment: environment).addRoutes(to: group)
                SmsSendRoutes(
                    environment: environment,
                    campaigns: CampaignAudience(afterSalesURL: afterSalesURL, token: environment.configuration.internalToken)
                ).addRoutes(to: group)
                SmsLogRoutes(environment: environment).addRoutes(to: group)
                SmsRulesRoutes(environment: environment).addRoutes(to: group)
            },
            publicRoutes: { group, environment in
                PublicNewsRoutes(environment: environment).addRoutes(to: group)
                PublicPromotionRoutes(environment: environment).addRoutes(to: group)
                RegistrationRoutes(environment: environment).addRoutes(to: group)
                PublicWheelRoutes(environment: environment, prizes: prizes(environment)).addRoutes(to: group)
                SmsCallbackRoutes(environment: environment, settings: sms).addRoutes(to: group)
            },
            services: { environment in
                [DrawSettlingPass(environment: environment, prizes: prizes(environment)),
                 SmsDispatcher(environment: environment, settings: sms, provider: smsProvider)]
            }
        ))
    }
}
