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
    var category: ProspectCategory
    var source: ProspectSource
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    var level: ProspectLevel
    /// `active`, `defeat_pending` (waiting for a manager), `defeated`, `ordered`, `delivered`.
    var state: String
    var consultantId: UUID?
    var consultantName: String?
    var assignedAt: Date?
    /// The online lead whose data was carried over, if the prospect began as one.
    var leadId: UUID?
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

/// 登记大类: showroom (展厅), online (网络), key account (大客户).
enum ProspectCategory: String, Codable, Sendable, CaseIterable {
    case showroom, online
    case keyAccount = "key_account"
}

/// 客户来源.
enum ProspectSource: String, Codable, Sendable, CaseIterable {
    /// 自然到店
    case walkIn = "walk_in"
    /// 老客户介绍
    case referral
    /// 展厅活动
    case showroomEvent = "showroom_event"
    /// 厂家直购
    case factoryDirect = "factory_direct"
    /// 二网
    case secondaryDealer = "secondary_dealer"
    /// 重新购买
    case repurchase
    /// 网销线索: an online lead that came to the showroom.
    case onlineLead = "online_lead"
    /// Taken from another store's defeat pool.
    case defeatPool = "defeat_pool"
    case other
}

/// 登记方式.
enum TrafficArrival: String, Codable, Sendable, CaseIterable {
    /// 来店
    case showroom
    /// 来电
    case phone
}

/// 获取性质: first visit (首次到店), second visit (二次到店), repeat visit (再次到店).
enum TrafficNature: String, Codable, Sendable, CaseIterable {
    case firstVisit = "first_visit"
    case secondVisit = "second_visit"
    case repeatVisit = "repeat_visit"
}

/// A showroom visit to register (流量登记, P1). A valid one becomes a prospect.
struct NewTraffic: Decodable {
    var name: String
    var mobile: String
    var landline: String?
    var gender: String?
    var province: String?
    var city: String?
    var district: String?
    var arrival: TrafficArrival
    var partySize: Int?
    var arrivedAt: Date
    var leftAt: Date?
    var category: ProspectCategory
    var source: ProspectSource
    var nature: TrafficNature
    /// The consultant who received the visitor; the registering consultant when left out.
    var consultantId: UUID?
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    var level: ProspectLevel?
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
    var arrival: TrafficArrival
    var partySize: Int
    var arrivedAt: Date
    var leftAt: Date?
    var category: ProspectCategory
    var source: ProspectSource
    var nature: TrafficNature
    var consultantID: UUID?
    var brand: String?
    var series: String?
    var model: String?
    var plate: String?
    var level: ProspectLevel
    var note: String?

    init(_ body: NewTraffic) throws {
        var check = FieldValidator()
        name = check.text("name", body.name, maxLength: 50)
        mobile = check.mobile("mobile", body.mobile)
        landline = check.optionalText("landline", body.landline, maxLength: 20)
        if let landline {
            check.require(landline.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == " ") }, "landline", "must be digits and dashes, e.g. 027-84561234")
        }
        if let gender = body.gender { check.require(["male", "female"].contains(gender), "gender", "must be male or female") }
        gender = body.gender
        province = check.optionalText("province", body.province, maxLength: 20)
        city = check.optionalText("city", body.city, maxLength: 20)
        district = check.optionalText("district", body.district, maxLength: 20)
        arrival = body.arrival
        partySize = body.partySize ?? 1
        check.range("partySize", partySize, 1...50)
        arrivedAt = body.arrivedAt
        leftAt = body.leftAt
        if let leftAt = body.leftAt { check.require(leftAt >= body.arrivedAt, "leftAt", "must not be before arrivedAt") }
        category = body.category
        source = body.source
        check.require(![.onlineLead, .defeatPool].contains(body.source), "source", "online_lead and defeat_pool are set by the system, not registered")
        nature = body.nature
        consultantID = body.consultantId
        brand = check.optionalText("brand", body.brand, maxLength: 100)
        series = check.optionalText("series", body.series, maxLength: 100)
        model = check.optionalText("model", body.model, maxLength: 100)
        plate = check.optionalPlate("plate", body.plate)
        if body.level == .O { check.fail("level", "O is set when the ERP has an order") }
        level = body.level ?? .B
        note = check.optionalText("note", body.note, maxLength: 500)
        try check.throwIfInvalid()
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
    var prospectId: UUID
    var outcome: String
    var name: String
    var mobile: String
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
