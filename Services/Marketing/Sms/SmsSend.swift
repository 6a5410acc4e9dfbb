import Foundation
import Hummingbird
import ServiceKit

/// Where a recipient's message stands (短信发送记录, M5), with the label staff read.
///
/// `queued` → `sending` (a dispatcher holds it and calls the provider) → `sent` (the provider
/// accepted it) → `delivered` or `failed` (the provider's receipt). `skipped` never went: the
/// mobile opted out, was over its daily cap, or the template's variable had no value. A
/// `queued` message may carry a reason too: quiet hours (it goes at 08:00), a retry.
enum SmsMessageState: String, Codable, CaseIterable, Sendable {
    case queued, sending, sent, delivered, failed, skipped

    var label: String {
        switch self {
        case .queued: "排队中"
        case .sending: "发送中"
        case .sent: "已发送"
        case .delivered: "已送达"
        case .failed: "发送失败"
        case .skipped: "未发送"
        }
    }
}

/// The reasons the send log gives, in staff words (M5; seed §9.5).
enum SmsReason {
    static let optedOut = "已退订 (opted out: 回复TD退订)"
    static func overCap(_ cap: Int) -> String { "超过每日上限 (over the daily cap of \(cap) per mobile)" }
    static let quietHours = "免打扰时段，08:00 发送 (quiet hours 22:00–08:00: queued until 08:00)"
    static func missing(_ variables: [SmsVariable]) -> String {
        "缺少变量 " + variables.map { "\($0.label) {\($0.rawValue)}" }.joined(separator: ", ") + " (no value for the template's variable)"
    }
    static func retrying(_ what: String) -> String { "发送失败，将重试 (will retry): \(what)" }
    static func gaveUp(_ attempts: Int, _ what: String) -> String { "发送\(attempts)次均失败 (failed after \(attempts) attempts): \(what)" }
    static func rejected(_ code: String, _ message: String) -> String { "短信平台拒绝 (refused by the provider): \(code) \(message)" }
    static func notDelivered(_ code: String, _ message: String) -> String { "未送达 (not delivered): \(code) \(message)" }
    static let noTemplateCode = "模板未填写短信平台模板编号 (the template has no provider template code)"
}

/// Whom a send goes to (M5: 发送对象).
enum SmsAudienceKind: String, Codable, CaseIterable, Sendable {
    /// Mobiles (and names, plates) pasted into the request.
    case list
    /// An imported CSV or .xlsx file (`POST /api/v1/marketing/sms/sends/import`).
    case file
    /// A filter over the prospects Marketing knows (`prospects.prospect.changed.v1`).
    case customers
    /// An event's registrants (集客报名, M3).
    case event
    /// The owners of the cars a solicitation campaign targets (售后招揽, AS4), read from AfterSales.
    case campaign

    var label: String {
        switch self {
        case .list: "手工名单"
        case .file: "导入名单"
        case .customers: "客户筛选"
        case .event: "活动报名人"
        case .campaign: "招揽活动客户"
        }
    }
}

/// One recipient of a pasted list.
struct SmsRecipientDraft: Decodable, Sendable {
    var mobile: String
    var name: String?
    var plate: String?
}

/// The customer filter of an audience of kind `customers`: the store's prospects not in the
/// recycle bin, by level, source, state (codes), intended series, consultant and text in the
/// name or mobile — the filters of `GET /api/v1/marketing/customers`.
struct SmsCustomerFilter: Decodable, Sendable {
    var level: String?
    var source: String?
    var state: String?
    var series: String?
    var consultantId: UUID?
    var q: String?
}

/// The body of `POST /api/v1/marketing/sms/sends`.
struct SmsSendDraft: Decodable, Sendable {
    var templateId: UUID
    /// `list`, `customers`, `event` or `campaign` (a file goes to `…/sends/import`).
    var audience: String
    /// For `list`: at most 10,000 recipients.
    var recipients: [SmsRecipientDraft]?
    /// For `customers`.
    var customers: SmsCustomerFilter?
    /// The event whose registrants (`event`) or whose name (`{event}`) the send uses.
    var eventId: UUID?
    /// For `event`: only those checked in (true), only those not (false), or all (left out).
    var checkedIn: Bool?
    /// For `campaign`: the solicitation campaign (AfterSales) whose targets get the message.
    var campaignId: UUID?
    /// When to send (RFC 3339); left out: now. Marketing messages still wait for 08:00 when it
    /// falls in quiet hours on the store's clock.
    var sendAt: Date?
}

/// A recipient once the audience is read: a normalised mobile, and what fills the variables.
struct SmsRecipient: Sendable {
    var mobile: String
    var name: String?
    var plate: String?
}

/// A send as the API shows it, with its messages counted by state.
struct SmsSendView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var templateId: UUID
    var templateName: String
    /// `marketing` or `notice`.
    var kind: String
    /// `list`, `file`, `customers`, `event` or `campaign`.
    var audience: String
    var eventId: UUID?
    /// The solicitation campaign of an audience `campaign`.
    var campaignId: UUID?
    var sendAt: Date
    var createdBy: UUID
    var createdAt: Date
    var counts: SmsSendCounts
}

/// A send's messages by state.
struct SmsSendCounts: Codable, Sendable {
    var total: Int
    var queued: Int
    var sending: Int
    var sent: Int
    var delivered: Int
    var failed: Int
    var skipped: Int
}

/// One row of the send log (短信发送记录): a recipient's message.
struct SmsMessageView: Codable, Sendable {
    /// Also the idempotency key sent to the provider (阿里云 `OutId`, without dashes).
    var id: UUID
    var sendId: UUID
    var kind: String
    var mobile: String
    var name: String?
    var content: String
    /// `queued`, `sending`, `sent`, `delivered`, `failed` or `skipped`.
    var state: String
    var stateLabel: String
    /// Why it was skipped, failed or is waiting, in staff words.
    var reason: String?
    /// The provider's answer (`OK`, `isv.MOBILE_NUMBER_ILLEGAL`, a receipt's `DELIVERED` …).
    var providerCode: String?
    /// The provider's id of the message (阿里云 `BizId`).
    var providerId: String?
    var attempts: Int
    /// When it may go: the send's time, or 08:00 after quiet hours.
    var notBefore: Date
    var sentAt: Date?
    var deliveredAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// The filters of the send log and its export.
struct SmsMessageFilters: Sendable {
    var sendId: UUID?
    var state: SmsMessageState?
    var mobile: String?
    var from: Date?
    var to: Date?

    init(_ query: inout QueryReader) {
        sendId = query.uuid("sendId")
        state = query.oneOf("state", SmsMessageState.self)
        mobile = query.mobile("mobile")
        from = query.date("from")
        to = query.date("to")
    }
}

/// What a file upload did, or would do on a dry run (`?dryRun=true`): one result per data row.
struct SmsImportReport: Codable, Sendable, ResponseEncodable {
    struct RowResult: Codable, Sendable {
        var row: Int
        /// `listed`, `duplicate` (an earlier row had the same mobile) or `rejected` (`errors` say why).
        var outcome: String
        var mobile: String?
        var errors: [ProblemDetails.FieldError]?
    }

    var dryRun: Bool
    var rows: Int
    var listed: Int
    var duplicates: Int
    var rejected: Int
    var results: [RowResult]
    /// The send made (nil on a dry run, or when no row was listed).
    var send: SmsSendView?
}

/// The columns of the SMS list template (短信名单模板).
enum SmsListColumn: String, ImportColumn {
    case mobile, name, plate

    static let required: [SmsListColumn] = [.mobile]

    var header: String {
        switch self {
        case .mobile: "手机号码"
        case .name: "客户姓名"
        case .plate: "车牌号码"
        }
    }
}

/// A store's SMS settings (`GET/PUT /api/v1/marketing/sms/settings`).
struct SmsSettings: Codable, Sendable, ResponseEncodable {
    /// Marketing messages one mobile may receive from the store in one store day (每日上限),
    /// 1–50; default 3.
    var dailyCap: Int

    static let defaults = SmsSettings(dailyCap: 3)
}

/// An entry of the opt-out list (退订名单).
struct SmsOptOutView: Codable, Sendable, ResponseEncodable {
    var mobile: String
    /// `staff` (added by hand) or `reply` (the customer replied TD).
    var source: String
    var note: String?
    var createdAt: Date
}

/// The body of `POST /api/v1/marketing/sms/opt-outs`.
struct SmsOptOutDraft: Decodable, Sendable {
    var mobile: String
    var note: String?
}
