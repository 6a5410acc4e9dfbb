import Foundation
import Hummingbird
import ServiceKit

/// What a template is for (短信类型, M5). The kind decides which of the platform's rules apply:
///
/// - `marketing` (营销短信 — offers, event invitations): only between 08:00 and 22:00 on the
///   store's clock (queued until 08:00 otherwise), never to a mobile on the opt-out list (回复TD
///   退订), at most the store's daily cap per mobile and store day, and the text ends with
///   "回复TD退订" (added when the template lacks it).
/// - `notice` (通知短信 — a service reminder, an event's changed time): what the customer asked
///   for or needs; none of the three rules apply, and it is not counted in the cap.
enum SmsKind: String, Codable, CaseIterable, Sendable {
    case marketing, notice

    var label: String { self == .marketing ? "营销短信" : "通知短信" }
}

/// A variable a template may use, written `{name}` in its text. Each recipient's message fills
/// them in; the provider's template (阿里云 `${name}`) receives the same names in `TemplateParam`.
enum SmsVariable: String, CaseIterable, Sendable {
    /// The recipient's name (姓名), from the list, the import file, the customer or the registration.
    case name
    /// The vehicle's plate (车牌), from the list or the import file.
    case plate
    /// The event's name (活动名称): the send's event.
    case event
    /// The store's name (门店名称).
    case store

    var label: String {
        switch self {
        case .name: "姓名"
        case .plate: "车牌"
        case .event: "活动名称"
        case .store: "门店名称"
        }
    }

    /// `{name} 姓名, {plate} 车牌, …`: what an error message lists.
    static var listed: String { allCases.map { "{\($0.rawValue)} \($0.label)" }.joined(separator: ", ") }
}

/// A template's text read as literal text and `{variable}` placeholders (M5: checked when the
/// template is saved, so a send never meets an unknown variable).
struct SmsTemplateText: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case variable(SmsVariable)
    }

    var parts: [Part]

    /// The unsubscribe words every marketing message ends with (回复TD退订).
    static let optOutNotice = "回复TD退订"

    /// Reads `content`; nil, with what is wrong in staff words, when a brace is unbalanced or a
    /// variable is not one of `SmsVariable` (the message lists the allowed ones).
    static func parse(_ content: String) -> Result<SmsTemplateText, SmsTemplateError> {
        var parts: [Part] = []
        var literal = ""
        var index = content.startIndex
        while index < content.endIndex {
            let character = content[index]
            if character == "}" { return .failure(.unbalanced("a `}` without its `{`")) }
            if character == "{" {
                guard let close = content[index...].firstIndex(of: "}") else {
                    return .failure(.unbalanced("a `{` without its `}`"))
                }
                let name = String(content[content.index(after: index)..<close])
                if name.contains("{") { return .failure(.unbalanced("a `{` inside a variable")) }
                guard let variable = SmsVariable(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    return .failure(.unknownVariable(name))
                }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.variable(variable))
                index = content.index(after: close)
                continue
            }
            literal.append(character)
            index = content.index(after: index)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return .success(SmsTemplateText(parts: parts))
    }

    /// The variables the text uses, in order of first use.
    var variables: [SmsVariable] {
        var seen: [SmsVariable] = []
        for case .variable(let variable) in parts where !seen.contains(variable) { seen.append(variable) }
        return seen
    }

    /// The text with `values` filled in; a variable without a value is left out of the result
    /// (callers skip such recipients first, `missing`).
    func render(_ values: [SmsVariable: String]) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .variable(let variable): values[variable] ?? ""
            }
        }.joined()
    }

    /// The variables the text uses that `values` has no (non-empty) value for.
    func missing(_ values: [SmsVariable: String]) -> [SmsVariable] {
        variables.filter { (values[$0] ?? "").isEmpty }
    }
}

/// Why a template's text is refused (422 on `content`).
enum SmsTemplateError: Error, Equatable {
    case unbalanced(String)
    case unknownVariable(String)

    var message: String {
        switch self {
        case .unbalanced(let what): "has \(what); variables are written {name}. Allowed variables: \(SmsVariable.listed)"
        case .unknownVariable(let name): "uses the unknown variable {\(name)}. Allowed variables: \(SmsVariable.listed)"
        }
    }
}

/// The body of `POST` and `PUT /api/v1/marketing/sms/templates[/{id}]`.
struct SmsTemplateDraft: Decodable, Sendable {
    var name: String
    /// `marketing` (营销短信) or `notice` (通知短信).
    var kind: String
    /// The text with `{variable}`s, at most 500 characters.
    var content: String
    /// The template's code at the provider (阿里云 `TemplateCode`, e.g. `SMS_71390007`); needed
    /// before a send goes through the Aliyun provider.
    var providerTemplateCode: String?

    /// The draft checked: every bad field named at once (422).
    func validated() throws -> (name: String, kind: SmsKind, content: String, text: SmsTemplateText, code: String?) {
        var check = FieldValidator()
        let name = check.text("name", name, maxLength: 60)
        let kind = SmsKind(rawValue: kind)
        if kind == nil { check.fail("kind", "must be marketing (营销短信) or notice (通知短信)") }
        let content = check.text("content", content, maxLength: 500)
        var text: SmsTemplateText?
        if !content.isEmpty {
            switch SmsTemplateText.parse(content) {
            case .success(let parsed): text = parsed
            case .failure(let error): check.fail("content", error.message)
            }
        }
        let code = check.optionalText("providerTemplateCode", providerTemplateCode, maxLength: 40)
        if let code, code.range(of: "^[A-Za-z0-9_]+$", options: .regularExpression) == nil {
            check.fail("providerTemplateCode", "must be the provider's template code, letters, digits and _ (e.g. SMS_71390007)")
        }
        try check.throwIfInvalid()
        return (name, kind!, content, text!, code)
    }
}

/// A template as the API shows it.
struct SmsTemplateView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    /// `marketing` (营销短信) or `notice` (通知短信).
    var kind: String
    var content: String
    /// The variables the text uses (`name`, `plate`, `event`, `store`).
    var variables: [String]
    var providerTemplateCode: String?
    var createdBy: UUID
    var createdAt: Date
    var updatedAt: Date
}
