import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/vehicles/export` (X1): the vehicle list's rows, on the same filters,
/// as .xlsx or .csv, times on the store's clock.
struct VehicleExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/vehicles/export", use: vehicles)
    }

    @Sendable func vehicles(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readVehicles)
        let format = try ExportFormat(request: request)
        let filter = try VehicleFilter(request)
        let page = try await environment.database.withTransaction { connection in
            try await VehicleStore(connection: connection, logger: environment.logger).list(filter, store: principal.storeID, page: ExportLimit.page)
        }
        try ExportLimit.check(total: page.total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        var rows: [[ExportCell]] = []
        for vehicle in page.items {
            var row = [ExportCell(vehicle.vin), ExportCell(vehicle.plate), ExportCell(vehicle.brand), ExportCell(vehicle.series), ExportCell(vehicle.model)]
            row += [ExportCell(vehicle.owner.name), ExportCell(vehicle.owner.mobile), ExportCell(vehicle.user?.name), ExportCell(vehicle.driver?.name)]
            row += [ExportCell(vehicle.purchaseDate), ExportCell(vehicle.registrationDate), ExportCell(vehicle.insuranceExpiry)]
            row.append(ExportCell(vehicle.createdAt, in: timeZone))
            rows.append(row)
        }
        let table = ExportTable(
            sheetName: "车辆档案",
            headers: ["VIN", "车牌", "品牌", "车系", "车型", "车主", "车主电话", "使用者", "驾驶员", "购车日期", "注册日期", "保险到期", "建档时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "vehicles")
    }
}
