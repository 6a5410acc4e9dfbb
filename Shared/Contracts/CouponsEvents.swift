import Foundation

// Events published by the Coupons service, for the services that react to coupons (SMS,
// dashboards). One event per coupon: a push of 10,000 coupons is 10,000 events.

/// A coupon was issued to a customer (C2): pushed by an issuing task, claimed from a claim
/// link, or given by the referral rule (C6).
public struct CouponIssued: EventPayload, Equatable {
    public static let eventType = "coupons.coupon.issued.v1"

    public var couponId: UUID
    /// The code the customer shows and staff type (16 digits, the last a check digit).
    public var code: String
    /// The definition's id and the number staff quote (M…).
    public var definitionId: UUID
    public var definitionNumber: String
    public var name: String
    /// `couponKind` code: general, item, package, cash, points.
    public var kind: String
    /// Yuan, two decimals; nil for a coupon that covers items or a package instead.
    public var faceValue: Decimal?
    /// The issuing store; `usableIn` is `store` (that store only) or `group` (every store of its group).
    public var storeId: UUID
    public var usableIn: String
    public var mobile: String
    public var customerName: String?
    /// The issuing task (KS…, TJ…, DB…), absent for a referral coupon.
    public var taskId: UUID?
    public var taskNumber: String?
    /// First and last day of validity on the issuing store's calendar (`yyyy-MM-dd`), and the
    /// instant it stops being valid (00:00 of the next day there).
    public var effectiveFrom: Date
    public var lastDay: String
    public var effectiveUntil: Date
    public var issuedAt: Date

    public init(
        couponId: UUID, code: String, definitionId: UUID, definitionNumber: String, name: String, kind: String,
        faceValue: Decimal?, storeId: UUID, usableIn: String, mobile: String, customerName: String?, taskId: UUID?,
        taskNumber: String?, effectiveFrom: Date, lastDay: String, effectiveUntil: Date, issuedAt: Date
    ) {
        self.couponId = couponId
        self.code = code
        self.definitionId = definitionId
        self.definitionNumber = definitionNumber
        self.name = name
        self.kind = kind
        self.faceValue = faceValue
        self.storeId = storeId
        self.usableIn = usableIn
        self.mobile = mobile
        self.customerName = customerName
        self.taskId = taskId
        self.taskNumber = taskNumber
        self.effectiveFrom = effectiveFrom
        self.lastDay = lastDay
        self.effectiveUntil = effectiveUntil
        self.issuedAt = issuedAt
    }
}

/// A coupon was redeemed (核销, C4) — or a redemption was undone (`undone` true: the order was
/// cancelled and the coupon is unused again, or expired if its last day has passed). An undo
/// carries the redemption it undoes (`redeemedBy`, `redeemedAt`, the order) and who undid it when.
public struct CouponRedeemed: EventPayload, Equatable {
    public static let eventType = "coupons.coupon.redeemed.v1"

    public var couponId: UUID
    public var code: String
    public var definitionId: UUID
    public var mobile: String
    /// The store where it was used, who used it and on which order (`couponOrderKind`:
    /// repair_order, sales_order), with the order's amount in yuan.
    public var storeId: UUID
    public var redeemedBy: UUID
    public var orderKind: String
    public var orderNumber: String
    public var orderAmount: Decimal
    public var faceValue: Decimal?
    public var redeemedAt: Date
    public var undone: Bool
    public var undoneBy: UUID?
    public var undoneAt: Date?

    public init(
        couponId: UUID, code: String, definitionId: UUID, mobile: String, storeId: UUID, redeemedBy: UUID,
        orderKind: String, orderNumber: String, orderAmount: Decimal, faceValue: Decimal?, redeemedAt: Date, undone: Bool,
        undoneBy: UUID? = nil, undoneAt: Date? = nil
    ) {
        self.couponId = couponId
        self.code = code
        self.definitionId = definitionId
        self.mobile = mobile
        self.storeId = storeId
        self.redeemedBy = redeemedBy
        self.orderKind = orderKind
        self.orderNumber = orderNumber
        self.orderAmount = orderAmount
        self.faceValue = faceValue
        self.redeemedAt = redeemedAt
        self.undone = undone
        self.undoneBy = undoneBy
        self.undoneAt = undoneAt
    }
}

/// An unused coupon was revoked (删除, C5) — at once, or when HQ approved the revocation.
public struct CouponRevoked: EventPayload, Equatable {
    public static let eventType = "coupons.coupon.revoked.v1"

    public var couponId: UUID
    public var code: String
    public var definitionId: UUID
    public var storeId: UUID
    public var mobile: String
    /// The customer's explanation (客户说明) given with the request.
    public var explanation: String
    public var requestedBy: UUID
    /// Who approved it, when the group's approval switch was on.
    public var approvedBy: UUID?
    public var revokedAt: Date

    public init(
        couponId: UUID, code: String, definitionId: UUID, storeId: UUID, mobile: String, explanation: String,
        requestedBy: UUID, approvedBy: UUID?, revokedAt: Date
    ) {
        self.couponId = couponId
        self.code = code
        self.definitionId = definitionId
        self.storeId = storeId
        self.mobile = mobile
        self.explanation = explanation
        self.requestedBy = requestedBy
        self.approvedBy = approvedBy
        self.revokedAt = revokedAt
    }
}
