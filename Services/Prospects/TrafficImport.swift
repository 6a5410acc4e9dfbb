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

/// Reads the rows of a traffic import as registrations. The sheet's words are the ones staff
/// use (来店, 展厅, 自然到店, 首次到店, 男); the API's codes are accepted too.
enum TrafficImportReader {
    static func traffic(
        _ row: ImportedRow<TrafficImportColumn>, consultants: [String: UUID], timeZone: TimeZone
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
        let arrivedAt = read(.arrivedAt, { ImportFile.dateTime($0, in: timeZone) }, expected: "a time like 2026-11-22 10:30")
        if row.cell(.arrivedAt) == nil { errors.append(.init(field: TrafficImportColumn.arrivedAt.header, message: "is required")) }
        let body = NewTraffic(
            name: row.cell(.name) ?? "", mobile: row.cell(.mobile) ?? "", landline: row.cell(.landline),
            gender: read(.gender, Self.gender, expected: "男 or 女"),
            province: row.cell(.province), city: row.cell(.city), district: nil,
            arrival: read(.arrival, TrafficArrival.init(sheetText:), expected: "来店 or 来电") ?? .showroom,
            partySize: read(.partySize, { Int($0) }, expected: "a whole number"),
            arrivedAt: arrivedAt ?? Date(timeIntervalSince1970: 0),
            leftAt: read(.leftAt, { ImportFile.dateTime($0, in: timeZone) }, expected: "a time like 2026-11-22 11:15"),
            category: read(.category, ProspectCategory.init(sheetText:), expected: "展厅, 网络 or 大客户") ?? .showroom,
            source: read(.source, ProspectSource.init(sheetText:), expected: "自然到店, 老客户介绍, 展厅活动, 厂家直购, 二网, 重新购买 or 其他") ?? .walkIn,
            nature: read(.nature, TrafficNature.init(sheetText:), expected: "首次到店, 二次到店 or 再次到店") ?? .firstVisit,
            consultantId: read(.consultant, { consultants[$0] }, expected: "the user name or name of an active user of the store"),
            brand: row.cell(.brand), series: row.cell(.series), model: row.cell(.model), plate: row.cell(.plate),
            level: read(.level, { ProspectLevel(rawValue: $0.uppercased()) }, expected: "H, A, B or C"),
            note: row.cell(.note))
        do {
            let draft = try TrafficDraft(body)
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

    static func gender(_ text: String) -> String? {
        switch text.lowercased() {
        case "男", "male": return "male"
        case "女", "female": return "female"
        default: return nil
        }
    }
}

extension TrafficArrival {
    init?(sheetText text: String) {
        switch text {
        case "来店", "到店": self = .showroom
        case "来电", "电话": self = .phone
        default: self.init(rawValue: text.lowercased())
        }
    }
}

extension ProspectCategory {
    init?(sheetText text: String) {
        switch text {
        case "展厅": self = .showroom
        case "网络": self = .online
        case "大客户": self = .keyAccount
        default: self.init(rawValue: text.lowercased())
        }
    }
}

extension ProspectSource {
    /// The sources staff register; online_lead and defeat_pool are the system's and read as invalid.
    init?(sheetText text: String) {
        switch text {
        case "自然到店": self = .walkIn
        case "老客户介绍": self = .referral
        case "展厅活动": self = .showroomEvent
        case "厂家直购": self = .factoryDirect
        case "二网": self = .secondaryDealer
        case "重新购买": self = .repurchase
        case "其他", "其它": self = .other
        default:
            guard let source = ProspectSource(rawValue: text.lowercased()), ![.onlineLead, .defeatPool].contains(source) else { return nil }
            self = source
        }
    }
}

extension TrafficNature {
    init?(sheetText text: String) {
        switch text {
        case "首次到店", "展厅首次到店", "网络首次到店": self = .firstVisit
        case "二次到店", "展厅到店二次": self = .secondVisit
        case "再次到店": self = .repeatVisit
        default: self.init(rawValue: text.lowercased())
        }
    }
}
