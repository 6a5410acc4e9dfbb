import Foundation
import Hummingbird
import ServiceKit

/// The after-sales report of one store and period (售后报表, SPEC AS8): the daily, monthly or
/// quarterly report (`ReportPeriod`) at `GET /api/v1/after-sales/reports`, exported at
/// `GET /api/v1/after-sales/reports/export`. Every figure is worked out by `ReportStore` from
/// the store's own rows on the store's calendar, up to `asOf` — the period's end, or the service
/// clock's now while the period is still running (a period in the future has nothing yet).
///
/// Visits, classes and the churn rule are the customer file's (`VehicleClassQueries`,
/// `CustomerClass`): a visit is a repair order opened for the car's VIN in the store; a car is
/// lost once its last visit's day is before the day `churnMonths` months before today.
/// Sections: `customers`, `repairOrders`, `firstMaintenance`, `campaigns`, `renewals`.
struct AfterSalesReport: Codable, Sendable, ResponseEncodable {
    /// `day`, `month` or `quarter`.
    var period: ReportPeriodKind
    /// The period as asked for: `2026-11-30`, `2026-11`, `2026-Q4`.
    var label: String
    /// 00:00 of the first day on the store's clock (UTC in the API).
    var startsAt: Date
    /// 00:00 of the day after the last.
    var endsAt: Date
    /// What the figures count up to: `endsAt`, or now while the period runs.
    var asOf: Date
    /// The store's time zone the period is taken in.
    var timeZone: String
    /// The store's churn rule in months (`AfterSalesSettings.churnMonths`) the figures used.
    var churnMonths: Int
    var customers: CustomerFigures
    var repairOrders: RepairOrderFigures
    var firstMaintenance: FirstMaintenanceFigures
    var campaigns: CampaignFigures
    var renewals: RenewalFigures
}

/// New and lost customers, return and churn rates (新增客户, 流失客户, 进厂率, 流失率; AS8, seed
/// 002). A customer is a car on the store's vehicle file. With `start` = `startsAt`, `end` =
/// `asOf`:
///
/// - `newCustomers` — cars whose first visit ever in the store falls in [start, end);
/// - `retainedAtStart` (期初保有客户) — cars with a visit before start that were not lost on the
///   period's eve, the day before its first: their last visit before start is on or after 00:00
///   of the day `churnMonths` months before that eve. (A car that turns lost at 00:00 of the
///   first day is retained at the start and lost in the period, so that the period's lost cars
///   are among its retained ones whenever the churn rule is longer than the period.)
/// - `returnedCustomers` — those of `retainedAtStart` with a visit in [start, end);
/// - `lostCustomers` — cars that became lost in [start, end): a visit with no later visit
///   before the instant it turns the car lost, and that instant in the period. The instant is
///   00:00 of the first store day D with (D − `churnMonths` months) after the visit's day — a
///   visit on 15 Nov 2025 with 12 months is lost from 16 Nov 2026;
/// - `returnRate` (进厂率) = returnedCustomers / retainedAtStart;
/// - `churnRate` (流失率) = lostCustomers / retainedAtStart.
///
/// Rates are fractions rounded to four decimals (0.5 is 50 %), 0 when `retainedAtStart` is 0.
struct CustomerFigures: Codable, Sendable, Equatable {
    var newCustomers: Int
    var lostCustomers: Int
    var retainedAtStart: Int
    var returnedCustomers: Int
    var returnRate: Double
    var churnRate: Double
}

/// Repair orders of the period (AS8): `opened` — orders opened in it; `completed` — orders
/// completed (结算) in it; `completedAmount` — the yuan of those completed orders (an order
/// without an amount counts 0). Per business type (dictionary `repairBusinessType` codes, in
/// code order) and per service advisor (as the orders name them; `""` for none, in name order),
/// the same three figures; only types and advisors with an order in the period are listed, and
/// each list adds up to the totals.
struct RepairOrderFigures: Codable, Sendable, Equatable {
    var opened: Int
    var completed: Int
    var completedAmount: Decimal
    var byBusinessType: [BusinessTypeRow]
    var byServiceAdvisor: [ServiceAdvisorRow]

    struct BusinessTypeRow: Codable, Sendable, Equatable {
        var businessType: String
        var opened: Int
        var completed: Int
        var completedAmount: Decimal
    }

    struct ServiceAdvisorRow: Codable, Sendable, Equatable {
        var serviceAdvisor: String
        var opened: Int
        var completed: Int
        var completedAmount: Decimal
    }
}

/// First-maintenance returns (首保回厂, AS8): `returns` — repair orders of business type
/// `firstMaintenance` opened in the period; `cars` — the distinct VINs among them.
struct FirstMaintenanceFigures: Codable, Sendable, Equatable {
    var returns: Int
    var cars: Int
}

/// Solicitation results of the period (售后招揽, AS4 and AS8): the store's campaign tasks closed
/// in it — a success at the return's time (`returned_at`, the returning order's opening), a
/// defeat at its recording (`defeated_at`), a failure at the campaign's end (`closed_at`).
/// `closed` = back + defeated + failed; `successRate` = back / closed, four decimals, 0 when
/// nothing closed.
struct CampaignFigures: Codable, Sendable, Equatable {
    var closed: Int
    var back: Int
    var defeated: Int
    var failed: Int
    var successRate: Double
}

/// Insurance-renewal results of the period (续保招揽, AS6 and AS8): the store's renewal tasks
/// closed in it (`closed_at`) — `renewed` (a renewal recorded by hand or from the ERP), `defeated`,
/// `expired` (the expiry passed). `closed` = renewed + defeated + expired; `successRate` =
/// renewed / closed, four decimals, 0 when nothing closed.
struct RenewalFigures: Codable, Sendable, Equatable {
    var closed: Int
    var renewed: Int
    var defeated: Int
    var expired: Int
    var successRate: Double
}
