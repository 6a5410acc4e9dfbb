import Foundation

// What services ask each other directly, over `/internal/v1/…` (ServiceKit `InternalRoutes`):
// only what needs an answer at once. Both sides build on these types, so a change shows in both.

/// Marketing's wheel asks Coupons for a coupon prize (M4): `POST /internal/v1/coupons/prize-issues`.
///
/// Idempotent by `key`: the same key always answers the first answer (the coupon issued then,
/// or why none was), so a caller that timed out asks again without a second coupon.
public struct CouponPrizeIssueRequest: Codable, Sendable, Equatable {
    /// The draw that won the prize: one coupon at most per key.
    public var key: UUID
    public var definitionId: UUID
    /// The store of the wheel; the definition must be that store's.
    public var storeId: UUID
    public var mobile: String
    public var name: String?
    /// What the coupon was won on, for the ledger's reader: `大转盘 DZ2612010001`.
    public var source: String

    public init(key: UUID, definitionId: UUID, storeId: UUID, mobile: String, name: String?, source: String) {
        self.key = key
        self.definitionId = definitionId
        self.storeId = storeId
        self.mobile = mobile
        self.name = name
        self.source = source
    }
}

/// Coupons' answer to `CouponPrizeIssueRequest`.
public struct CouponPrizeIssueAnswer: Codable, Sendable, Equatable {
    /// `issued`, or why nothing was: `sold_out` (the definition's quantity is spent),
    /// `disabled`, `limit_reached` (the customer holds the most the definition allows),
    /// `validity_over` (a fixed validity that has ended), `unknown_definition`.
    public var outcome: String
    public var couponId: UUID?
    /// The code the customer shows at the store (16 digits, the last a check digit).
    public var code: String?
    /// The coupon's last day on the store's calendar (`yyyy-MM-dd`).
    public var lastDay: String?

    public static let issued = "issued"

    public init(outcome: String, couponId: UUID? = nil, code: String? = nil, lastDay: String? = nil) {
        self.outcome = outcome
        self.couponId = couponId
        self.code = code
        self.lastDay = lastDay
    }
}

/// A coupon definition as another service needs to show it (`GET
/// /internal/v1/coupons/definitions/{id}?store=…`): the wheel checks a prize's definition when
/// the marketing manager saves the wheel.
public struct CouponDefinitionSummary: Codable, Sendable, Equatable {
    public var id: UUID
    /// The number staff quote (M…).
    public var number: String
    public var name: String
    public var enabled: Bool
    /// How many may still be issued.
    public var available: Int

    public init(id: UUID, number: String, name: String, enabled: Bool, available: Int) {
        self.id = id
        self.number = number
        self.name = name
        self.enabled = enabled
        self.available = available
    }
}

/// Marketing's SMS platform asks AfterSales whom a solicitation campaign targets (M5 audience
/// "a campaign's targets", AS4): `GET /internal/v1/after-sales/campaigns/{id}/targets?store=…`.
/// A live or ended campaign answers the cars its tasks were made for; a draft or published one
/// the cars its conditions or list select today, as its preview does.
public struct CampaignTargetsAnswer: Codable, Sendable, Equatable {
    /// One car's owner: whom the message goes to, with the car's plate for `{plate}`.
    public struct Target: Codable, Sendable, Equatable {
        /// 11 digits.
        public var mobile: String
        public var name: String
        public var plate: String?

        public init(mobile: String, name: String, plate: String?) {
            self.mobile = mobile
            self.name = name
            self.plate = plate
        }
    }

    public var campaignId: UUID
    public var name: String
    /// `campaignState`: draft, published, live, ended.
    public var state: String
    /// At most 100,000.
    public var targets: [Target]

    public init(campaignId: UUID, name: String, state: String, targets: [Target]) {
        self.campaignId = campaignId
        self.name = name
        self.state = state
        self.targets = targets
    }
}
