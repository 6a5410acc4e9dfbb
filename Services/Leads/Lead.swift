import Foundation
import Hummingbird
import ServiceKit

/// A lead (网销线索) as the API shows it.
struct LeadView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var name: String
    /// Normalised: 11 digits.
    var mobile: String
    /// 固定电话, as given (digits, dashes, spaces); never a mobile number.
    var landline: String?
    var gender: String?
    var source: String
    var province: String?
    var city: String?
    var brand: String?
    var series: String?
    var model: String?
    var level: LeadLevel
    /// `new` (unassigned), `assigned`, `defeated`, `arrived` (came to the showroom: a prospect now).
    var state: String
    var consultantId: UUID?
    var consultantName: String?
    var assignedAt: Date?
    var defeatReason: String?
    var defeatedAt: Date?
    var note: String?
    /// The day the open follow-up task is due, on the store's clock.
    var nextFollowUpOn: String?
    var createdAt: Date
}

/// Intent level (意向级别): H buys within 7 days, A within 15, B within 30, C later.
enum LeadLevel: String, Codable, Sendable, CaseIterable, IntentLevel {
    case H, A, B, C

    /// Days until the next follow-up when the store has set no rule of its own.
    var defaultInterval: Int {
        switch self {
        case .H: return 1
        case .A: return 3
        case .B: return 7
        case .C: return 14
        }
    }
}

/// Where leads come from: the car platforms and the store's own channels.
enum LeadSource: String, Codable, Sendable, CaseIterable {
    /// 汽车之家
    case autohome
    /// 易车
    case yiche
    /// 懂车帝
    case dongchedi
    case website, phone, other
}

/// A lead entered by hand (L1).
struct NewLead: Decodable {
    var name: String
    var mobile: String
    var landline: String?
    var gender: String?
    var source: LeadSource
    var province: String?
    var city: String?
    var brand: String?
    var series: String?
    var model: String?
    var level: LeadLevel?
    var note: String?
}

/// A lead's fields, checked and normalised.
struct LeadDraft: Sendable {
    var name: String
    var mobile: String
    var landline: String?
    var gender: String?
    var source: LeadSource
    var province: String?
    var city: String?
    var brand: String?
    var series: String?
    var model: String?
    var level: LeadLevel
    var note: String?

    init(_ body: NewLead) throws {
        var check = FieldValidator()
        name = check.text("name", body.name, maxLength: 50)
        mobile = check.mobile("mobile", body.mobile)
        landline = check.optionalText("landline", body.landline, maxLength: 20)
        if let landline {
            check.require(Self.isLandline(landline), "landline", "must be a landline in digits and dashes, e.g. 027-84561234 (a mobile number goes in mobile)")
        }
        if let gender = body.gender { check.require(["male", "female"].contains(gender), "gender", "must be male or female") }
        gender = body.gender
        source = body.source
        province = check.optionalText("province", body.province, maxLength: 20)
        city = check.optionalText("city", body.city, maxLength: 20)
        brand = check.optionalText("brand", body.brand, maxLength: 100)
        series = check.optionalText("series", body.series, maxLength: 100)
        model = check.optionalText("model", body.model, maxLength: 100)
        level = body.level ?? .B
        note = check.optionalText("note", body.note, maxLength: 500)
        try check.throwIfInvalid()
    }

    /// A landline as staff write one, the same rule as a prospect's (P1): digits, dashes and
    /// spaces, at least 7 digits — and not a mobile number, which belongs in `mobile`.
    static func isLandline(_ text: String) -> Bool {
        text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == " ") }
            && text.filter(\.isNumber).count >= 7 && ChineseMobile.normalise(text) == nil
    }
}

/// What entering a lead came to: a new lead, or a duplicate recorded against the existing one
/// (whose follow-up is brought forward to today).
struct LeadIntake: Codable, Sendable, ResponseEncodable {
    /// `created` or `duplicate`.
    var outcome: String
    var lead: LeadView
    /// The duplicate-list entry, for a duplicate.
    var duplicateId: UUID?
}

struct DuplicateLeadView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var leadId: UUID
    var name: String
    var mobile: String
    var source: String
    /// `exists` or `repeated_in_import`.
    var reason: String
    var note: String?
    var createdAt: Date
}
