import Foundation

// Events published by the Leads service.

/// A lead was entered or changed (L9): its latest state, for whoever keeps a copy.
///
/// Prospects keeps the store's online leads by mobile so that a showroom visitor who was an
/// online lead brings the lead's data along (P2). An event with an older `changedAt` than the
/// copy is stale and ignored, so redelivery and reordering are harmless.
public struct LeadChanged: EventPayload, Equatable {
    public static let eventType = "leads.lead.changed.v1"

    public var leadId: UUID
    public var storeId: UUID
    public var name: String
    /// Normalised: 11 digits.
    public var mobile: String
    /// `male` or `female`.
    public var gender: String?
    /// autohome, yiche, dongchedi, website, phone or other.
    public var source: String
    public var province: String?
    public var city: String?
    public var brand: String?
    public var series: String?
    public var model: String?
    /// Intent level: H, A, B or C.
    public var level: String
    /// `new`, `assigned`, `defeated`, or `arrived` (came to the showroom: a prospect now).
    public var state: String
    /// The online-sales consultant working the lead.
    public var consultantId: UUID?
    public var note: String?
    public var changedAt: Date

    public init(
        leadId: UUID, storeId: UUID, name: String, mobile: String, gender: String?, source: String,
        province: String?, city: String?, brand: String?, series: String?, model: String?, level: String,
        state: String, consultantId: UUID?, note: String?, changedAt: Date
    ) {
        self.leadId = leadId
        self.storeId = storeId
        self.name = name
        self.mobile = mobile
        self.gender = gender
        self.source = source
        self.province = province
        self.city = city
        self.brand = brand
        self.series = series
        self.model = model
        self.level = level
        self.state = state
        self.consultantId = consultantId
        self.note = note
        self.changedAt = changedAt
    }
}
