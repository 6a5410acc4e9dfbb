import Foundation
import Hummingbird
import ServiceKit

/// The columns of the recipient-list template (导表发券, seed §6.2): one customer per row, by
/// mobile, with a name if known.
enum RecipientListColumn: String, ImportColumn {
    case mobile, name

    static let required: [RecipientListColumn] = [.mobile]

    var header: String {
        switch self {
        case .mobile: "手机号码"
        case .name: "客户姓名"
        }
    }
}

/// What a list upload did, or would do on a dry run: one result per data row.
struct RecipientListReport: Codable, Sendable, ResponseEncodable {
    struct RowResult: Codable, Sendable {
        var row: Int
        /// `listed`, `duplicate` (an earlier row had the same mobile) or `rejected` (`errors` say why).
        var outcome: String
        var mobile: String?
        var errors: [ProblemDetails.FieldError]?
    }

    var dryRun: Bool
    var rows: Int
    /// Customers on the task's list after the upload (the file replaces the list).
    var listed: Int
    var duplicates: Int
    var rejected: Int
    var results: [RowResult]

    /// The report of `rows`, and the customers to list (first name given per mobile).
    static func of(_ rows: [ImportedRow<RecipientListColumn>], dryRun: Bool) -> (report: RecipientListReport, recipients: [CouponRecipient]) {
        var results: [RowResult] = []
        var recipients: [CouponRecipient] = []
        var seen: Set<String> = []
        for row in rows {
            var check = FieldValidator()
            let mobile = check.mobile(RecipientListColumn.mobile.header, row.cell(.mobile) ?? "")
            let name = check.optionalText(RecipientListColumn.name.header, row.cell(.name), maxLength: 30)
            var result = RowResult(row: row.row, outcome: "rejected")
            if check.errors.isEmpty {
                result.mobile = mobile
                if seen.insert(mobile).inserted {
                    result.outcome = "listed"
                    recipients.append(CouponRecipient(mobile: mobile, name: name))
                } else {
                    result.outcome = "duplicate"
                }
            } else {
                result.errors = check.errors
            }
            results.append(result)
        }
        let report = RecipientListReport(
            dryRun: dryRun, rows: rows.count, listed: recipients.count, duplicates: results.count { $0.outcome == "duplicate" },
            rejected: results.count { $0.outcome == "rejected" }, results: results)
        return (report, recipients)
    }
}

/// `PUT /api/v1/coupons/tasks/{id}/recipients` (导表发券): a CSV or .xlsx of mobiles (and names)
/// becomes an imported task's customers — the file replaces the list — with a report row by row;
/// `?dryRun=true` reports and writes nothing. `GET …/tasks/recipients-template` is the file to
/// fill in. Only a draft's (or rejected task's) list changes.
struct RecipientListRoutes: Sendable {
    let environment: ServiceEnvironment

    /// 100,000 rows of mobiles and names fit easily.
    static let maximumFileSize = 16 << 20
    static let maximumRows = 100_000

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.put("coupons/tasks/:id/recipients", use: upload)
        group.get("coupons/tasks/recipients-template", use: template)
    }

    @Sendable func upload(_ request: Request, context: CRMRequestContext) async throws -> RecipientListReport {
        let principal = try context.require(.issueCoupons)
        let id = try context.parameters.uuid("id")
        var query = QueryReader(request)
        let dryRun = query.bool("dryRun") ?? false
        try query.throwIfInvalid()
        let data = try await ImportFile.body(of: request, maximumSize: Self.maximumFileSize)
        return try await environment.database.withTransaction(dryRun: dryRun) { connection in
            // The task first: another store's task is a 404 whatever the file holds.
            let tasks = IssueTaskStore(connection: connection, logger: environment.logger)
            guard let (task, _) = try await tasks.task(id, store: principal.storeID, lock: "FOR UPDATE") else {
                throw ProblemDetails.notFound("issuing task \(id)")
            }
            guard IssueTaskState(rawValue: task.state)?.isEditable == true else {
                throw ProblemDetails.conflict("task \(task.number) is published already; its list no longer changes")
            }
            guard task.kind == IssueTaskKind.imported.rawValue else {
                throw ProblemDetails.conflict("task \(task.number) is not an imported task (导表发券); only those take a list")
            }
            let rows = try ImportFile.rows(of: data, as: RecipientListColumn.self)
            guard rows.count <= Self.maximumRows else {
                throw ProblemDetails.validation([.init(field: "file", message: "has more than \(Self.maximumRows) rows; split it")])
            }
            let (report, recipients) = RecipientListReport.of(rows, dryRun: dryRun)
            try await tasks.replaceRecipients(id, recipients)
            return report
        }
    }

    @Sendable func template(_ request: Request, context: CRMRequestContext) async throws -> Response {
        _ = try context.require(.issueCoupons)
        let format = try ExportFormat(request: request)
        let table = ExportTable(
            sheetName: "导表发券模板", headers: RecipientListColumn.allCases.map(\.header),
            rows: [[ExportCell("13871150099"), ExportCell("王磊")]])
        return try await Response.export(table, as: format, fileName: "coupon-recipients-template")
    }
}
