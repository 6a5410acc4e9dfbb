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
        var results: [LeadImportReport.RowResult] = []
        var accepted: [(index: Int, draft: LeadDraft)] = []
        var firstRowOfMobile: [String: Int] = [:]
        var repeated: [(index: Int, draft: LeadDraft)] = []
        for (row, checked) in zip(rows, await Self.check(rows, dictionaries: dictionaries, defaultSource: defaultSource)) {
            switch checked {
            case .failure(let problem):
                results.append(.init(row: row.row, outcome: "rejected", errors: problem.errors))
            case .success(let draft):
                results.append(.init(row: row.row, outcome: "created"))
                if firstRowOfMobile[draft.mobile] == nil {
                    firstRowOfMobile[draft.mobile] = results.count - 1
                    accepted.append((results.count - 1, draft))
                } else {
                    repeated.append((results.count - 1, draft))
                }
            }
        }
        let checkedResults = results
        let checked = clock.now

        return try await environment.database.withTransaction(dryRun: dryRun) { connection in
            var results = checkedResults
            let today = try await environment.storeDay(principal.storeID, on: connection).today
            let store = LeadImportStore(connection: connection, logger: environment.logger)
            let (created, existing) = try await store.insert(accepted.map(\.draft), store: principal.storeID, by: principal.userID)
            let inserted = clock.now
            try await LeadAnnouncer(connection: connection, logger: environment.logger, outbox: environment.outbox)
                .announceLater(Array(created.values))
            let announcing = clock.now - inserted  // part of "written"
            var duplicates: [LeadImportStore.Duplicate] = []
            for (index, draft) in accepted {
                if let id = created[draft.mobile] {
                    results[index].leadId = dryRun ? nil : id
                } else if let id = existing[draft.mobile] {
                    results[index].outcome = "duplicate"
                    results[index].reason = "exists"
                    results[index].leadId = id
                    duplicates.append(.init(leadID: id, draft: draft, reason: "exists"))
                }
            }
            for (index, draft) in repeated {
                guard let id = created[draft.mobile] ?? existing[draft.mobile] else { continue }
                results[index].outcome = "duplicate"
                results[index].reason = "repeated_in_import"
                results[index].leadId = dryRun && created[draft.mobile] != nil ? nil : id
                duplicates.append(.init(leadID: id, draft: draft, reason: "repeated_in_import"))
            }
            try await store.recordDuplicates(duplicates, store: principal.storeID, by: principal.userID, today: today)
            let report = LeadImportReport(
                dryRun: dryRun, rows: results.count,
                created: results.filter { $0.outcome == "created" }.count,
                duplicates: results.filter { $0.outcome == "duplicate" }.count,
                rejected: results.filter { $0.outcome == "rejected" }.count,
                results: results)
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

/// `POST /api/v1/leads/intake/adf` (L3): leads from a platform as an ADF XML document, each
/// entered like a lead typed in by hand. The caller is the platform's integration user of the
/// store the leads are for.
struct ADFIntakeRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("leads/intake/adf", use: intake)
    }

    struct IntakeResult: Codable, Sendable, ResponseEncodable {
        /// One per `<prospect>`, in order.
        var results: [LeadIntake]
    }

    @Sendable func intake(_ request: Request, context: CRMRequestContext) async throws -> IntakeResult {
        let principal = try context.require(.writeLeads)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 1 << 20)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "an ADF document may be at most 1 MB")
        }
        let document = try ADFDocument(Data(buffer: body))
        guard !document.prospects.isEmpty else { throw ProblemDetails.validation([.init(field: "adf", message: "has no <prospect>")]) }
        guard document.prospects.count <= 1000 else { throw ProblemDetails.validation([.init(field: "adf", message: "has more than 1000 prospects")]) }
        // Every prospect must be enterable, or none is entered: a platform resends the document.
        var drafts: [LeadDraft] = []
        var errors: [ProblemDetails.FieldError] = []
        // The platform named by a code or label of the store's `leadSource` (G5), else `other`.
        let dictionaries = try await environment.database.withConnection { connection in
            try await LeadDictionaries.load(store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
        }
        for (index, prospect) in document.prospects.enumerated() {
            let source = (prospect.idSource ?? prospect.provider).flatMap(dictionaries.sourceCode(named:)) ?? "other"
            do {
                drafts.append(try LeadDraft(NewLead(
                    name: prospect.fullName, mobile: prospect.phone, gender: nil, source: source, province: nil, city: nil,
                    brand: prospect.make, series: prospect.model, model: prospect.trim, level: nil, note: prospect.comments),
                    dictionaries: dictionaries, origin: .platform))
            } catch let problem as ProblemDetails {
                errors += (problem.errors ?? []).map { .init(field: "prospect[\(index)].\(Self.adfField($0.field))", message: $0.message) }
            }
        }
        guard errors.isEmpty else { throw ProblemDetails.validation(errors) }
        return try await environment.database.withTransaction { connection in
            let today = try await environment.storeDay(principal.storeID, on: connection).today
            let store = LeadStore(connection: connection, logger: environment.logger, directory: environment.directory)
            var results: [LeadIntake] = []
            for draft in drafts {
                let entered = try await store.enter(draft, store: principal.storeID, by: principal.userID, today: today)
                guard let lead = try await store.lead(entered.leadID, principal: principal.widened(to: .store)) else {
                    throw ProblemDetails.notFound("lead \(entered.leadID)")
                }
                results.append(LeadIntake(outcome: entered.outcome, lead: lead, duplicateId: entered.duplicateID))
            }
            try await LeadAnnouncer(connection: connection, logger: environment.logger, outbox: environment.outbox).announce(results.map(\.lead.id))
            return IntakeResult(results: results)
        }
    }

    /// The ADF element a lead field comes from, for error messages.
    static func adfField(_ field: String) -> String {
        switch field {
        case "name": return "customer.contact.name"
        case "mobile": return "customer.contact.phone"
        case "brand": return "vehicle.make"
        case "series": return "vehicle.model"
        case "model": return "vehicle.trim"
        case "note": return "customer.comments"
        default: return field
        }
    }
}
