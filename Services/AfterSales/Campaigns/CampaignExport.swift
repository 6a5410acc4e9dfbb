import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The campaign lists as .xlsx or .csv (X1), codes worded by the store's dictionaries (G5:
/// 招揽类型 `campaignKind`, 招揽方式 `campaignContactMethod`, 状态 `campaignState` /
/// `campaignTaskState`, 客户类别 `customerClass`, 战败原因 `afterSalesDefeatReason`), times on the
/// store's clock:
///
/// - `GET /api/v1/after-sales/campaigns/export` — the campaigns with their figures;
/// - `GET /api/v1/after-sales/campaign-tasks/export` — the task list's rows on the same filters.
struct CampaignExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/campaigns/export", use: campaigns)
        group.get("after-sales/campaign-tasks/export", use: tasks)
    }

    private static let sets = [
        DataDictionaries.campaignKind, DataDictionaries.campaignContactMethod, DataDictionaries.campaignState,
        DataDictionaries.campaignTaskState, DataDictionaries.customerClass, DataDictionaries.afterSalesDefeatReason,
    ]

    @Sendable func campaigns(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readCampaigns)
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let state = query.code("state")
        let (rows, words) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let stateCode = check.filterCode("state", state, in: words[DataDictionaries.campaignState])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let page = try await CampaignStore(connection: connection, logger: environment.logger)
                .list(store: principal.storeID, state: stateCode, page: ExportLimit.page)
            try ExportLimit.check(total: page.total)
            let figures = try await CampaignTaskStore(connection: connection, logger: environment.logger)
                .statistics(campaigns: page.items.map(\.id))
            return (page.items.map { ($0, figures[$0.id]!) }, words)
        }
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let methods = words[DataDictionaries.campaignContactMethod]
        let table = ExportTable(
            sheetName: "售后招揽",
            headers: ["招揽名称", "招揽类型", "活动开始时间", "活动结束时间", "招揽方式", "创建方式", "活动说明", "状态", "上线时间",
                      "招揽客户数", "已联系", "招揽成功", "战败", "到期未回厂", "跟进中", "成功率(%)"],
            rows: rows.map { campaign, figures in
                [ExportCell(campaign.name), ExportCell(words[DataDictionaries.campaignKind].label(campaign.kind)),
                 ExportCell(campaign.startsOn), ExportCell(campaign.endsOn),
                 ExportCell(campaign.contactMethods.map { methods.label($0) ?? $0 }.joined(separator: ",")),
                 ExportCell(campaign.targets == .list ? "导入" : "单个新增"), ExportCell(campaign.description),
                 ExportCell(words[DataDictionaries.campaignState].label(campaign.state)), ExportCell(campaign.goesLiveAt, in: timeZone),
                 ExportCell(figures.targeted), ExportCell(figures.contacted), ExportCell(figures.back), ExportCell(figures.defeated),
                 ExportCell(figures.failed), ExportCell(figures.open), .percent(figures.successRate)]
            })
        return try await Response.export(table, as: format, fileName: "campaigns")
    }

    @Sendable func tasks(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readCampaigns)
        let format = try ExportFormat(request: request)
        let (page, words) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            let filter = try CampaignTaskFilter(request, caller: principal.userID, states: words[DataDictionaries.campaignTaskState])
            let page = try await CampaignTaskStore(connection: connection, logger: environment.logger)
                .list(filter, store: principal.storeID, page: ExportLimit.page)
            return (page, words)
        }
        try ExportLimit.check(total: page.total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let table = ExportTable(
            sheetName: "招揽任务",
            headers: ["招揽名称", "车牌号", "VIN", "客户姓名", "手机号码", "品牌", "车系", "车型", "客户类别", "服务顾问", "状态",
                      "下次跟进", "跟进次数", "最近跟进", "战败原因", "战败说明", "回厂工单", "回厂时间"],
            rows: page.items.map { task in
                [ExportCell(task.campaignName), ExportCell(task.plate), ExportCell(task.vin), ExportCell(task.ownerName),
                 ExportCell(task.ownerMobile), ExportCell(task.brand), ExportCell(task.series), ExportCell(task.model),
                 ExportCell(words[DataDictionaries.customerClass].label(task.customerClass)), ExportCell(task.serviceAdvisorName),
                 ExportCell(words[DataDictionaries.campaignTaskState].label(task.state)), ExportCell(task.nextFollowUpOn),
                 ExportCell(task.followUpCount), ExportCell(task.lastFollowedUpAt, in: timeZone),
                 ExportCell(words[DataDictionaries.afterSalesDefeatReason].label(task.defeatReason)), ExportCell(task.defeatNote),
                 ExportCell(task.returnedRoNo), ExportCell(task.returnedAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "campaign-tasks")
    }
}
