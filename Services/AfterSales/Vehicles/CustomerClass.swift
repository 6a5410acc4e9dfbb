import Foundation

/// The after-sales class of a car's customer (售后客户类别, SPEC AS5; seed §8.3 售后招揽回访频次),
/// which sets how often solicitation follows the customer up. The CRM works it out from the
/// car's visits — the repair orders opened for its VIN in the store, from the ERP or the CRM —
/// on the store's calendar (its time zone decides where a year and a day begin), as of the
/// service clock's now. The first rule that holds decides:
///
/// 1. `potential` (潜在客户) — no visit at all;
/// 2. `lost` (流失客户) — the last visit is longer ago than the store's churn rule
///    (`AfterSalesSettings.churnMonths`, default 12): its day is before the day that many
///    months before today (a visit on 15 June 2025 is not lost on 15 June 2026, and is from
///    16 June);
/// 3. `loyal` (忠诚客户) — 2 or more visits last calendar year;
/// 4. `favoured` (优惠客户) — 1 visit last calendar year;
/// 5. `ordinary` (普通客户) — no visit last year, some before it;
/// 6. `potential` — every other customer on file: one whose visits are all this year (the
///    seed's 其他类型的客户; a newcomer has no last year to be judged by until 1 January).
///
/// The raw values are the codes of the closed dictionary `customerClass`, whose labels a store
/// may reword. `VehicleClassQueries` holds the rule in SQL; this type names its outcomes.
enum CustomerClass: String, Codable, Sendable, CaseIterable {
    case loyal
    case favoured
    case ordinary
    case lost
    case potential
}

/// The store's calendar the classes are worked out on: now, the store's time zone and its
/// churn rule. `VehicleClassQueries` turns it into the instants that bound last year, this
/// year and the churn window, in SQL.
struct CustomerClassCalendar: Sendable {
    /// The service clock's now; a visit after it does not count yet.
    var now: Date
    /// The store's time zone, an IANA name PostgreSQL knows (`Asia/Shanghai`).
    var timeZone: String
    /// Months without a visit after which a customer is lost (1–60).
    var churnMonths: Int
}
