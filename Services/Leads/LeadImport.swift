import Foundation
import ServiceKit

/// The columns of the lead import template (批量导入模板); a file may name them in Chinese, as
/// the template does, or by their API names.
enum LeadImportColumn: String, ImportColumn {
    case name, mobile, source, province, city, brand, series, model, level, note

    static let required: [LeadImportColumn] = [.name, .mobile]

    /// The template's header for the column.
    var header: String {
        switch self {
        case .name: return "客户姓名"
        case .mobile: return "手机号码"
        case .source: return "数据来源"
        case .province: return "省份"
        case .city: return "城市"
        case .brand: return "品牌"
        case .series: return "车系"
        case .model: return "车型"
        case .level: return "级别"
        case .note: return "备注"
        }
    }
}

extension LeadSource {
    /// Reads a source as staff write it in a sheet: 汽车之家, 易车, 懂车帝, 官网, 电话, 其他, or the code.
    init?(sheetText: String) {
        let text = sheetText.trimmed
        switch text {
        case "汽车之家": self = .autohome
        case "易车", "易车网": self = .yiche
        case "懂车帝": self = .dongchedi
        case "官网", "网站": self = .website
        case "电话": self = .phone
        case "其他", "其它": self = .other
        default:
            guard let source = LeadSource(rawValue: text.lowercased()) else { return nil }
            self = source
        }
    }
}

/// What an import did, or would do on a dry run: one result per data row.
struct LeadImportReport: Codable, Sendable {
    struct RowResult: Codable, Sendable {
        var row: Int
        /// `created`, `duplicate` or `rejected`.
        var outcome: String
        /// For a duplicate: `exists` (the store has the mobile) or `repeated_in_import`.
        var reason: String?
        /// For a rejected row: what is wrong with which column.
        var errors: [ProblemDetails.FieldError]?
        /// The lead created, or the one a duplicate belongs to (absent on a dry run for new leads).
        var leadId: UUID?
    }

    var dryRun: Bool
    var rows: Int
    var created: Int
    var duplicates: Int
    var rejected: Int
    var results: [RowResult]
}

/// Checks the rows of an import file.
enum LeadImportReader {
    /// The row as a lead, or the errors that reject it.
    static func draft(_ row: ImportedRow<LeadImportColumn>, defaultSource: LeadSource?) -> Result<LeadDraft, ProblemDetails> {
        let cell = row.cell
        var errors: [ProblemDetails.FieldError] = []
        var source = defaultSource
        if let text = cell(.source) {
            source = LeadSource(sheetText: text)
            if source == nil { errors.append(.init(field: LeadImportColumn.source.header, message: "must be 汽车之家, 易车, 懂车帝, 官网, 电话 or 其他")) }
        } else if source == nil {
            errors.append(.init(field: LeadImportColumn.source.header, message: "is required"))
        }
        var level: LeadLevel?
        if let text = cell(.level) {
            level = LeadLevel(rawValue: text.uppercased())
            if level == nil { errors.append(.init(field: LeadImportColumn.level.header, message: "must be H, A, B or C")) }
        }
        let body = NewLead(
            name: cell(.name) ?? "", mobile: cell(.mobile) ?? "", gender: nil, source: source ?? .other,
            province: cell(.province), city: cell(.city), brand: cell(.brand), series: cell(.series), model: cell(.model),
            level: level, note: cell(.note))
        do {
            let draft = try LeadDraft(body)
            if !errors.isEmpty { return .failure(.validation(errors)) }
            return .success(draft)
        } catch let problem as ProblemDetails {
            // Name the sheet's columns, as staff see them.
            let named = (problem.errors ?? []).map { error in
                ProblemDetails.FieldError(field: LeadImportColumn(rawValue: error.field)?.header ?? error.field, message: error.message)
            }
            return .failure(.validation(named + errors))
        } catch {
            return .failure(.validation([.init(field: "row", message: "\(error)")]))
        }
    }
}
