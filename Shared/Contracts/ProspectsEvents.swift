import Foundation

// Events published by the Prospects service.

/// An online lead came to the showroom and is a prospect now (L9, P2): Leads marks it arrived
/// and stops its follow-up tasks.
public struct LeadArrived: EventPayload, Equatable {
    public static let eventType = "prospects.lead.arrived.v1"

    public var leadId: UUID
    public var storeId: UUID
    /// The prospect the lead's data was carried over to.
    public var prospectId: UUID
    public var arrivedAt: Date

    public init(leadId: UUID, storeId: UUID, prospectId: UUID, arrivedAt: Date) {
        self.leadId = leadId
        self.storeId = storeId
        self.prospectId = prospectId
        self.arrivedAt = arrivedAt
    }
}

/// A consultant recorded a follow-up of a prospect (P5): CustomerService opens a prospect
/// visit task (销售潜客任务, CS3) to check on it.
public struct ProspectFollowUpRecorded: EventPayload, Equatable {
    public static let eventType = "prospects.follow_up.recorded.v1"

    public var followUpId: UUID
    /// The number staff see (GJ…), unique within the store.
    public var followUpNo: String
    public var prospectId: UUID
    public var storeId: UUID
    public var customer: Person
    /// The intent level after the follow-up: H, A, B, C or O.
    public var level: String
    /// visit, showroom, phone, email, sms or mail.
    public var method: String
    public var brand: String?
    public var series: String?
    public var model: String?
    /// The consultant's display name.
    public var consultant: String
    public var recordedAt: Date

    public init(
        followUpId: UUID, followUpNo: String, prospectId: UUID, storeId: UUID, customer: Person, level: String, method: String,
        brand: String?, series: String?, model: String?, consultant: String, recordedAt: Date
    ) {
        self.followUpId = followUpId
        self.followUpNo = followUpNo
        self.prospectId = prospectId
        self.storeId = storeId
        self.customer = customer
        self.level = level
        self.method = method
        self.brand = brand
        self.series = series
        self.model = model
        self.consultant = consultant
        self.recordedAt = recordedAt
    }
}

/// A prospect was created or changed (P1–P10): the whole prospect as it is now, for a service
/// that keeps a read model of the store's customers — Coupons filters on it to issue coupons
/// (C2) and finds the old customer of a referral (老带新, C6) by `referrerMobile`.
///
/// Prospects publishes it in the transaction of every write that creates a prospect or changes
/// a field below: traffic registration and import (P1, P2), assignment (P3), follow-up (P5),
/// defeat, its approval and re-activation, the defeat pool (P7), the public pool and the
/// recycle bin (P8), and the ERP's orders and deliveries (P10). A reader upserts by
/// `prospectId` and ignores an event whose `changedAt` is older than its copy's: an event sent
/// once too often carries the same state and changes nothing, a missing one would leave the
/// copy stale.
public struct ProspectChanged: EventPayload, Equatable {
    public static let eventType = "prospects.prospect.changed.v1"

    public var prospectId: UUID
    /// The CRM's id of the store; a store has one prospect per mobile.
    public var storeId: UUID
    public var name: String
    /// Normalised: 11 digits.
    public var mobile: String
    /// `male` or `female`, when known.
    public var gender: String?
    public var province: String?
    public var city: String?
    /// 客户来源: a code of the store's dictionary `prospectSource` — the built-in `walk_in`,
    /// `referral` (老客户介绍), `showroom_event`, `factory_direct`, `secondary_dealer`,
    /// `repurchase`, `other`, a store's own code, or the system's `online_lead` (an online lead
    /// that came to the showroom) and `defeat_pool` (taken from another store's defeat pool).
    public var source: String
    /// 意向级别: H buys within 7 days, A within 15, B within 30, C later; O has an order.
    public var level: String
    /// The car the prospect is interested in (意向品牌 / 车系 / 车型), when known.
    public var brand: String?
    public var series: String?
    public var model: String?
    /// `active`, `defeat_pending` (a defeat waits for approval), `defeated`, `ordered` (the ERP
    /// has a sales order) or `delivered` (the car was handed over: an owner now).
    public var state: String
    /// The sales consultant who follows the prospect up; nil while unassigned or in the public pool.
    public var consultantId: UUID?
    /// 老带新: the mobile (11 digits) of the old customer who referred the prospect, as the
    /// showroom registered it with the source `referral`. It may equal `mobile`: a self-referral
    /// is kept as registered, and the referral rule decides what it earns (nothing).
    public var referrerMobile: String?
    /// In the recycle bin (回收站, P8): deleted by staff, until restored.
    public var inRecycleBin: Bool
    /// When the prospect was announced, on Prospects' database clock: a later change of the
    /// prospect always carries a later time.
    public var changedAt: Date

    public init(
        prospectId: UUID, storeId: UUID, name: String, mobile: String, gender: String?, province: String?, city: String?,
        source: String, level: String, brand: String?, series: String?, model: String?, state: String, consultantId: UUID?,
        referrerMobile: String?, inRecycleBin: Bool, changedAt: Date
    ) {
        self.prospectId = prospectId
        self.storeId = storeId
        self.name = name
        self.mobile = mobile
        self.gender = gender
        self.province = province
        self.city = city
        self.source = source
        self.level = level
        self.brand = brand
        self.series = series
        self.model = model
        self.state = state
        self.consultantId = consultantId
        self.referrerMobile = referrerMobile
        self.inRecycleBin = inRecycleBin
        self.changedAt = changedAt
    }
}

/// A prospect came to the showroom (到店): traffic was registered for it (P1, one by one or
/// imported) — the 到店 node of the referral rule (老带新, C6), which gives coupons to the old
/// customer (`referrerMobile`) and/or the new one.
///
/// Published once per traffic record, in the transaction that registers it; a registration
/// whose transaction rolls back (an import's dry run) publishes nothing. Unlike
/// `prospects.lead.arrived.v1`, which tells Leads that one of its online leads became a
/// prospect, it is published for every arrival of every prospect.
public struct ProspectArrived: EventPayload, Equatable {
    public static let eventType = "prospects.prospect.arrived.v1"

    public var prospectId: UUID
    /// The traffic record (流量登记) of this arrival.
    public var trafficId: UUID
    public var storeId: UUID
    /// The prospect's name and mobile (11 digits) after the registration.
    public var name: String
    public var mobile: String
    /// The old customer who referred the prospect (11 digits), as on file after the
    /// registration: this visit's, or an earlier visit's when this one named none. It may equal
    /// `mobile` (a self-referral, kept as registered).
    public var referrerMobile: String?
    /// 客户来源 the visit was registered with: a code of the store's dictionary `prospectSource`
    /// (`referral` for 老客户介绍). For an online lead's first visit the prospect's own source is
    /// `online_lead`, while this stays what the form said.
    public var source: String
    /// 到店时间, as registered.
    public var arrivedAt: Date
    /// No traffic of the prospect was registered before this one: its first visit as far as the
    /// store knows (in registration order; an import of older visits counts them as they come).
    public var firstArrival: Bool

    public init(
        prospectId: UUID, trafficId: UUID, storeId: UUID, name: String, mobile: String, referrerMobile: String?,
        source: String, arrivedAt: Date, firstArrival: Bool
    ) {
        self.prospectId = prospectId
        self.trafficId = trafficId
        self.storeId = storeId
        self.name = name
        self.mobile = mobile
        self.referrerMobile = referrerMobile
        self.source = source
        self.arrivedAt = arrivedAt
        self.firstArrival = firstArrival
    }
}

/// A prospect bought a car (购车): the ERP's first sales order for the prospect's mobile made it
/// `ordered` (P10) — the 购车 node of the referral rule (老带新, C6).
///
/// Published once per prospect, in the transaction that handles the ERP's
/// `erp.sales_order.created.v1` — or `erp.vehicle.delivered.v1`, when the delivery is the
/// first the CRM hears of the order. A redelivered ERP event is skipped by the inbox, and a
/// prospect that is `ordered` or `delivered` already is not announced again, whatever order
/// the ERP sends next.
public struct ProspectPurchased: EventPayload, Equatable {
    public static let eventType = "prospects.prospect.purchased.v1"

    public var prospectId: UUID
    public var storeId: UUID
    public var name: String
    /// 11 digits.
    public var mobile: String
    /// The old customer who referred the prospect (11 digits), if one was registered; it may
    /// equal `mobile` (a self-referral, kept as registered).
    public var referrerMobile: String?
    /// The ERP's sales-order number (订单号) that made the prospect a buyer.
    public var orderNo: String
    /// When the ERP created the order (下单时间); the handover time when the delivery came first.
    public var orderedAt: Date

    public init(
        prospectId: UUID, storeId: UUID, name: String, mobile: String, referrerMobile: String?, orderNo: String, orderedAt: Date
    ) {
        self.prospectId = prospectId
        self.storeId = storeId
        self.name = name
        self.mobile = mobile
        self.referrerMobile = referrerMobile
        self.orderNo = orderNo
        self.orderedAt = orderedAt
    }
}
