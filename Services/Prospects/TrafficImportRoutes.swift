import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `POST /api/v1/prospects/traffic/imports` (P1, batch): a CSV or .xlsx file of showroom traffic —
/// every row checked, the valid ones registered in file order by the duplicate rules of P2, in
/// one transaction: a crash part-way leaves nothing, and the report says for every row what
/// it came to or why it was rejected. `?dryRun=true` reports without keeping anything.
/// `GET /api/v1/prospects/traffic/imports/template` is the file to fill in.
struct TrafficImportRoutes: Sendable {
    let environment: ServiceEnvironment

    /// A showroom registers dozens of visitors a day; a month of a busy group's fits.
    static let maximumRows = 5_000
    static let maximumFileSize = 4 << 20

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prospects/traffic/imports", use: importFile)
        group.get("prospects/traffic/imports/template", use: template)
    }

    @Sendable func importFile(_ request: Request, context: CRMRequestContext) async throws -> TrafficImportReport {
        let principal = try context.require(.writeProspects)
        var query = QueryReader(request)
        let dryRun = query.bool("dryRun") ?? false
        try query.throwIfInvalid()
        let data = try await ImportFile.body(of: request, maximumSize: Self.maximumFileSize)
        let rows = try ImportFile.rows(of: data, as: TrafficImportColumn.self)
        guard rows.count <= Self.maximumRows else {
            throw ProblemDetails.validation([.init(field: "file", message: "has more than \(Self.maximumRows) rows; split it")])
        }
        return try await environment.database.withTransaction(dryRun: dryRun) { connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let consultants = try await consultantsByName(in: principal.storeID, on: connection)
            let dictionaries = try await ProspectDictionaries.load(
                TrafficDraft.dictionarySets, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
            let traffic = TrafficStore(
                connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox)
            var results: [TrafficImportReport.RowResult] = []
            for row in rows {
                switch TrafficImportReader.traffic(row, consultants: consultants, timeZone: day.timeZone, dictionaries: dictionaries) {
                case .failure(let problem):
                    results.append(.init(row: row.row, outcome: "rejected", errors: problem.errors))
                case .success(let draft):
                    let registered = try await traffic.register(
                        draft, store: principal.storeID, consultant: TrafficRoutes.receivingConsultant(named: draft.consultantID, by: principal),
                        by: principal.userID, now: day.now, today: day.today)
                    results.append(.init(row: row.row, outcome: registered.outcome, prospectId: dryRun ? nil : registered.prospectID))
                }
            }
            let rejected = results.filter { $0.outcome == "rejected" }.count
            return TrafficImportReport(
                dryRun: dryRun, rows: results.count, registered: results.count - rejected, rejected: rejected, results: results)
        }
    }

    /// The store's active users by user name and by display name, as a sheet names a consultant;
    /// a display name two users share names neither.
    private func consultantsByName(in store: UUID, on connection: PostgresConnection) async throws -> [String: UUID] {
        let users = try await environment.directory.activeUsers(inStore: store, on: connection, logger: environment.logger)
        var byName: [String: UUID] = [:]
        let shared = Dictionary(grouping: users, by: \.displayName).filter { $0.value.count > 1 }.keys
        for user in users {
            if !shared.contains(user.displayName) { byName[user.displayName] = user.id }
        }
        for user in users { byName[user.username] = user.id }
        return byName
    }

    /// The template's example row shows the coded columns in the store's words.
    @Sendable func template(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.writeProspects)
        let format = try ExportFormat(request: request)
        let words = try await environment.dictionaries(TrafficDraft.dictionarySets, stores: [principal.storeID])
        func word(_ set: DataDictionaries.Set, _ code: String) -> ExportCell { words.cell(set, code, store: principal.storeID) }
        let example: [ExportCell] = [
            ExportCell("巴奔"), ExportCell("15381203873"), ExportCell(nil as String?), word(DataDictionaries.gender, "male"), ExportCell("湖北省"),
            ExportCell("武汉市"), word(DataDictionaries.trafficArrival, "showroom"), ExportCell(2), ExportCell("2026-11-22 11:12"),
            ExportCell("2026-11-22 11:40"), word(DataDictionaries.prospectCategory, "showroom"), word(DataDictionaries.prospectSource, "walk_in"),
            word(DataDictionaries.trafficNature, "first_visit"), ExportCell(nil as String?), ExportCell("凯迪拉克"), ExportCell("XT5"),
            ExportCell("2026款 28T 豪华型"), ExportCell(nil as String?), ExportCell("B"), ExportCell("周末再来"),
        ]
        let table = ExportTable(sheetName: "流量登记导入模板", headers: TrafficImportColumn.allCases.map(\.header), rows: [example])
        return try await Response.export(table, as: format, fileName: "traffic-import-template")
    }
}

extension TrafficImportReport: ResponseEncodable {}
