import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A complaint (投诉, CS5) as the API shows it.
struct ComplaintView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var complaintNo: String
    /// `visit` when a dissatisfied visit answer opened it; otherwise how it came in.
    var source: String
    /// `pending` → `in_progress` → `resolved` → `closed`.
    var state: String
    var level: ComplaintLevel
    var category: String
    var complainantName: String
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

/// A complaint opened by hand.
struct NewComplaint: Decodable {
    var complainantName: String
    var complainantMobile: String
    var complainantGender: String?
    var source: String
    var category: String
    var level: ComplaintLevel
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
    var source: ComplaintSource
    var level: ComplaintLevel
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
    /// caller's clock).
    init(_ body: NewComplaint, now: Date) throws {
        var check = FieldValidator()
        let name = check.text("complainantName", body.complainantName, maxLength: 50)
        let mobile = check.mobile("complainantMobile", body.complainantMobile)
        if let gender = body.complainantGender { check.require(["male", "female"].contains(gender), "complainantGender", "must be male or female") }
        let source = ComplaintSource(rawValue: body.source)
        check.require(source != nil && source != .visit, "source", "must be one of: phone, walk_in, online, other")
        category = check.text("category", body.category, maxLength: 50)
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
        self.source = source!
        level = body.level
        complainant = Person(name: name, mobile: mobile)
        gender = body.complainantGender
        handlerID = body.handlerId
        receivedAt = body.receivedAt ?? now
    }

    /// The complaint a dissatisfied visit opens (保有客户回访自动转投诉).
    init(visit: UUID, task: VisitTaskView, dissatisfied: [String], receivedAt: Date) {
        source = .visit
        level = .general
        category = "回访不满意"
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
