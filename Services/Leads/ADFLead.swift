import Foundation
import ServiceKit

/// How an ADF prospect becomes a lead (L3; issue 12, item 3): checked like a lead entered by
/// hand (`LeadDraft`), from the customer's contact only (see `ADFDocument`).
///
/// - Name: a `part="full"` name wins; otherwise the parts are joined — with no space, family
///   name first, when a part is written in Chinese characters (`last` 张 + `first` 三 → 张三);
///   otherwise in ADF's Western order with single spaces (`first middle last suffix`:
///   John + Smith → "John Smith").
/// - Mobile: the first `<phone>` typed `cellphone` (or `mobile`/`cell`) that is a valid
///   mainland mobile (`ChineseMobile`); else the first phone of any type but fax or pager that
///   is one. Landlines are never the mobile.
/// - Landline: the first phone, fax and pager aside, that is no mobile but a landline
///   (`LeadDraft.isLandline`, e.g. `027-0000 0000`); phones that are neither are ignored.
/// - Source: `<id source="…">`, else `<provider><name>`, read like an import's 数据来源: a code or
///   label of the store's `leadSource` dictionary (汽车之家, 易车, 懂车帝 …); `other` when neither says.
/// - `<vehicle>`'s make, model and trim are the brand, series and model; `<customer><comments>`
///   the note, as text.
///
/// A prospect that cannot be a lead is rejected with every reason, each naming the ADF element
/// (`customer.contact.phone`, `vehicle.make` …).
enum ADFLead {
    static func draft(_ prospect: ADFDocument.Prospect, dictionaries: LeadDictionaries) -> Result<LeadDraft, ProblemDetails> {
        let phones = phones(prospect.phones)
        let body = NewLead(
            name: name(prospect.names), mobile: phones.mobile ?? "", landline: phones.landline, gender: nil,
            source: source(prospect, dictionaries: dictionaries),
            province: nil, city: nil, brand: prospect.make, series: prospect.model, model: prospect.trim, level: nil,
            note: prospect.comments)
        do {
            return .success(try LeadDraft(body, dictionaries: dictionaries, origin: .platform))
        } catch {
            let errors = ((error as? ProblemDetails)?.errors ?? [.init(field: "prospect", message: "cannot be entered")]).map { error in
                if error.field == "mobile", phones.mobile == nil {
                    return ProblemDetails.FieldError(field: field(error.field), message: noMobile(prospect.phones))
                }
                return ProblemDetails.FieldError(field: field(error.field), message: error.message)
            }
            return .failure(.validation(errors))
        }
    }

    // MARK: name

    static func name(_ parts: [ADFDocument.NamePart]) -> String {
        if let full = parts.first(where: { ["full", ""].contains($0.part) && !$0.value.trimmed.isEmpty }) { return full.value.trimmed }
        func part(_ names: String...) -> String? {
            parts.first { names.contains($0.part) && !$0.value.trimmed.isEmpty }?.value.trimmed
        }
        let first = part("first"), middle = part("middle"), last = part("last", "surname"), suffix = part("suffix")
        if [first, middle, last].contains(where: { $0.map(isChinese) ?? false }) {
            return [last, middle, first].compactMap { $0 }.joined()
        }
        return [first, middle, last, suffix].compactMap { $0 }.joined(separator: " ")
    }

    /// Whether the text has a CJK ideograph (the unified blocks, extension A–H, compatibility).
    static func isChinese(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x323AF: return true
            default: return false
            }
        }
    }

    // MARK: phones

    static let mobileTypes: Set<String> = ["cellphone", "mobile", "cell"]
    static let ignoredTypes: Set<String> = ["fax", "pager"]

    static func phones(_ phones: [ADFDocument.Phone]) -> (mobile: String?, landline: String?) {
        let usable = phones.filter { !ignoredTypes.contains($0.type) }
        let typed = usable.lazy.filter { mobileTypes.contains($0.type) }.compactMap { ChineseMobile.normalise($0.number) }.first
        let mobile = typed ?? usable.lazy.compactMap { ChineseMobile.normalise($0.number) }.first
        let landline = usable.lazy.map(\.number.trimmed).first { $0.count <= 20 && LeadDraft.isLandline($0) }
        return (mobile, landline)
    }

    private static func noMobile(_ phones: [ADFDocument.Phone]) -> String {
        let sent = phones.map(\.number.trimmed).filter { !$0.isEmpty }
        guard !sent.isEmpty else { return "is missing: a lead needs the customer's mobile number" }
        return "has no mobile number (sent: \(sent.joined(separator: ", "))); a lead needs an 11-digit mobile starting with 1, e.g. 13871150099 — a landline alone is not enough"
    }

    // MARK: source

    static func source(_ prospect: ADFDocument.Prospect, dictionaries: LeadDictionaries) -> String {
        [prospect.idSource, prospect.provider].lazy.compactMap { $0 }.compactMap(dictionaries.sourceCode(named:)).first ?? "other"
    }

    /// The ADF element a lead field comes from, for the report.
    static func field(_ field: String) -> String {
        switch field {
        case "name": return "customer.contact.name"
        case "mobile": return "customer.contact.phone"
        case "landline": return "customer.contact.phone"
        case "brand": return "vehicle.make"
        case "series": return "vehicle.model"
        case "model": return "vehicle.trim"
        case "note": return "customer.comments"
        default: return field
        }
    }
}
