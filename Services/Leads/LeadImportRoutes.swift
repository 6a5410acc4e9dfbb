import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `POST /api/v1/leads/imports` (L2): a CSV or .xlsx file of leads — checked row by row, de-duplicated
/// by mobile within the file and against the store, and written in one transaction: the report
/// lists every row as created, duplicate or rejected (with the reason). `?dryRun=true` reports
/// without writing anything. `GET /api/v1/leads/imports/template` is the file to fill in.
struct LeadImportRoutes: Sendable {
    let environment: ServiceEnvironment

    /// 100,000 rows of a filled template fit easily.
    static let maximumFileSize = 32 << 20

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("leads/imports", use: importFile)
        group.get("leads/imports/template", use: template)
    }

    @Sendable func importFile(_ request: Request, context: CRMRequestContext) async throws -> LeadImportReport {
        let principal = try context.require(.writeLeads)
        var query = QueryReader(request)
        let dryRun = query.bool("dryRun") ?? false
        let sourceParameter = query.string("source")
        try query.throwIfInvalid()
        // The store's words for sources and levels (G5): the file may give a code or a label.
        let dictionaries = try await environment.database.withConnection { connection in
            try await LeadDictionaries.load(store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
        }
        var check = FieldValidator()
        let defaultSource = check.code("source", sourceParameter, in: dictionaries.source)
        try check.throwIfInvalid()
        let data = try await ImportFile.body(of: request, maximumSize: Self.maximumFileSize)
        let clock = ContinuousClock()
        let started = clock.now
        let rows = try ImportFile.rows(of: data, as: LeadImportColumn.self)
        let read = clock.now
        guard rows.count <= 200_000 else { throw ProblemDetails.validation([.init(field: "file", message: "has more than 200,000 rows; split it")]) }

        // Check every row first: no database work for rows that are rejected anyway.
        let batch = LeadBatch(zip(rows, await Self.check(rows, dictionaries: dictionaries, defaultSource: defaultSource)).map { ($0.row, $1) })
        let checked = clock.now

        return try await environment.database.withTransaction(dryRun: dryRun) { connection in
            let (report, announcing) = try await batch.write(
                on: connection, store: principal.storeID, by: principal.userID, dryRun: dryRun, announce: .afterCommit, environment: environment)
            // Where an import's time goes, for whoever tunes it.
            environment.logger.info("lead import", metadata: [
                "rows": "\(report.rows)", "created": "\(report.created)", "duplicates": "\(report.duplicates)",
                "rejected": "\(report.rejected)", "dryRun": "\(dryRun)", "read": "\(read - started)",
                "checked": "\(checked - read)", "written": "\(clock.now - checked)", "announced": "\(announcing)",
            ])
            return report
        }
    }

    /// Checks the rows on every core: the checks are pure and a large import has 100,000 rows.
    static func check(_ rows: [ImportedRow<LeadImportColumn>], dictionaries: LeadDictionaries, defaultSource: String?) async -> [Result<LeadDraft, ProblemDetails>] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 1000))
        let size = (rows.count + parts - 1) / max(parts, 1)
        return await withTaskGroup(of: (Int, [Result<LeadDraft, ProblemDetails>]).self) { group in
            for part in 0..<parts {
                let slice = rows[min(rows.count, part * size)..<min(rows.count, (part + 1) * size)]
                group.addTask { (part, slice.map { LeadImportReader.draft($0, dictionaries: dictionaries, defaultSource: defaultSource) }) }
            }
            var checked = [[Result<LeadDraft, ProblemDetails>]](repeating: [], count: parts)
            for await (part, results) in group { checked[part] = results }
            return checked.flatMap { $0 }
        }
    }

    @Sendable func template(_ request: Request, context: CRMRequestContext) async throws -> Response {
        _ = try context.require(.writeLeads)
        let format = try ExportFormat(request: request)
        let example: [ExportCell] = [
            ExportCell("陈云"), ExportCell("13429893242"), ExportCell("汽车之家"), ExportCell("湖北省"), ExportCell("武汉市"),
            ExportCell("凯迪拉克"), ExportCell("凯迪拉克XT5"), ExportCell("2019款 28T 豪华型"), ExportCell("A"), ExportCell("周末到店"),
        ]
        let table = ExportTable(sheetName: "线索导入模板", headers: LeadImportColumn.allCases.map(\.header), rows: [example])
        return try await Response.export(table, as: format, fileName: "lead-import-template")
    }
}

extension LeadImportReport: ResponseEncodable {}
