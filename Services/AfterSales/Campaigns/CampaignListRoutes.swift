import Foundation
import Hummingbird
import ServiceKit

/// `PUT /api/v1/after-sales/campaigns/{id}/vehicles` (导入, AS4): a CSV or .xlsx file of VINs or
/// plates becomes a list campaign's cars — the file replaces the list — with a report row by
/// row; `?dryRun=true` reports without changing the list. `GET …/campaigns/list-template` is the
/// file to fill in. Only a draft's list changes: 409 once published.
struct CampaignListRoutes: Sendable {
    let environment: ServiceEnvironment

    /// 200,000 rows of VINs fit easily.
    static let maximumFileSize = 16 << 20

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.put("after-sales/campaigns/:id/vehicles", use: importList)
        group.get("after-sales/campaigns/list-template", use: template)
    }

    @Sendable func importList(_ request: Request, context: CRMRequestContext) async throws -> CampaignListReport {
        let principal = try context.require(.manageCampaigns)
        let id = try context.parameters.uuid("id")
        var query = QueryReader(request)
        let dryRun = query.bool("dryRun") ?? false
        try query.throwIfInvalid()
        let data = try await ImportFile.body(of: request, maximumSize: Self.maximumFileSize)
        return try await environment.database.withTransaction(dryRun: dryRun) { connection in
            // The campaign first: a campaign of another store is a 404 whatever the file holds.
            let campaigns = CampaignStore(connection: connection, logger: environment.logger)
            guard let campaign = try await campaigns.campaign(id, store: principal.storeID, forUpdate: true) else {
                throw ProblemDetails.notFound("campaign \(id)")
            }
            guard campaign.state == "draft" else { throw ProblemDetails.conflict("campaign \(id) is published already; its list no longer changes") }
            guard campaign.targets == .list else {
                throw ProblemDetails.conflict("campaign \(id) targets cars by its conditions; set targets to list to import cars")
            }
            let rows = try ImportFile.rows(of: data, as: CampaignListColumn.self)
            guard rows.count <= 200_000 else { throw ProblemDetails.validation([.init(field: "file", message: "has more than 200,000 rows; split it")]) }
            let vins = rows.compactMap { $0.cell(.vin).map(VIN.normalise) }
            let plates = rows.compactMap { $0.cell(.vin) == nil ? $0.cell(.plate).map(Plate.normalise) : nil }
            let matcher = try await campaigns.matcher(store: principal.storeID, vins: vins, plates: plates)
            let (report, vehicles) = matcher.report(rows, dryRun: dryRun)
            try await campaigns.replaceList(id, vehicles: vehicles)
            return report
        }
    }

    @Sendable func template(_ request: Request, context: CRMRequestContext) async throws -> Response {
        _ = try context.require(.manageCampaigns)
        let format = try ExportFormat(request: request)
        let table = ExportTable(
            sheetName: "招揽名单导入模板", headers: CampaignListColumn.allCases.map(\.header),
            rows: [[ExportCell("LFV3A28K7K3012345"), ExportCell("")], [ExportCell(""), ExportCell("鄂A81245")]])
        return try await Response.export(table, as: format, fileName: "campaign-list-template")
    }
}
