import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// Where an event is (活动状态, `marketingEventState`; M3, seed §9.3 "预览启用活动, 后期可修改和停用").
///
/// ```
/// pending (待上架) ──online──▶ online (已上架) ──offline──▶ offline (已下架)
///                               ▲                               │
///                               └────────────online─────────────┘
/// ```
/// Only a pending event may be edited, and deleted while nobody registered; only an online event
/// that has not ended takes registrations.
enum EventState: String, Codable, Sendable, CaseIterable {
    case pending
    case online
    case offline
}

/// Whether the event costs the customer something (活动是否收费, `marketingEventCharge`).
enum EventCharge: String, Codable, Sendable, CaseIterable {
    case free
    /// A fee (收费), `amount` yuan.
    case fee
    /// A deposit (诚意金, the SCRM brochure's 集客报名), `amount` yuan, that brings the customer back.
    case deposit
}

/// An event as the marketing manager writes it (`POST /marketing/events`, and `PUT` for the whole
/// event again while it is pending) — the seed's form (§9.3 新增活动): 活动名称, 活动时间, 活动主题,
/// 活动是否收费, 活动金额(元), 活动内容, 活动规则, 微信分享标题, 微信分享描述.
struct EventDraft: Decodable, Sendable {
    var name: String
    var theme: String?
    /// When the event begins and ends on the store's clock: `2026-12-20 09:00` (also `2026/12/20
    /// 09:00`, `2026年12月20日 09:00`, or RFC 3339 with its offset). Stored as UTC instants.
    var startsAt: String
    var endsAt: String
    /// `marketingEventCharge`: free (the default), fee 收费 or deposit 诚意金.
    var charge: String?
    /// Yuan, two decimals: the fee or the deposit; left out for a free event.
    var amount: Decimal?
    var content: String
    var rules: String?
    /// What a WeChat share of the registration page shows (微信分享标题 / 微信分享描述).
    var shareTitle: String?
    var shareText: String?
    /// The most registrations the event takes.
    var capacity: Int
}

/// A checked draft, ready to store.
struct EventFields: Sendable, Equatable {
    var name: String
    var theme: String?
    var startsAt: Date
    var endsAt: Date
    var charge: EventCharge
    var amount: Decimal?
    var content: String
    var rules: String?
    var shareTitle: String?
    var shareText: String?
    var capacity: Int

    static let largestCapacity = 100_000

    /// Checks `draft`, reading its times on the store's clock (`timeZone`); one 422 names every
    /// bad field.
    init(checking draft: EventDraft, dictionaries: StoreDictionaries, timeZone: TimeZone) throws {
        var check = FieldValidator()
        name = check.text("name", draft.name, maxLength: 60)
        theme = check.optionalText("theme", draft.theme, maxLength: 100)
        let startsAt = check.storeTime("startsAt", draft.startsAt, timeZone: timeZone)
        let endsAt = check.storeTime("endsAt", draft.endsAt, timeZone: timeZone)
        if let startsAt, let endsAt {
            check.require(endsAt > startsAt, "endsAt", "must be after startsAt (\(LocalDateTime(startsAt, in: timeZone).text))")
        }
        self.startsAt = startsAt ?? Date(timeIntervalSince1970: 0)
        self.endsAt = endsAt ?? Date(timeIntervalSince1970: 0)
        let charge: EventCharge?
        if let text = draft.charge, !text.trimmed.isEmpty {
            charge = check.requiredCode("charge", text, in: dictionaries[DataDictionaries.marketingEventCharge], as: EventCharge.self)
        } else {
            charge = .free
        }
        self.charge = charge ?? .free
        amount = draft.amount
        switch charge {
        case .fee, .deposit:
            if let amount = draft.amount {
                check.money("amount", amount, maximum: 1_000_000)
                check.require(amount > 0, "amount", "must be more than 0 yuan")
            } else {
                check.fail("amount", "is required for charge \(charge!.rawValue): the \(charge == .fee ? "fee" : "deposit") in yuan")
            }
        case .free:
            check.require(draft.amount == nil, "amount", "is only for charge fee or deposit")
        case nil:
            break
        }
        // Content and rules are shown as rich text on the customer-facing page: kept through the
        // sanitiser's allow-list, as news bodies are (no script, no handler, no javascript: URL).
        content = Self.richText("content", check.text("content", draft.content, maxLength: 20_000), check: &check)
        rules = check.optionalText("rules", draft.rules, maxLength: 5_000).map { RichTextSanitizer.sanitize($0) }
        shareTitle = check.optionalText("shareTitle", draft.shareTitle, maxLength: 60)
        shareText = check.optionalText("shareText", draft.shareText, maxLength: 200)
        capacity = draft.capacity
        check.range("capacity", draft.capacity, 1...Self.largestCapacity)
        try check.throwIfInvalid()
    }

    /// `text` sanitised; a failure when nothing readable is left.
    private static func richText(_ field: String, _ text: String, check: inout FieldValidator) -> String {
        guard !text.isEmpty else { return text }
        let clean = RichTextSanitizer.sanitize(text)
        check.require(!clean.trimmed.isEmpty, field, "has no text left once what is not allowed (scripts, event handlers) is removed")
        return clean
    }
}

/// How many registered, came, and may still register (活动报名统计, M3).
struct EventCounts: Codable, Sendable, Equatable, ResponseEncodable {
    var registered: Int
    var checkedIn: Int
    /// capacity − registered.
    var remaining: Int
}

/// An event as staff see it. Times are UTC instants (`startsAt`), with the same instants on the
/// store's clock (`startsAtLocal`, `yyyy-MM-dd HH:mm`) as the list shows them.
struct EventView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// The number staff quote (活动编号): `HD` + the store's day + a sequence (`HD2612010001`).
    var number: String
    var storeId: UUID
    var name: String
    var theme: String?
    var startsAt: Date
    var endsAt: Date
    var startsAtLocal: String
    var endsAtLocal: String
    var charge: String
    /// Yuan; nil for a free event.
    var amount: Decimal?
    var content: String
    var rules: String?
    var shareTitle: String?
    var shareText: String?
    var capacity: Int
    var state: String
    /// Whether the public page takes registrations now: online and not ended.
    var open: Bool
    /// The public registration path (活动链接) the customer-facing pages post to.
    var registrationPath: String
    var counts: EventCounts
    var createdAt: Date
    var updatedAt: Date
    var onlineAt: Date?
    var offlineAt: Date?
}

extension EventView {
    /// `/api/v1/public/marketing/events/{id}/registrations`.
    static func registrationPath(of id: UUID) -> String {
        "/api/v1/public/marketing/events/\(id.uuidString.lowercased())/registrations"
    }
}
