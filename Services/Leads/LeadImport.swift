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
    /// The row as a lead, or the errors that reject it. 数据来源 and 级别 take a code or a label
    /// of the store's `leadSource` and `leadLevel` (G5); a value that is neither is rejected with
    /// the allowed ones, as a lead entered by hand is.
    static func draft(_ row: ImportedRow<LeadImportColumn>, dictionaries: LeadDictionaries, defaultSource: String?) -> Result<LeadDraft, ProblemDetails> {
        let cell = row.cell
        let source = cell(.source).map { dictionaries.sourceCode(named: $0) ?? $0 } ?? defaultSource ?? ""
        let level = cell(.level).map { dictionaries.level.code(forCodeOrLabel: $0) ?? $0 }
        let body = NewLead(
            name: cell(.name) ?? "", mobile: cell(.mobile) ?? "", gender: nil, source: source,
            province: cell(.province), city: cell(.city), brand: cell(.brand), series: cell(.series), model: cell(.model),
            level: level, note: cell(.note))
        do {
            return .success(try LeadDraft(body, dictionaries: dictionaries))
        } catch let problem as ProblemDetails {
            // Name the sheet's columns, as staff see them.
            let named = (problem.errors ?? []).map { error in
                ProblemDetails.FieldError(field: LeadImportColumn(rawValue: error.field)?.header ?? error.field, message: error.message)
            }
            return .failure(.validation(named))
        } catch {
            return .failure(.validation([.init(field: "row", message: "\(error)")]))
        }
    }
}
