import Foundation

// Events published by the CustomerService service.

/// The level of a complaint (投诉级别); it sets the handling deadline.
public enum ComplaintLevel: String, Codable, Sendable, CaseIterable {
    /// 轻微
    case minor
    /// 一般
    case general
    /// 紧急
    case urgent
    /// 严重
    case severe
}

/// A complaint was opened — by hand, or automatically from a dissatisfied visit answer.
public struct ComplaintOpened: EventPayload, Equatable {
    public static let eventType = "customerservice.complaint.opened.v1"

    public var complaintId: UUID
    public var storeId: UUID
    /// The number staff see (KS…).
    public var complaintNo: String
    public var level: ComplaintLevel
    public var complainant: Person
    public var content: String
    /// The repair order complained about, when there is one.
    public var roNo: String?
    public var plate: String?
    /// The visit whose answer opened it, when it was opened from a visit.
    public var visitId: UUID?
    public var openedAt: Date
    /// When handling must be finished: `openedAt` plus the level's allowance.
    public var dueAt: Date

    public init(
        complaintId: UUID, storeId: UUID, complaintNo: String, level: ComplaintLevel, complainant: Person,
        content: String, roNo: String?, plate: String?, visitId: UUID?, openedAt: Date, dueAt: Date
    ) {
        self.complaintId = complaintId
        self.storeId = storeId
        self.complaintNo = complaintNo
        self.level = level
        self.complainant = complainant
        self.content = content
        self.roNo = roNo
        self.plate = plate
        self.visitId = visitId
        self.openedAt = openedAt
        self.dueAt = dueAt
    }
}
