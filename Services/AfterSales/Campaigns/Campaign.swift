import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A solicitation campaign (售后招揽活动, AS4; seed §5.1) as the API shows it. Codes are the
/// store's dictionaries' (`campaignKind`, `campaignContactMethod`, `campaignState`); days are
/// the store's (`yyyy-MM-dd`), instants UTC.
struct CampaignView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var kind: String
    var name: String
    /// The period (活动开始 / 结束时间), both days included.
    var startsOn: String
    var endsOn: String
    var contactMethods: [String]
    var description: String?
    /// `conditions` (单个新增: the cars the conditions select at go-live) or `list` (导入).
    var targets: CampaignTargetMode
    var conditions: CampaignConditions
    /// Cars on the imported list (a `list` campaign).
    var listedVehicles: Int
    var assignment: CampaignAssignment
    /// The SAs an `evenly` assignment spreads the tasks over (empty: the store's active SAs).
    var assigneeIds: [UUID]
    var state: String
    var publishedAt: Date?
    /// 00:00 of the go-live day on the store's clock, and the end of its last day.
    var goesLiveAt: Date?
    var endsAt: Date?
    var wentLiveAt: Date?
    var endedAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// How a campaign chooses its cars (创建方式).
enum CampaignTargetMode: String, Codable, Sendable, BodyCode {
    case conditions
    case list
}

/// How go-live assigns a campaign's tasks to service advisors.
enum CampaignAssignment: String, Codable, Sendable, BodyCode {
    /// The car's current SA (the vehicle file's, else its latest repair order's), when that
    /// name is an active SA of the store; otherwise the task waits unassigned.
    case currentServiceAdvisor = "current_sa"
    /// Round robin over `assigneeIds` (or every active SA of the store), in VIN order.
    case evenly
}

/// A campaign draft as written by the director: `POST /api/v1/after-sales/campaigns` and
/// `PUT …/{id}` (the whole draft again).
struct CampaignDraft: Decodable, Sendable {
    var kind: String?
    var name: String?
    var startsOn: String?
    var endsOn: String?
    var contactMethods: [String]?
    var description: String?
    var targets: CampaignTargetMode?
    var conditions: CampaignConditions?
    var assignment: CampaignAssignment?
    var assigneeIds: [UUID]?

    /// What a draft is checked against.
    struct Checks: Sendable {
        var kinds: StoreDictionary
        var contactMethods: StoreDictionary
        var conditions: CampaignConditions.Dictionaries
    }

    /// The draft's fields, or a 422 naming every bad one. The period may lie in the past while
    /// a draft; publishing checks that it has not ended.
    func validated(_ checks: Checks) throws -> CampaignFields {
        var check = FieldValidator()
        let kind = check.requiredCode("kind", kind, in: checks.kinds)
        let name = check.text("name", name ?? "", maxLength: 100)
        let startsOn = check.optionalDate("startsOn", startsOn)
        let endsOn = check.optionalDate("endsOn", endsOn)
        if self.startsOn?.trimmed.isEmpty ?? true { check.fail("startsOn", "is required: the first day, e.g. 2026-12-01") }
        if self.endsOn?.trimmed.isEmpty ?? true { check.fail("endsOn", "is required: the last day, e.g. 2026-12-31") }
        if let startsOn, let endsOn, startsOn > endsOn { check.fail("endsOn", "must not be before startsOn") }
        var methods: [String] = []
        if let contactMethods, !contactMethods.isEmpty {
            for (index, method) in contactMethods.enumerated() {
                if let code = check.requiredCode("contactMethods[\(index)]", method, in: checks.contactMethods), !methods.contains(code) {
                    methods.append(code)
                }
            }
        } else {
            check.fail("contactMethods", "needs at least one; one of: \(checks.contactMethods.allowedText)")
        }
        let description = check.optionalText("description", description, maxLength: FieldValidator.freeTextLength)
        let mode = targets ?? .conditions
        let conditions = (conditions ?? CampaignConditions()).validated(&check, checks.conditions)
        if mode == .list, conditions != CampaignConditions() {
            check.fail("conditions", "must be left out when targets is list: the imported cars are the targets")
        }
        let assigneeIds = Array(Set(assigneeIds ?? []))
        if assigneeIds.count > 200 { check.fail("assigneeIds", "must name at most 200 service advisors") }
        try check.throwIfInvalid()
        return CampaignFields(
            kind: kind!, name: name, startsOn: startsOn!, endsOn: endsOn!, contactMethods: methods, description: description,
            targets: mode, conditions: conditions, assignment: assignment ?? .currentServiceAdvisor, assigneeIds: assigneeIds.sorted {
                $0.uuidString < $1.uuidString
            })
    }
}

/// A draft's checked fields, as stored.
struct CampaignFields: Sendable {
    var kind: String
    var name: String
    var startsOn: String
    var endsOn: String
    var contactMethods: [String]
    var description: String?
    var targets: CampaignTargetMode
    var conditions: CampaignConditions
    var assignment: CampaignAssignment
    var assigneeIds: [UUID]
}

/// A campaign's figures (AS4 statistics): `targeted` tasks, of which `contacted` have at least
/// one follow-up, `back` came back (招揽成功), `defeated` were given up, `failed` did not come
/// back by the end, `open` are still followed up. `successRate` = back / targeted, rounded to
/// four decimals (0 when nothing is targeted).
struct CampaignStatistics: Codable, Sendable, ResponseEncodable {
    var campaignId: UUID
    var targeted: Int
    var contacted: Int
    var back: Int
    var defeated: Int
    var failed: Int
    var open: Int
    var successRate: Double
}
