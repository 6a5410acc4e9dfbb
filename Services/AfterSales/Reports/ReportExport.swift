import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/reports/export?period=…&format=xlsx|csv` — the report of
/// `ReportRoutes` as one sheet (X1), one figure a row: 分组 (section), 项目 (item), 指标
/// (figure), 数值 (value). Business types are the store's words (dictionary
/// `repairBusinessType`: 首保, not `firstMaintenance`); an order without an SA is （未指定）;
/// rates are percentages (比率(%): 33.33), amounts yuan. The first rows name the report, its period
/// and the time the figures count up to, on the store's clock.
struct ReportExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/reports/export", use: export)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readAfterSalesReports)
        let format = try ExportFormat(request: request)
        let period = try ReportRoutes.period(of: request)
        let (report, words) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(
                [DataDictionaries.repairBusinessType], store: principal.storeID, on: connection, logger: environment.logger)
            let report = try await ReportRoutes.build(period, store: principal.storeID, environment: environment, on: connection)
            return (report, words)
        }
        let timeZone = TimeZone(identifier: report.timeZone) ?? Directory.defaultTimeZone
        let types = words[DataDictionaries.repairBusinessType]
        var rows: [[ExportCell]] = []
        func row(_ section: String, _ item: String, _ figure: String, _ value: ExportCell) {
            rows.append([ExportCell(section), ExportCell(item), ExportCell(figure), value])
        }
        row("报表", report.period.label, "期间", ExportCell(report.label))
        row("报表", report.period.label, "统计至", ExportCell(report.asOf, in: timeZone))
        row("报表", report.period.label, "流失月数", ExportCell(report.churnMonths))
        let customers = report.customers
        row("客户", "新增客户", "台数", ExportCell(customers.newCustomers))
        row("客户", "流失客户", "台数", ExportCell(customers.lostCustomers))
        row("客户", "期初保有客户", "台数", ExportCell(customers.retainedAtStart))
        row("客户", "保有客户进厂", "台数", ExportCell(customers.returnedCustomers))
        row("客户", "进厂率", "比率(%)", .percent(customers.returnRate))
        row("客户", "流失率", "比率(%)", .percent(customers.churnRate))
        let orders = report.repairOrders
        row("维修工单", "合计", "开单数", ExportCell(orders.opened))
        row("维修工单", "合计", "完工数", ExportCell(orders.completed))
        row("维修工单", "合计", "完工金额（元）", ExportCell(orders.completedAmount))
        for type in orders.byBusinessType {
            let label = types.label(type.businessType) ?? type.businessType
            row("按业务类型", label, "开单数", ExportCell(type.opened))
            row("按业务类型", label, "完工数", ExportCell(type.completed))
            row("按业务类型", label, "完工金额（元）", ExportCell(type.completedAmount))
        }
        for advisor in orders.byServiceAdvisor {
            let name = advisor.serviceAdvisor.isEmpty ? "（未指定）" : advisor.serviceAdvisor
            row("按服务顾问", name, "开单数", ExportCell(advisor.opened))
            row("按服务顾问", name, "完工数", ExportCell(advisor.completed))
            row("按服务顾问", name, "完工金额（元）", ExportCell(advisor.completedAmount))
        }
        row("首保回厂", types.label("firstMaintenance") ?? "首保", "工单数", ExportCell(report.firstMaintenance.returns))
        row("首保回厂", types.label("firstMaintenance") ?? "首保", "车辆数", ExportCell(report.firstMaintenance.cars))
        let campaigns = report.campaigns
        row("售后招揽", "结束任务", "任务数", ExportCell(campaigns.closed))
        row("售后招揽", "招揽成功", "任务数", ExportCell(campaigns.back))
        row("售后招揽", "战败", "任务数", ExportCell(campaigns.defeated))
        row("售后招揽", "到期未回厂", "任务数", ExportCell(campaigns.failed))
        row("售后招揽", "成功率", "比率(%)", .percent(campaigns.successRate))
        let renewals = report.renewals
        row("续保招揽", "结束任务", "任务数", ExportCell(renewals.closed))
        row("续保招揽", "续保成功", "任务数", ExportCell(renewals.renewed))
        row("续保招揽", "战败", "任务数", ExportCell(renewals.defeated))
        row("续保招揽", "到期未续保", "任务数", ExportCell(renewals.expired))
        row("续保招揽", "成功率", "比率(%)", .percent(renewals.successRate))
        let table = ExportTable(sheetName: "售后\(report.period.label)", headers: ["分组", "项目", "指标", "数值"], rows: rows)
        return try await Response.export(table, as: format, fileName: "after-sales-report-\(report.label)")
    }
}
