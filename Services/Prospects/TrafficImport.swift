import Contracts
import Foundation
import ServiceKit

/// The columns of the traffic import template (流量登记导入模板, P1 batch).
enum TrafficImportColumn: String, ImportColumn {
    case name, mobile, landline, gender, province, city, arrival, partySize, arrivedAt, leftAt, category, source, nature
    case consultant, brand, series, model, plate, level, note

    static let required: [TrafficImportColumn] = [.name, .mobile, .arrivedAt]

    var header: String {
        switch self {
        case .name: return "客户姓名"
        case .mobile: return "手机号码"
        case .landline: return "固定电话"
        case .gender: return "性别"
        case .province: return "省份"
        case .city: return "城市"
        case .arrival: return "登记方式"
        case .partySize: return "登记人数"
        case .arrivedAt: return "到店时间"
        case .leftAt: return "离店时间"
        case .category: return "登记大类"
        case .source: return "客户来源"
        case .nature: return "获取性质"
        case .consultant: return "销售顾问"
        case .brand: return "意向品牌"
        case .series: return "意向车系"
        case .model: return "意向车型"
        case .plate: return "车牌号"
        case .level: return "意向级别"
        case .note: return "备注"
        }
    }

    /// The column a field of `NewTraffic` comes from, for the report.
    static func header(ofField field: String) -> String {
        (field == "consultantId" ? TrafficImportColumn.consultant : TrafficImportColumn(rawValue: field))?.header ?? field
    }
}

/// What a traffic import did, or would do on a dry run: one result per data row.
struct TrafficImportReport: Codable, Sendable {
    struct RowResult: Codable, Sendable {
        var row: Int
        /// `rejected`, or what registering the row came to: `created`, `existing`, `reactivated`,
        /// `carried_over`, `restored` (P2).
        var outcome: String
        /// For a rejected row: what is wrong with which column.
        var errors: [ProblemDetails.FieldError]?
        /// The prospect the row went to (absent on a dry run and for rejected rows).
        var prospectId: UUID?
    }

    var dryRun: Bool
    var rows: Int
    var registered: Int
    var rejected: Int
    var results: [RowResult]
}

/// Reads the rows of a traffic import as registrations. A coded column (性别, 登记方式, 登记大类,
/// 客户来源, 获取性质, 意向级别) takes the store's word for a code or the code itself, through the
/// store's dictionaries: a source the store added or relabelled reads too.
enum TrafficImportReader {
    static func traffic(
        _ row: ImportedRow<TrafficImportColumn>, consultants: [String: UUID], timeZone: TimeZone, dictionaries: StoreDictionaries
    ) -> Result<TrafficDraft, ProblemDetails> {
        var errors: [ProblemDetails.FieldError] = []
        func read<Value>(_ column: TrafficImportColumn, _ parse: (String) -> Value?, expected: String) -> Value? {
            guard let text = row.cell(column) else { return nil }
            guard let value = parse(text) else {
                errors.append(.init(field: column.header, message: "must be \(expected)"))
                return nil
            }
            return value
        }
        /// The code a coded cell names; nil for an empty or unknown one (which is reported).
        func code(_ column: TrafficImportColumn, _ set: DataDictionaries.Set) -> String? {
            let dictionary = dictionaries[set]
            return read(column, { Self.code(named: $0, in: dictionary, set: set) }, expected: "one of: \(dictionary.allowedText)")
        }
        let arrivedAt = read(.arrivedAt, { ImportFile.dateTime($0, in: timeZone) }, expected: "a time like 2026-11-22 10:30")
        if row.cell(.arrivedAt) == nil { errors.append(.init(field: TrafficImportColumn.arrivedAt.header, message: "is required")) }
        let body = NewTraffic(
            name: row.cell(.name) ?? "", mobile: row.cell(.mobile) ?? "", landline: row.cell(.landline),
            gender: code(.gender, DataDictionaries.gender),
            province: row.cell(.province), city: row.cell(.city), district: nil,
            arrival: code(.arrival, DataDictionaries.trafficArrival) ?? "showroom",
            partySize: read(.partySize, { Int($0) }, expected: "a whole number"),
            arrivedAt: arrivedAt ?? Date(timeIntervalSince1970: 0),
            leftAt: read(.leftAt, { ImportFile.dateTime($0, in: timeZone) }, expected: "a time like 2026-11-22 11:15"),
            category: code(.category, DataDictionaries.prospectCategory) ?? "showroom",
            source: code(.source, DataDictionaries.prospectSource) ?? "walk_in",
            nature: code(.nature, DataDictionaries.trafficNature) ?? "first_visit",
            consultantId: read(.consultant, { consultants[$0] }, expected: "the user name or name of an active user of the store"),
            brand: row.cell(.brand), series: row.cell(.series), model: row.cell(.model), plate: row.cell(.plate),
            level: code(.level, DataDictionaries.prospectLevel),
            note: row.cell(.note))
        do {
            let draft = try TrafficDraft(body, dictionaries: dictionaries)
            return errors.isEmpty ? .success(draft) : .failure(.validation(errors))
        } catch let problem as ProblemDetails {
            let named = (problem.errors ?? []).map {
                ProblemDetails.FieldError(field: TrafficImportColumn.header(ofField: $0.field), message: $0.message)
            }
            // A column the sheet already reported keeps its own message, not the form's.
            let reported = Set(errors.map(\.field))
            return .failure(.validation(errors + named.filter { !reported.contains($0.field) }))
        } catch {
            return .failure(.validation([.init(field: "row", message: "\(error)")]))
        }
    }

    /// The code a cell names: by the store's code or word for it; else by the catalogue's word
    /// (a sheet written before the store relabelled it) or a word sheets use for it.
    static func code(named text: String, in dictionary: StoreDictionary, set: DataDictionaries.Set) -> String? {
        dictionary.code(forCodeOrLabel: text) ?? otherWords[set.id]?[text.trimmed]
    }

    /// Words sheets use besides the catalogue's labels.
    static let otherWords: [String: [String: String]] = [
        DataDictionaries.trafficArrival.id: ["到店": "showroom", "电话": "phone"],
        DataDictionaries.prospectSource.id: ["其它": "other"],
        DataDictionaries.trafficNature.id: ["展厅首次到店": "first_visit", "网络首次到店": "first_visit", "展厅到店二次": "second_visit"],
    ]
}
