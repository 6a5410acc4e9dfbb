import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/vehicles/export` (X1): the vehicle list's rows, on the same filters,
/// as .xlsx or .csv — every field of the file and what the visits say — times on the store's
/// clock, codes as the store's dictionaries word them (G5: 性别 `gender`, 来源 `customerSource`,
/// 客户类别 `customerClass`).
struct VehicleExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/vehicles/export", use: vehicles)
    }

    /// The columns of a person, after its name: `车主` is followed by `车主电话`, `车主性别` ….
    private static let personColumns = ["电话", "性别", "出生日期", "省份", "城市", "来源", "驾驶证到期"]

    @Sendable func vehicles(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readVehicles)
        let format = try ExportFormat(request: request)
        let (page, vehicles) = try await environment.database.withTransaction { connection in
            let vehicles = try await VehicleContext.of(principal.storeID, in: environment, on: connection)
            let filter = try VehicleFilter(request, classes: vehicles.dictionaries.classes)
            let page = try await VehicleStore(connection: connection, logger: environment.logger)
                .list(filter, store: principal.storeID, calendar: vehicles.calendar, page: ExportLimit.page)
            return (page, vehicles)
        }
        try ExportLimit.check(total: page.total)
        let timeZone = vehicles.timeZone
        let words = vehicles.dictionaries
        func person(_ person: VehiclePerson?) -> [ExportCell] {
            [ExportCell(person?.name), ExportCell(person?.mobile), ExportCell(words.genders.label(person?.gender)),
             ExportCell(person?.birthDate), ExportCell(person?.province), ExportCell(person?.city),
             ExportCell(words.sources.label(person?.source)), ExportCell(person?.licenceExpiry)]
        }
        var rows: [[ExportCell]] = []
        for vehicle in page.items {
            var row = [ExportCell(vehicle.vin), ExportCell(vehicle.plate), ExportCell(vehicle.brand), ExportCell(vehicle.series), ExportCell(vehicle.model)]
            row += person(vehicle.owner) + person(vehicle.user) + person(vehicle.driver)
            row += [ExportCell(vehicle.purchaseDate), ExportCell(vehicle.registrationDate), ExportCell(vehicle.insuranceExpiry)]
            row += [ExportCell(vehicle.warrantyEndDate), ExportCell(vehicle.warrantyEndKm), ExportCell(vehicle.serviceAdvisor)]
            row += [ExportCell(vehicle.currentServiceAdvisor), ExportCell(vehicle.lastMileageKm)]
            row += [ExportCell(words.classes.label(vehicle.customerClass.rawValue)), ExportCell(vehicle.lastVisitAt, in: timeZone)]
            row += [ExportCell(vehicle.visitsLastYear), ExportCell(vehicle.createdAt, in: timeZone)]
            rows.append(row)
        }
        var headers = ["VIN", "车牌", "品牌", "车系", "车型"]
        for role in ["车主", "使用者", "驾驶员"] {
            headers += [role] + Self.personColumns.map { role + $0 }
        }
        headers += ["购车日期", "注册日期", "保险到期", "质保到期日", "质保里程(km)", "指定服务顾问"]
        headers += ["当前服务顾问", "最近里程(km)", "客户类别", "最近到店", "去年到店次数", "建档时间"]
        let table = ExportTable(sheetName: "车辆档案", headers: headers, rows: rows)
        return try await Response.export(table, as: format, fileName: "vehicles")
    }
}
