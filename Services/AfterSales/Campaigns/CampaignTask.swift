import Foundation
import Hummingbird
import ServiceKit

/// One car of a live campaign, followed up by an SA (招揽任务, AS4; seed §5.2), with what the
/// list shows of the car and its owner as the vehicle file has them now. `state` is a code of
/// `campaignTaskState`: `open`, `succeeded` (the car came back: `returnedRoNo`, `returnedAt`),
/// `defeated` (`defeatReason` of `afterSalesDefeatReason`), `failed` (not back by the end).
/// `customerClass` is the class at go-live, which sets the follow-up interval.
struct CampaignTaskView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var campaignId: UUID
    var campaignName: String
    var vehicleId: UUID
    var vin: String
    var plate: String?
    var brand: String?
    var series: String?
    var model: String?
    var ownerName: String
    var ownerMobile: String
    var customerClass: String
    var serviceAdvisorId: UUID?
    var serviceAdvisorName: String?
    var state: String
    /// The store's day the next follow-up is due.
    var nextFollowUpOn: String?
    var followUpCount: Int
    var lastFollowedUpAt: Date?
    var defeatReason: String?
    var defeatNote: String?
    var defeatedAt: Date?
    var returnedRoNo: String?
    var returnedAt: Date?
    var createdAt: Date
}

/// One follow-up of a task (招揽跟进记录): how (`campaignContactMethod`), what was said, the
/// result (`campaignFollowUpResult`), a note, and the day of the next follow-up.
struct CampaignFollowUpView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var taskId: UUID
    var method: String
    var content: String
    var result: String
    var note: String?
    var nextFollowUpOn: String?
    var recordedBy: UUID
    var recordedByName: String
    var recordedAt: Date
}

/// A task with its follow-ups, newest last.
struct CampaignTaskDetail: Codable, Sendable, ResponseEncodable {
    var task: CampaignTaskView
    var followUps: [CampaignFollowUpView]
}

/// `POST …/campaign-tasks/{id}/follow-ups`. `nextFollowUpOn` left out: the store's interval for
/// the task's customer class after today (`AfterSalesSettings.followUpDays`, seed §8.3).
struct NewCampaignFollowUp: Decodable, Sendable {
    var method: String?
    var content: String?
    var result: String?
    var note: String?
    var nextFollowUpOn: String?
}

/// `POST …/campaign-tasks/{id}/defeat`: a reason of the store's `afterSalesDefeatReason`
/// dictionary (seed §8.3 售后招揽战败原因), and a note.
struct CampaignDefeat: Decodable, Sendable {
    var reason: String?
    var note: String?
}

/// `POST /api/v1/after-sales/campaign-tasks/assign`: the tasks (of the caller's store, still
/// open) to give to one SA.
struct CampaignTaskAssignment: Decodable, Sendable {
    var taskIds: [UUID]
    var serviceAdvisorId: UUID
}
