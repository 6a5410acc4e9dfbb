import Foundation

// Events published by the Marketing service (M1–M6), for the services that react to what
// customers do on the customer-facing pages.

/// A customer registered for a store's event (集客报名, M3; seed §9.3 活动管理) on the public
/// registration page. One per registration: a mobile that registers again for the same event
/// gets its first registration back and announces nothing. Prospects reads it so that a
/// registered mobile that becomes a prospect carries the event as its source (展厅活动).
public struct MarketingRegistrationCreated: EventPayload, Equatable {
    public static let eventType = "marketing.registration.created.v1"

    public var registrationId: UUID
    /// Marketing's id of the event, and the number staff quote (HD…).
    public var eventId: UUID
    public var eventNumber: String
    public var eventName: String
    /// The store that runs the event.
    public var storeId: UUID
    /// Normalised: 11 digits.
    public var mobile: String
    public var name: String
    /// The channel the registration page was opened from (a poster's or a consultant's QR code,
    /// M6), as the page passed it on; nil when it named none.
    public var channelCode: String?
    public var registeredAt: Date

    public init(
        registrationId: UUID, eventId: UUID, eventNumber: String, eventName: String, storeId: UUID, mobile: String, name: String,
        channelCode: String?, registeredAt: Date
    ) {
        self.registrationId = registrationId
        self.eventId = eventId
        self.eventNumber = eventNumber
        self.eventName = eventName
        self.storeId = storeId
        self.mobile = mobile
        self.name = name
        self.channelCode = channelCode
        self.registeredAt = registeredAt
    }
}

/// A customer won a prize on a store's lucky wheel (大转盘, M4; seed §9.4). One per prize won: a
/// gift at the draw; a coupon prize once Coupons has issued the coupon (`couponCode`) — a coupon
/// prize Coupons could not issue is no prize and announces nothing. For the services and systems
/// that react to winners (an SMS to the winner, the showroom's gift desk).
public struct MarketingPrizeWon: EventPayload, Equatable {
    public static let eventType = "marketing.prize.won.v1"

    public var drawId: UUID
    /// Marketing's id of the wheel, and the number staff quote (DZ…).
    public var wheelId: UUID
    public var wheelNumber: String
    public var wheelName: String
    public var storeId: UUID
    /// Normalised: 11 digits.
    public var mobile: String
    public var name: String?
    public var prizeId: UUID
    public var prizeName: String
    /// `wheelPrizeKind`: gift or coupon.
    public var prizeKind: String
    /// For a coupon prize: the coupon's code and last day on the store's calendar (`yyyy-MM-dd`).
    public var couponCode: String?
    public var couponLastDay: String?
    public var wonAt: Date

    public init(
        drawId: UUID, wheelId: UUID, wheelNumber: String, wheelName: String, storeId: UUID, mobile: String, name: String?, prizeId: UUID,
        prizeName: String, prizeKind: String, couponCode: String?, couponLastDay: String?, wonAt: Date
    ) {
        self.drawId = drawId
        self.wheelId = wheelId
        self.wheelNumber = wheelNumber
        self.wheelName = wheelName
        self.storeId = storeId
        self.mobile = mobile
        self.name = name
        self.prizeId = prizeId
        self.prizeName = prizeName
        self.prizeKind = prizeKind
        self.couponCode = couponCode
        self.couponLastDay = couponLastDay
        self.wonAt = wonAt
    }
}

/// A marketing SMS reached the customer's phone (短信平台, M5; seed §9.5): the provider's delivery
/// receipt said so. One per message, when its receipt first arrives — a receipt pushed again
/// announces nothing. Services that follow up customers may read it (a reminder that reached
/// its customer, an invitation delivered).
public struct MarketingSmsDelivered: EventPayload, Equatable {
    public static let eventType = "marketing.sms.delivered.v1"

    /// Marketing's id of the recipient's message (also the key the provider received as `OutId`).
    public var messageId: UUID
    /// The send (群发) the message belongs to, and its template.
    public var sendId: UUID
    public var templateId: UUID
    /// The store that sent it.
    public var storeId: UUID
    /// `marketing` (营销短信) or `notice` (通知短信).
    public var kind: String
    /// Normalised: 11 digits.
    public var mobile: String
    /// The provider's id of the message (阿里云 `BizId`), when it gave one.
    public var providerId: String?
    public var deliveredAt: Date

    public init(
        messageId: UUID, sendId: UUID, templateId: UUID, storeId: UUID, kind: String, mobile: String, providerId: String?, deliveredAt: Date
    ) {
        self.messageId = messageId
        self.sendId = sendId
        self.templateId = templateId
        self.storeId = storeId
        self.kind = kind
        self.mobile = mobile
        self.providerId = providerId
        self.deliveredAt = deliveredAt
    }
}
