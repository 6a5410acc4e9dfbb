import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A complaint (投诉, CS5) as the API shows it.
struct ComplaintView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var complaintNo: String
    /// `visit` when a dissatisfied visit answer opened it; otherwise how it came in. A code of
    /// the dictionary `complaintSource`.
    var source: String
    /// `pending` → `in_progress` → `resolved` → `closed` (dictionary `complaintState`).
    var state: String
    /// Dictionary `complaintLevel`.
    var level: ComplaintLevel
    /// A code of the store's dictionary `complaintCategory` (an open set: the store's own codes
    /// too); a complaint opened before G5 may hold free text, shown as written.
    var category: String
    var complainantName: String
    /// Dictionary `gender`.
    var complainantGender: String?
    var complainantMobile: String
    var content: String
    var roNo: String?
    var plate: String?
    var vin: String?
    var model: String?
    var technician: String?
    var serviceStaff: String?
    var department: String?
    var employee: String?
    var visitId: UUID?
    var taskId: UUID?
    var handlerId: UUID?
    var handlerName: String?
    var openedBy: UUID?
    var receivedAt: Date
    var dueAt: Date
    /// Still open after its deadline (超时).
    var overdue: Bool
    var resolvedAt: Date?
    var closedAt: Date?
    /// The handling record; only in a single complaint's response.
    var entries: [ComplaintEntryView]?
}

struct ComplaintEntryView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// `feedback` (责任人反馈), `plan` (处理方案), `follow_up` (回访反馈), `improvement` (改善建议),
    /// `note`; `state` and `assignment` are written by the service.
    var kind: String
    var text: String
    var authorId: UUID?
    var createdAt: Date
}

enum ComplaintState: String, CaseIterable, Sendable {
    case pending
    case inProgress = "in_progress"
    case resolved
    case closed

    /// The moves a complaint may make (CS6). A resolved complaint may be taken up again.
    func canMove(to next: ComplaintState) -> Bool {
        switch (self, next) {
        case (.pending, .inProgress), (.inProgress, .resolved), (.resolved, .closed), (.resolved, .inProgress): return true
        default: return false
        }
    }
}

enum ComplaintSource: String, CaseIterable, Sendable {
    case visit, phone
    case walkIn = "walk_in"
    case online, other
}

extension ComplaintLevel {
    /// How long handling may take from receipt: the deadline of CS6.
    var allowance: TimeInterval {
        switch self {
        case .minor: return 7 * 24 * 3600
        case .general: return 3 * 24 * 3600
        case .urgent: return 24 * 3600
        case .severe: return 4 * 3600
        }
    }
}

/// A complaint opened by hand. Coded fields are read as text and checked against the store's
/// dictionaries with the other fields, so that one 422 names every bad field.
struct NewComplaint: Decodable {
    var complainantName: String
    var complainantMobile: String
    /// Dictionary `gender`.
    var complainantGender: String?
    /// Dictionary `complaintSource`, except `visit`.
    var source: String
    /// Dictionary `complaintCategory`: a built-in code or one the store added.
    var category: String
    /// Dictionary `complaintLevel`.
    var level: String
    var content: String
    var roNo: String?
    var plate: String?
    var vin: String?
    var model: String?
    var technician: String?
    var serviceStaff: String?
    var department: String?
    var employee: String?
    var receivedAt: Date?
    var handlerId: UUID?
}

/// Everything a complaint is created from, checked.
struct ComplaintDraft: Sendable {
    /// The category of the complaint a dissatisfied visit opens (回访不满意).
    static let dissatisfiedVisitCategory = "dissatisfied_visit"

    var source: ComplaintSource
    var level: ComplaintLevel
    /// A code of the dictionary `complaintCategory`.
    var category: String
    var complainant: Person
    var gender: String?
    var content: String
    var roNo: String?
    var plate: String?
    var vin: String?
    var model: String?
    var technician: String?
    var serviceStaff: String?
    var department: String?
    var employee: String?
    var visitID: UUID?
    var taskID: UUID?
    var handlerID: UUID?
    var receivedAt: Date

    /// Checks a complaint opened by hand at `now`, the service clock's instant: left out, it
    /// was received now; given, it may not lie in the future (five minutes' grace for the
    /// caller's clock). Codes are checked against `dictionaries`, the store's: an entry it
    /// disabled is refused.
    init(_ body: NewComplaint, now: Date, dictionaries: StoreDictionaries) throws {
        var check = FieldValidator()
        let name = check.text("complainantName", body.complainantName, maxLength: 50)
        let mobile = check.mobile("complainantMobile", body.complainantMobile)
        let gender = check.code("complainantGender", body.complainantGender, in: dictionaries[DataDictionaries.gender])
        // `visit` is for the complaints visits open; a complaint opened by hand came in otherwise.
        var byHand = dictionaries[DataDictionaries.complaintSource]
        byHand.entries.removeAll { $0.code == ComplaintSource.visit.rawValue }
        let source = check.requiredCode("source", body.source, in: byHand, as: ComplaintSource.self)
        let category = check.requiredCode("category", body.category, in: dictionaries[DataDictionaries.complaintCategory])
        let level = check.requiredCode("level", body.level, in: dictionaries[DataDictionaries.complaintLevel], as: ComplaintLevel.self)
        content = check.text("content", body.content, maxLength: 2000)
        roNo = check.optionalText("roNo", body.roNo, maxLength: 50)
        plate = check.optionalText("plate", body.plate, maxLength: 20)?.uppercased()
        vin = check.optionalText("vin", body.vin, maxLength: 17)?.uppercased()
        if let vin { check.require(vin.count == 17, "vin", "must be 17 characters") }
        model = check.optionalText("model", body.model, maxLength: 100)
        technician = check.optionalText("technician", body.technician, maxLength: 50)
        serviceStaff = check.optionalText("serviceStaff", body.serviceStaff, maxLength: 50)
        department = check.optionalText("department", body.department, maxLength: 50)
        employee = check.optionalText("employee", body.employee, maxLength: 50)
        if let receivedAt = body.receivedAt {
            check.require(receivedAt <= now.addingTimeInterval(300), "receivedAt", "must not be in the future")
        }
        try check.throwIfInvalid()
        guard let source, let category, let level else { throw ProblemDetails.validation(check.errors) }
        self.source = source
        self.category = category
        self.level = level
        complainant = Person(name: name, mobile: mobile)
        self.gender = gender
        handlerID = body.handlerId
        receivedAt = body.receivedAt ?? now
    }

    /// The complaint a dissatisfied visit opens (保有客户回访自动转投诉).
    init(visit: UUID, task: VisitTaskView, dissatisfied: [String], receivedAt: Date) {
        source = .visit
        level = .general
        category = Self.dissatisfiedVisitCategory
        complainant = Person(name: task.customerName, mobile: task.customerMobile)
        content = "回访不满意：" + dissatisfied.joined(separator: "；")
        roNo = task.orderType == "repair" ? task.orderNo : nil
        plate = task.plate
        vin = task.vin
        model = task.model ?? task.series
        serviceStaff = task.staffName
        visitID = visit
        taskID = task.id
        self.receivedAt = receivedAt
    }
}
