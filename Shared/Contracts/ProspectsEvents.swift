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
