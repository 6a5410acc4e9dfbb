import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/marketing/channels/report` (M6): channel → registrations → leads → prospects →
/// orders over a period of store days (`from`, `to`, both included; by when the customer came
/// through the channel), and `…/report/export` (`?format=xlsx|csv`) with the store's words.
/// Takes `marketing.read`.
struct ChannelReportRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/channels/report", use: report)
        group.get("marketing/channels/report/export", use: export)
    }

    struct Report: Codable, Sendable, ResponseEncodable {
        /// The period, store days `yyyy-MM-dd`; nil when open.
        var from: String?
        var to: String?
        var channels: [ChannelReportRow]
    }

    @Sendable func report(_ request: Request, context: CRMRequestContext) async throws -> Report {
        let principal = try context.require(.readMarketing)
        return try await read(request, store: principal.storeID).report
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readMarketing)
        let format = try ExportFormat(request: request)
        let (report, kinds) = try await read(request, store: principal.storeID)
        let table = ExportTable(
            sheetName: "渠道效果",
            headers: ["渠道码", "渠道名称", "渠道类型", "状态", "报名", "线索", "到店客户", "订单"],
            rows: report.channels.map { row in
                [ExportCell(row.code), ExportCell(row.name), ExportCell(kinds.label(row.kind)), ExportCell(row.enabled ? "启用" : "停用"),
                 ExportCell(row.registrations), ExportCell(row.leads), ExportCell(row.prospects), ExportCell(row.orders)]
            })
        return try await Response.export(table, as: format, fileName: "channel-report")
    }

    private func read(_ request: Request, store: UUID) async throws -> (report: Report, kinds: StoreDictionary) {
        let query = QueryReader(request)
        var check = FieldValidator()
        // Days that exist, in years PostgreSQL and a report can mean (2000–2099).
        func day(_ name: String) -> String? {
            guard let text = query.given(name) else { return nil }
            guard let day = CalendarDate.parse(text), ("2000"..."2099").contains(day.prefix(4)) else {
                check.fail(name, "must be a store day yyyy-MM-dd between 2000 and 2099, e.g. 2026-11-30")
                return nil
            }
            return day
        }
        let from = day("from"), to = day("to")
        if let from, let to, from > to { check.fail("to", "must not be before from (\(from))") }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(store, on: connection)
            let kinds = try await environment.directory.dictionary(DataDictionaries.channelKind, store: store, on: connection, logger: environment.logger)
            let rows = try await ChannelStore(connection: connection, logger: environment.logger).report(
                store: store, from: from.map(day.start(of:)), before: to.map { day.start(of: ServiceClock.day($0, plus: 1)) })
            return (Report(from: from, to: to, channels: rows), kinds)
        }
    }
}
