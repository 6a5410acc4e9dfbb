import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A prospect (潜客) as the API shows it.
struct ProspectView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var name: String
    /// Normalised: 11 digits.
    var mobile: String
    var landline: String?
    var gender: String?
    var province: String?
    var city: String?
    var district: String?
    /// A code of the dictionary `prospectCategory` (登记大类).
    var category: String
    /// A code of the dictionary `prospectSource` (客户来源), the store's own ones included.
    var source: String
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    var level: ProspectLevel
    /// `active`, `defeat_pending` (waiting for a manager), `defeated`, `ordered`, `delivered`
    /// (the dictionary `prospectState`).
    var state: String
    var consultantId: UUID?
    var consultantName: String?
    var assignedAt: Date?
    /// The online lead whose data was carried over, if the prospect began as one.
    var leadId: UUID?
    /// 老带新: the mobile (11 digits) of the old customer who referred the prospect, registered
    /// with the source `referral`; possibly the prospect's own mobile (kept as registered).
    var referrerMobile: String?
    /// A code of the dictionary `defeatReason`; a defeat recorded before reasons were codes keeps its free text.
    var defeatReason: String?
    var defeatNote: String?
    var defeatedAt: Date?
    /// In the defeat pool since (战败池).
    var defeatPoolSince: Date?
    /// In the public pool (客户公海): nobody follows it up until someone claims it.
    var inPublicPool: Bool
    var releasedAt: Date?
    var previousConsultantId: UUID?
    /// Not released to the public pool before this day (延长期限).
    var keepUntil: String?
    /// In the recycle bin (回收站) since.
    var deletedAt: Date?
    var note: String?
    /// The day the open follow-up task is due, on the store's clock.
    var nextFollowUpOn: String?
    var createdAt: Date
    var updatedAt: Date
}

/// Intent level (意向级别): H buys within 7 days, A within 15, B within 30, C later; O has an
/// order in the ERP.
enum ProspectLevel: String, Codable, Sendable, CaseIterable, IntentLevel {
    case H, A, B, C, O

    /// Days until the next follow-up when the store has set no rule of its own.
    var defaultInterval: Int {
        switch self {
        case .H: return 1
        case .A: return 3
        case .B: return 7
        case .C: return 14
        case .O: return 7
        }
    }
}

/// The sources the system sets, which nobody registers: 网销线索, an online lead that came to the
/// showroom (P2), and 战败池, a customer taken from another store's defeat pool.
enum SystemSource {
    static let onlineLead = "online_lead"
    static let defeatPool = "defeat_pool"
    static let all = [onlineLead, defeatPool]
}

/// A showroom visit to register (流量登记, P1). A valid one becomes a prospect. The coded fields
/// are codes of the store's dictionaries (see `ProspectDictionaries`), checked all at once with
/// the other fields.
struct NewTraffic: Decodable {
    var name: String
    var mobile: String
    var landline: String?
    /// `gender`: male, female.
    var gender: String?
    var province: String?
    var city: String?
    var district: String?
    /// `trafficArrival` (登记方式): showroom, phone.
    var arrival: String
    var partySize: Int?
    var arrivedAt: Date
    var leftAt: Date?
    /// `prospectCategory` (登记大类).
    var category: String
    /// `prospectSource` (客户来源), the store's own ones included; not the system's `online_lead` and `defeat_pool`.
    var source: String
    /// 老带新 (C6): the old customer's mobile, when `source` is `referral` (老客户介绍) — with
    /// another source it is a 422. Stored as given even when it is the visitor's own mobile:
    /// the referral rule (Coupons) decides that a self-referral earns nothing.
    var referrerMobile: String?
    /// `trafficNature` (获取性质).
    var nature: String
    /// The consultant who received the visitor; the registering consultant when left out.
    var consultantId: UUID?
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    /// `prospectLevel`, H to C; B when left out.
    var level: String?
    var note: String?
}

/// A traffic record's fields, checked and normalised.
struct TrafficDraft: Sendable {
    var name: String
    var mobile: String
    var landline: String?
    var gender: String?
    var province: String?
    var city: String?
    var district: String?
    var arrival: String
    var partySize: Int
    var arrivedAt: Date
    var leftAt: Date?
    var category: String
    var source: String
    /// Normalised, 11 digits; only with the source `referral`.
    var referrerMobile: String?
    var nature: String
    var consultantID: UUID?
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    var level: ProspectLevel
    var note: String?

    /// The `prospectSource` code of 老客户介绍, the one source a referrer's mobile comes with (C6).
    static let referralSource = "referral"

    /// The sets a registration's codes come from.
    static let dictionarySets = [
        DataDictionaries.gender, DataDictionaries.trafficArrival, DataDictionaries.prospectCategory, DataDictionaries.prospectSource,
        DataDictionaries.trafficNature, DataDictionaries.prospectLevel,
    ]

    /// Checks every field at once: a 422 names each bad one, a code with the store's allowed values.
    init(_ body: NewTraffic, dictionaries: StoreDictionaries) throws {
        var check = FieldValidator()
        name = check.text("name", body.name, maxLength: 50)
        mobile = check.mobile("mobile", body.mobile)
        landline = check.optionalText("landline", body.landline, maxLength: 20)
        if let landline {
            check.require(landline.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == " ") }, "landline", "must be digits and dashes, e.g. 027-84561234")
        }
        gender = check.code("gender", body.gender, in: dictionaries[DataDictionaries.gender])
        province = check.optionalText("province", body.province, maxLength: 20)
        city = check.optionalText("city", body.city, maxLength: 20)
        district = check.optionalText("district", body.district, maxLength: 20)
        arrival = check.requiredCode("arrival", body.arrival, in: dictionaries[DataDictionaries.trafficArrival]) ?? ""
        partySize = body.partySize ?? 1
        check.range("partySize", partySize, 1...50)
        arrivedAt = body.arrivedAt
        leftAt = body.leftAt
        if let leftAt = body.leftAt { check.require(leftAt >= body.arrivedAt, "leftAt", "must not be before arrivedAt") }
        category = check.requiredCode("category", body.category, in: dictionaries[DataDictionaries.prospectCategory]) ?? ""
        source = check.registeredSource("source", body.source, in: dictionaries[DataDictionaries.prospectSource]) ?? ""
        referrerMobile = check.optionalMobile("referrerMobile", body.referrerMobile)
        if referrerMobile != nil, !source.isEmpty, source != Self.referralSource {
            let sources = dictionaries[DataDictionaries.prospectSource]
            check.fail("referrerMobile", """
                is given only with the source \(Self.referralSource) (\(sources.label(Self.referralSource) ?? "")); \
                this visit's source is \(source) (\(sources.label(source) ?? source))
                """)
        }
        nature = check.requiredCode("nature", body.nature, in: dictionaries[DataDictionaries.trafficNature]) ?? ""
        consultantID = body.consultantId
        brand = check.optionalText("brand", body.brand, maxLength: 100)
        series = check.optionalText("series", body.series, maxLength: 100)
        model = check.optionalText("model", body.model, maxLength: 100)
        plate = check.optionalPlate("plate", body.plate)
        level = check.prospectLevel("level", body.level, in: dictionaries[DataDictionaries.prospectLevel]) ?? .B
        note = check.optionalText("note", body.note, maxLength: 500)
        try check.throwIfInvalid()
    }
}

extension FieldValidator {
    /// A source staff register (`prospectSource`): the store's enabled ones but the system's
    /// `online_lead` and `defeat_pool`. Nil when left out (which fails) or wrong.
    mutating func registeredSource(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        var registered = dictionary
        registered.entries.removeAll { SystemSource.all.contains($0.code) }
        if let value = value?.trimmed, SystemSource.all.contains(value) {
            fail(field, "\(value) is set by the system, not registered; must be one of: \(registered.allowedText)")
            return nil
        }
        return requiredCode(field, value, in: registered)
    }

    /// A level staff may give (`prospectLevel`): H, A, B or C, as the store allows them. O is the
    /// ERP's to set, with an order. Nil when left out (which fails if `required`) or wrong.
    mutating func prospectLevel(_ field: String, _ value: String?, in dictionary: StoreDictionary, required: Bool = false) -> ProspectLevel? {
        var given = dictionary
        given.entries.removeAll { $0.code == ProspectLevel.O.rawValue }
        if value?.trimmed == ProspectLevel.O.rawValue {
            fail(field, "O is set when the ERP has an order; must be one of: \(given.allowedText)")
            return nil
        }
        let code = required ? requiredCode(field, value, in: given) : code(field, value, in: given)
        return code.flatMap(ProspectLevel.init(rawValue:))
    }
}

/// What registering traffic came to (P2).
struct TrafficIntake: Codable, Sendable, ResponseEncodable {
    /// `created` (a new prospect), `existing` (traffic added to the prospect), `reactivated`
    /// (a defeated prospect is active again at H with a task today), `carried_over` (an online
    /// lead's data became the prospect's), `restored` (out of the recycle bin, active at H).
    var outcome: String
    var trafficId: UUID
    var prospect: ProspectView
}

struct TrafficView: Codable, Sendable {
    var id: UUID
    var storeId: UUID
    var prospectId: UUID
    /// What registering the visit came to (`TrafficIntake.outcome`).
    var outcome: String
    var name: String
    var mobile: String
    /// Codes of `trafficArrival`, `prospectCategory`, `prospectSource` and `trafficNature`.
    var arrival: String
    var partySize: Int
    var arrivedAt: Date
    var leftAt: Date?
    var category: String
    var source: String
    var nature: String
    var consultantId: UUID?
    var consultantName: String?
    var note: String?
    var createdAt: Date
}
