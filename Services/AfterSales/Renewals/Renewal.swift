import Contracts
import Foundation
import Hummingbird
import ServiceKit

// Insurance renewal solicitation (续保招揽, SPEC AS6; seed 000 §5.3, §8.3 续保招揽设置).
//
// A car's renewal task opens on the store's day `insuranceExpiry − level1Days` (stage 1,
// 一级续保招揽) and moves to stage 2 (二级续保招揽) on `insuranceExpiry − level2Days`
// (`RenewalSettings`, defaults 90 and 30 days). It succeeds (续保成功, `renewed`) when a renewed
// policy is recorded by hand or received from the ERP on or before `insuranceExpiry`, the
// policy's last day; it fails when that day passes (`expired`, the background pass) or when a
// specialist defeats it with a reason (`defeated`). A renewal's new expiry becomes the car's
// insurance expiry, and the next cycle's task opens when that expiry minus `level1Days` comes.

/// A renewal task's stage (dictionary `renewalStage`).
enum RenewalStage: String, Codable, Sendable, CaseIterable {
    case level1, level2
}

/// A renewal task's state (dictionary `renewalState`): `open`, then one of `renewed`
/// (success), `expired` or `defeated` (failure).
enum RenewalState: String, Codable, Sendable, CaseIterable {
    case open, renewed, expired, defeated
}

/// One renewal task as the API shows it: the task, the car as its file says now, who follows
/// it up, and — once renewed — the policy. Days are `yyyy-MM-dd` on the store's calendar,
/// instants UTC. `followUps` only in `GET /renewal-tasks/{id}`, oldest first.
struct RenewalTaskView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var vehicleId: UUID
    var vin: String
    var plate: String?
    var brand: String?
    var series: String?
    var model: String?
    var ownerName: String
    var ownerMobile: String
    /// The last day of the policy this task is about.
    var insuranceExpiry: String
    var stage: RenewalStage
    var state: RenewalState
    var assigneeId: UUID?
    var assigneeName: String?
    var assignedAt: Date?
    /// The store's day the task opened (续保提醒生成时间).
    var createdOn: String
    var nextFollowUpOn: String?
    var lastFollowUpAt: Date?
    /// A code of the dictionary `afterSalesDefeatReason`, when `defeated`.
    var defeatReason: String?
    /// When the task was renewed, expired or defeated.
    var closedAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var renewal: InsuranceRenewalView?
    var followUps: [RenewalFollowUpView]?
}

/// A renewed policy (保险记录): premium in yuan; `issuedOn` is the store's day it was issued.
struct InsuranceRenewalView: Codable, Sendable {
    var id: UUID
    var insurer: String
    var policyNo: String
    var premium: Decimal
    var newExpiry: String
    var issuedOn: String
    /// `crm` (entered by hand) or `erp` (`erp.insurance_policy.issued.v1`).
    var source: String
    var recordedBy: UUID?
    var recordedAt: Date
}

/// A follow-up record (续保招揽跟进记录): the task's stage then, who, when, the note, the next
/// follow-up day and, on the record that defeated the task, the reason.
struct RenewalFollowUpView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var stage: RenewalStage
    var authorId: UUID
    var authorName: String?
    var recordedAt: Date
    var note: String
    var defeatReason: String?
    var nextFollowUpOn: String?
}

/// The body of `PUT /renewal-tasks/{id}/assignee`.
struct RenewalAssignment: Decodable {
    /// An active renewal specialist (续保专员, role `renewal`) of the task's store.
    var assigneeId: UUID
}

/// The body of `POST /renewal-tasks/{id}/follow-ups`.
struct RenewalFollowUpInput: Decodable {
    /// What was said, 1–500 characters.
    var note: String
    /// True defeats the task (战败): `defeatReason` is then required.
    var defeated: Bool?
    /// A code of the store's dictionary `afterSalesDefeatReason`; only with `defeated`.
    var defeatReason: String?
    /// The day to call again, `yyyy-MM-dd`, today or later; not with `defeated`.
    var nextFollowUpOn: String?

    /// What to record, or a 422 naming every bad field: a defeat without a reason lists the
    /// store's reasons with their labels.
    func validated(reasons: StoreDictionary, today: String) throws -> RenewalFollowUp {
        var check = FieldValidator()
        let note = check.text("note", note, maxLength: FieldValidator.freeTextLength)
        let defeated = defeated ?? false
        var reason: String?
        if defeated {
            reason = check.requiredCode("defeatReason", defeatReason, in: reasons)
            check.require(nextFollowUpOn?.trimmed.isEmpty ?? true, "nextFollowUpOn", "must be left out when the task is defeated")
        } else {
            check.require(
                defeatReason?.trimmed.isEmpty ?? true, "defeatReason",
                "is only given with \"defeated\": true, which ends the task as defeated")
        }
        let next = defeated ? nil : check.optionalDate("nextFollowUpOn", nextFollowUpOn)
        if let next { check.require(next >= today, "nextFollowUpOn", "must be today (\(today)) or later") }
        try check.throwIfInvalid()
        return RenewalFollowUp(note: note, defeatReason: reason, nextFollowUpOn: next)
    }
}

/// A checked follow-up; `defeatReason` set means the task is defeated.
struct RenewalFollowUp: Sendable {
    var note: String
    var defeatReason: String?
    var nextFollowUpOn: String?
}

/// The body of `POST /renewal-tasks/{id}/renewal`: the renewed policy, issued today.
struct RenewalInput: Decodable {
    /// The insurer (保险公司), 1–100 characters.
    var insurer: String
    /// The policy number (保单号), 1–50 characters.
    var policyNo: String
    /// The premium (保费), yuan, at most two decimals.
    var premium: Decimal
    /// The new policy's last day, `yyyy-MM-dd`, after the expiring policy's.
    var newExpiry: String

    /// What to record, or a 422 naming every bad field.
    func validated(oldExpiry: String) throws -> InsurancePolicy {
        var check = FieldValidator()
        let insurer = check.text("insurer", insurer, maxLength: InsurancePolicy.insurerLength)
        let policyNo = check.text("policyNo", policyNo, maxLength: InsurancePolicy.policyNoLength)
        check.money("premium", premium, maximum: InsurancePolicy.maximumPremium)
        var newExpiry = newExpiry.trimmed
        if CalendarDate.parse(newExpiry) == nil {
            check.fail("newExpiry", "must be a date written yyyy-MM-dd, e.g. 2027-03-18")
            newExpiry = ""
        } else {
            check.require(newExpiry > oldExpiry, "newExpiry", "must be after the expiring policy's last day (\(oldExpiry))")
            // Car insurance in China runs a year; a few years' slack, not a typo's 2199 that
            // would stop the car's renewals for good.
            let latest = ServiceClock.day(oldExpiry, plus: InsurancePolicy.longestTermDays)
            check.require(newExpiry <= latest, "newExpiry", "must be at most 3 years after the expiring policy's last day (\(latest))")
        }
        try check.throwIfInvalid()
        return InsurancePolicy(insurer: insurer, policyNo: policyNo, premium: premium, newExpiry: newExpiry)
    }
}

/// A renewed policy to record, from staff or the ERP.
struct InsurancePolicy: Sendable {
    static let insurerLength = 100
    static let policyNoLength = 50
    /// The largest premium a write takes, yuan.
    static let maximumPremium: Decimal = 1_000_000
    /// The longest a renewed policy may run past the old one's last day, days (3 years).
    static let longestTermDays = 3 * 366

    var insurer: String
    var policyNo: String
    /// Yuan.
    var premium: Decimal
    /// `yyyy-MM-dd`.
    var newExpiry: String
}
