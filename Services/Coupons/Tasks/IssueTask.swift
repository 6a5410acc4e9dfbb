import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// How an issuing task finds its customers (`couponTaskKind`, C2; seed §6.2). The number
/// prefix is the seed's: KS… quick, TJ… conditional, DB… imported.
enum IssueTaskKind: String, Codable, Sendable {
    /// One customer, by mobile and name (快速发券).
    case quick
    /// Every customer matching filters (条件发券). A claim task with no filters may be claimed by
    /// anyone with a mobile — the WeChat page passed around.
    case conditional
    /// The customers of an uploaded list (导表发券).
    case imported

    var numberPrefix: String {
        switch self {
        case .quick: "KS"
        case .conditional: "TJ"
        case .imported: "DB"
        }
    }
}

/// How coupons reach the customers (`couponIssueMode`): issued at publishing (发券), or claimed
/// by each customer from the task's link (领券).
enum IssueMode: String, Codable, Sendable {
    case push
    case claim
}

/// Where an issuing task is (`couponTaskState`): a draft; waiting for a manager while the
/// store's approval switch is on; rejected (editable again); issued (a push, done); claiming
/// (a claim task's link is open); closed (the link is shut).
enum IssueTaskState: String, Codable, Sendable {
    case draft
    case awaitingApproval = "awaiting_approval"
    case rejected
    case issued
    case claiming
    case closed

    /// Whether the task may still be edited, deleted or published.
    var isEditable: Bool { self == .draft || self == .rejected }
}

/// A task as staff write it (`POST /coupons/tasks`; `PUT` for the whole task again).
struct IssueTaskDraft: Decodable, Sendable {
    var kind: String?
    /// Optional; a quick task is named `快速发券_<number>` as in the seed.
    var name: String?
    var definitionId: UUID
    var mode: String?
    /// Coupons per customer (单人券数); 1 if left out.
    var perPerson: Int?
    /// The customer of a quick task.
    var recipient: RecipientDraft?
    /// Who a conditional task is for (`CouponConditions`); left out, every customer of the store.
    var conditions: CouponConditions?

    struct RecipientDraft: Decodable, Sendable {
        var mobile: String
        var name: String?
    }
}

/// A checked task, ready to store.
struct IssueTaskFields: Sendable {
    var kind: IssueTaskKind
    var name: String?
    var definitionID: UUID
    var mode: IssueMode
    var perPerson: Int
    var recipient: CouponRecipient?
    var conditions: CouponConditions

    init(checking draft: IssueTaskDraft, dictionaries: StoreDictionaries) throws {
        var check = FieldValidator()
        let kind = check.requiredCode("kind", draft.kind, in: dictionaries[DataDictionaries.couponTaskKind], as: IssueTaskKind.self)
        self.kind = kind ?? .quick
        name = check.optionalText("name", draft.name, maxLength: 60)
        definitionID = draft.definitionId
        mode = check.requiredCode("mode", draft.mode, in: dictionaries[DataDictionaries.couponIssueMode], as: IssueMode.self) ?? .push
        perPerson = draft.perPerson ?? 1
        check.range("perPerson", perPerson, 1...100)
        switch kind {
        case .quick:
            if let recipient = draft.recipient {
                let mobile = check.mobile("recipient.mobile", recipient.mobile)
                let name = check.optionalText("recipient.name", recipient.name, maxLength: 30)
                self.recipient = CouponRecipient(mobile: mobile, name: name)
            } else {
                check.fail("recipient", "is required for a quick task: the customer's mobile and name")
            }
        case .conditional, .imported:
            check.require(draft.recipient == nil, "recipient", "is only for a quick task; an imported task takes a list, a conditional one filters")
        case nil:
            break
        }
        conditions = CouponConditions()
        if kind == .conditional, let given = draft.conditions {
            do {
                conditions = try given.checked(dictionaries: dictionaries)
            } catch let problem as ProblemDetails {
                for error in problem.errors ?? [] { check.fail(error.field, error.message) }
            }
        } else if draft.conditions != nil {
            check.fail("conditions", "are only for a conditional task (条件发券)")
        }
        try check.throwIfInvalid()
    }
}

/// A task as the API shows it.
struct IssueTaskView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// KS… / TJ… / DB… + the store's day + a sequence: `KS2612010001`.
    var number: String
    var kind: String
    var name: String
    var definitionId: UUID
    var definitionNumber: String
    var definitionName: String
    var mode: String
    var perPerson: Int
    var state: String
    /// Customers listed (quick: 1; imported: the list).
    var recipients: Int
    var recipient: Recipient?
    /// A conditional task's conditions (empty: every customer; for a claim task, anyone).
    var conditions: CouponConditions
    /// Where a customer claims (领券链接), once a claim task is open: the gateway's public path.
    var claimPath: String?
    var customersIssued: Int
    var couponsIssued: Int
    var customersSkipped: Int
    var couponsUsed: Int
    var createdBy: UUID
    var createdAt: Date
    var publishedAt: Date?
    var decidedBy: UUID?
    var decidedAt: Date?
    var rejectionReason: String?
    var issuedAt: Date?

    struct Recipient: Codable, Sendable {
        var mobile: String
        var name: String?
    }
}

/// How many customers a conditional task's conditions select now, and the first of them.
struct IssueTaskPreview: Codable, Sendable, ResponseEncodable {
    var customers: Int
    var first: [IssueTaskView.Recipient]
}

/// What publishing or approving a push did: the task, and who was skipped at their limit.
struct IssueTaskResult: Codable, Sendable, ResponseEncodable {
    var task: IssueTaskView
    /// Mobiles that already held as many coupons of the definition as its per-customer limit
    /// allows; they got none (the first 100).
    var skippedAtLimit: [String]
}
