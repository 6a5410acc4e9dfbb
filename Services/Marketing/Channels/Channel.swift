import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A channel QR code as the marketing manager asks for one (`POST /marketing/channels`; M6,
/// SCRM brochure 推广二维码): what it is printed on or given to, and the page it opens.
struct ChannelDraft: Decodable, Sendable {
    /// What staff call it: `4S店门口海报`, `平安保险合作`, `张伟的个人码`.
    var name: String
    /// A `channelKind` code: poster, partner, consultant, online, other.
    var kind: String
    /// The page the code opens — an event's registration page, the store's site — `http(s)://`.
    /// The code's URL is this page with `channel=<code>` added to its query.
    var landingUrl: String
    /// For a consultant's own code (顾问个人码): the consultant's user id.
    var consultantId: UUID?
}

/// A change to a channel (`PATCH`): each field given replaces the channel's. The code itself
/// never changes — it is printed on posters already.
struct ChannelChange: Decodable, Sendable {
    var name: String?
    var landingUrl: String?
    /// A disabled channel's code still opens its page (the posters are out there) but is no
    /// longer offered in lists of live channels.
    var enabled: Bool?
}

/// A channel as the API shows it.
struct ChannelView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    /// Six characters without 0/O/1/I/L, as staff read it out: `K7M2QX`.
    var code: String
    var name: String
    var kind: String
    var consultantId: UUID?
    var landingUrl: String
    /// What the QR code carries: `landingUrl` with `channel=<code>`.
    var url: String
    var enabled: Bool
    var createdBy: UUID
    var createdAt: Date
    var updatedAt: Date
}

/// The rules of channel codes and URLs (M6).
enum ChannelRules {
    /// Digits and capitals a person cannot confuse: no 0/O, 1/I/L.
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    static let codeLength = 6

    /// A new random code: 31^6 ≈ 890 million, so a store's few hundred codes rarely clash, and
    /// a clash is drawn again (`ChannelStore.create`).
    static func newCode() -> String {
        var random = SystemRandomNumberGenerator()
        return String((0..<codeLength).map { _ in alphabet.randomElement(using: &random)! })
    }

    /// `landingUrl` with `channel=<code>` in its query (replacing one it had).
    static func url(landing: String, code: String) -> String {
        guard var components = URLComponents(string: landing) else { return landing }
        var items = (components.queryItems ?? []).filter { $0.name != "channel" }
        items.append(URLQueryItem(name: "channel", value: code))
        components.queryItems = items
        return components.string ?? landing
    }

    /// The landing URL checked: an absolute `http` or `https` URL with a host, at most 500
    /// characters, that a QR code can hold. Nil (and a failure on `check`) otherwise.
    static func landingURL(_ field: String, _ value: String, check: inout FieldValidator) -> String? {
        let text = value.trimmed
        guard !text.isEmpty else { check.fail(field, "is required: the page the code opens, https://…"); return nil }
        guard text.count <= 500 else { check.fail(field, "must be at most 500 characters"); return nil }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else {
            check.fail(field, "must be an http:// or https:// address with a host, e.g. https://h5.example.cn/events/12")
            return nil
        }
        return text
    }
}
