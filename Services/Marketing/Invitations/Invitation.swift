import Foundation
import Hummingbird
import ServiceKit

/// Whom the marketing manager invites to an event, and which consultant follows them up
/// (`POST /api/v1/marketing/events/{id}/invitations`; 邀约任务创建, M3): customers by mobile, or
/// prospects Marketing knows (`GET /api/v1/marketing/customers`) by id — at least one of either,
/// at most 1,000 in all. A customer already invited to the event keeps their task and is skipped.
struct InvitationDraft: Decodable, Sendable {
    /// An active user of the store: the consultant who follows these customers up.
    var consultantId: UUID
    var customers: [Invitee]?
    var prospectIds: [UUID]?

    struct Invitee: Decodable, Sendable {
        var mobile: String
        var name: String?
    }
}

/// What creating invitation tasks did.
struct InvitationBatch: Codable, Sendable, ResponseEncodable {
    var created: [InvitationTaskView]
    /// Customers already invited to the event (their task stays), by mobile.
    var skipped: [SkippedInvitee]
}

struct SkippedInvitee: Codable, Sendable {
    var mobile: String
    var taskId: UUID
}

/// One customer to invite to one event (邀约任务), as the manager and the consultant see it.
struct InvitationTaskView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var eventId: UUID
    var eventNumber: String
    var eventName: String
    /// When the event begins on the store's clock, `yyyy-MM-dd HH:mm`.
    var eventStartsAtLocal: String
    var mobile: String
    var name: String?
    /// The prospect the customer was picked from, if any.
    var prospectId: UUID?
    var consultantId: UUID
    var consultantName: String?
    /// The last follow-up's result (`invitationResult`: invited, declined, unreachable); nil before the first.
    var result: String?
    var followUpCount: Int
    var lastFollowUpAt: Date?
    /// The day of the next follow-up on the store's calendar (`yyyy-MM-dd`), as the last follow-up planned it.
    var nextFollowUpOn: String?
    var createdAt: Date
}

/// A consultant's follow-up of an invitation task (`POST /api/v1/marketing/invitations/{id}/follow-ups`;
/// 邀约任务跟进, M3).
struct InvitationFollowUpDraft: Decodable, Sendable {
    /// `invitationMethod`: phone, sms, wechat, visit, other.
    var method: String
    /// What was said.
    var content: String
    /// `invitationResult`: invited (已邀约), declined (拒绝), unreachable (无法联系).
    var result: String
    var note: String?
    /// The next follow-up's day on the store's calendar (`yyyy-MM-dd`), today or later.
    var nextFollowUpOn: String?
}

struct InvitationFollowUpView: Codable, Sendable {
    var id: UUID
    var method: String
    var content: String
    var result: String
    var note: String?
    var nextFollowUpOn: String?
    var recordedBy: UUID
    var recordedByName: String?
    var recordedAt: Date
}

/// A task with its follow-ups, oldest first.
struct InvitationTaskDetail: Codable, Sendable, ResponseEncodable {
    var task: InvitationTaskView
    var followUps: [InvitationFollowUpView]
}
