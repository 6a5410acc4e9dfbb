import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/repair-orders/export` (X1): the repair-order list's rows, on the same
/// filters, as .xlsx or .csv, times on the store's clock, codes as the store's dictionaries word
/// them (G5: 业务类型 `repairBusinessType`, 状态 `repairOrderState`).
struct RepairOrderExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/repair-orders/export", use: repairOrders)
    }

    @Sendable func repairOrders(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readRepairOrders)
        let format = try ExportFormat(request: request)
        let (page, dictionaries) = try await environment.database.withTransaction { connection in
            let dictionaries = try await RepairOrderDictionaries.of(principal.storeID, in: environment, on: connection)
            let filter = try RepairOrderFilter(request, dictionaries: dictionaries)
            let page = try await RepairOrderQueries(connection: connection, logger: environment.logger)
                .list(filter, store: principal.storeID, page: ExportLimit.page)
            return (page, dictionaries)
        }
        try ExportLimit.check(total: page.total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        var rows: [[ExportCell]] = []
        for order in page.items {
            var row = [ExportCell(order.roNo), ExportCell(order.vin), ExportCell(order.plate), ExportCell(order.customer.name), ExportCell(order.customer.mobile)]
            row += [ExportCell(order.sender.name), ExportCell(dictionaries.businessTypes.label(order.businessType.rawValue))]
            row += [ExportCell(order.serviceAdvisor), ExportCell(order.mileageKm), ExportCell(order.amount)]
            row += [ExportCell(dictionaries.states.label(order.state.rawValue)), ExportCell(order.openedAt, in: timeZone), ExportCell(order.completedAt, in: timeZone)]
            rows.append(row)
        }
        let table = ExportTable(
            sheetName: "维修工单",
            headers: ["工单号", "VIN", "车牌", "客户", "客户电话", "送修人", "业务类型", "服务顾问", "里程(km)", "金额", "状态", "开单时间", "完工时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "repair-orders")
    }
}
