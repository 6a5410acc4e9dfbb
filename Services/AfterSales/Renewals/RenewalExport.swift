import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/renewal-tasks/export` (SPEC AS6, X1): the renewal list's rows on
/// the same filters and the same scope, as .xlsx or .csv — the columns of the seed's list
/// (§5.3: 分配状态, 客户姓名, 手机号, 车牌号, 车架号, 品牌, 车系, 车型, 续保提醒生成时间, 续保提醒失效时间, 招揽级别)
/// and the outcome: stage, state and defeat reason as the store's dictionaries word them, times
/// on the store's clock, the premium in yuan.
struct RenewalExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/renewal-tasks/export", use: tasks)
    }

    static let headers = [
        "分配状态", "续保专员", "客户姓名", "手机号", "车牌号", "车架号", "品牌", "车系", "车型", "续保提醒生成时间",
        "续保提醒失效时间", "续保招揽级别", "状态", "战败原因", "下次跟进日期", "最近跟进时间", "保险公司", "保单号", "保费(元)",
        "新保险到期日", "出单日期", "结束时间",
    ]

    @Sendable func tasks(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readRenewals)
        let format = try ExportFormat(request: request)
        let (page, words, timeZone) = try await environment.database.withTransaction { connection in
            let words = try await RenewalDictionaries.of(principal.storeID, in: environment, on: connection)
            let filter = try RenewalFilter(request, dictionaries: words)
            let page = try await RenewalStore(connection: connection, logger: environment.logger)
                .list(filter, principal: principal, directory: environment.directory.schema, page: ExportLimit.page)
            let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
            return (page, words, timeZone)
        }
        try ExportLimit.check(total: page.total)
        let rows: [[ExportCell]] = page.items.map { task in
            [ExportCell(task.assigneeId == nil ? "未分配" : "已分配"), ExportCell(task.assigneeName), ExportCell(task.ownerName),
             ExportCell(task.ownerMobile), ExportCell(task.plate), ExportCell(task.vin), ExportCell(task.brand), ExportCell(task.series),
             ExportCell(task.model), ExportCell(task.createdOn), ExportCell(task.insuranceExpiry),
             ExportCell(words.stages.label(task.stage.rawValue)), ExportCell(words.states.label(task.state.rawValue)),
             ExportCell(words.defeatReasons.label(task.defeatReason)), ExportCell(task.nextFollowUpOn),
             ExportCell(task.lastFollowUpAt, in: timeZone), ExportCell(task.renewal?.insurer), ExportCell(task.renewal?.policyNo),
             ExportCell(task.renewal?.premium), ExportCell(task.renewal?.newExpiry), ExportCell(task.renewal?.issuedOn),
             ExportCell(task.closedAt, in: timeZone)]
        }
        let table = ExportTable(sheetName: "续保招揽", headers: Self.headers, rows: rows)
        return try await Response.export(table, as: format, fileName: "renewal-tasks")
    }
}
