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
    /// A code of the dictionary `gender`.
    var gender: String?
    /// A code of the store's dictionary `leadSource` (open: the store's own codes too).
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
    /// A code of the store's dictionary `defeatReason`; a lead defeated before the dictionary
    /// carries the free text it was given.
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

/// A lead entered by hand (L1). The coded fields are codes of the store's dictionaries (G5),
/// read as text and checked by `LeadDraft`, so that every bad field is named at once.
struct NewLead: Decodable {
    var name: String
    var mobile: String
    var landline: String?
    /// `gender`: male or female.
    var gender: String?
    /// `leadSource`, open: a built-in source or one the store added.
    var source: String
    var province: String?
    var city: String?
    var brand: String?
    var series: String?
    var model: String?
    /// `leadLevel`; B when left out.
    var level: String?
    var note: String?
}

/// A lead's fields, checked and normalised.
struct LeadDraft: Sendable {
    /// Who is entering the lead: staff pick codes their store has enabled; a platform's lead is
    /// entered whatever the store disabled, with a source the store's set knows.
    enum Origin { case staff, platform }

    var name: String
    var mobile: String
    var landline: String?
    var gender: String?
    /// A code of the store's `leadSource`.
    var source: String
    var province: String?
    var city: String?
    var brand: String?
    var series: String?
    var model: String?
    var level: LeadLevel
    var note: String?

    /// Checks every field at once against the store's dictionaries: one 422 names them all.
    init(_ body: NewLead, dictionaries: LeadDictionaries, origin: Origin = .staff) throws {
        var check = FieldValidator()
        name = check.text("name", body.name, maxLength: 50)
        mobile = check.mobile("mobile", body.mobile)
        landline = check.optionalText("landline", body.landline, maxLength: 20)
        if let landline {
            check.require(Self.isLandline(landline), "landline", "must be a landline in digits and dashes, e.g. 027-84561234 (a mobile number goes in mobile)")
        }
        gender = check.code("gender", body.gender, in: dictionaries.gender)
        switch origin {
        case .staff:
            source = check.requiredCode("source", body.source, in: dictionaries.source) ?? ""
        case .platform:
            let known = dictionaries.source.entries.contains { $0.code == body.source }
            check.require(known, "source", "must be one of: \(dictionaries.source.allowedText)")
            source = body.source
        }
        let levelCode = check.code("level", body.level, in: dictionaries.level)
        province = check.optionalText("province", body.province, maxLength: 20)
        city = check.optionalText("city", body.city, maxLength: 20)
        brand = check.optionalText("brand", body.brand, maxLength: 100)
        series = check.optionalText("series", body.series, maxLength: 100)
        model = check.optionalText("model", body.model, maxLength: 100)
        level = levelCode.flatMap(LeadLevel.init(rawValue:)) ?? .B
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
    /// A code of the store's `leadSource`.
    var source: String
    /// `exists` or `repeated_in_import`.
    var reason: String
    var note: String?
    var createdAt: Date
}
