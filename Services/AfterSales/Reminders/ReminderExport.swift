import Foundation
import Hummingbird
import ServiceKit

/// `GET /api/v1/after-sales/reminders/export?format=xlsx|csv&date=&kind=&done=` (X1): the
/// reminder list's rows on the same filters, codes as the store's dictionaries word them (关怀类型
/// `reminderKind`, 提醒方式 `reminderContactMethod`), the person's role as 车主 / 使用者 / 驾驶员,
/// done as 已完成 / 未完成 with who (display name) and when (store time).
/// `aftersales.reminder.read`.
struct ReminderExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/reminders/export", use: reminders)
    }

    static let headers = ["提醒日期", "关怀类型", "到期日", "VIN", "车牌", "对象", "姓名", "电话", "提醒方式", "状态", "完成人", "完成时间", "备注"]

    @Sendable func reminders(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readReminders)
        let format = try ExportFormat(request: request)
        let (page, words, timeZone, names) = try await environment.database.withTransaction { connection in
            let words = try await ReminderDictionaries.of(principal.storeID, in: environment, on: connection)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let filter = try ReminderFilter(request, today: day.today, kinds: words.kinds)
            let page = try await ReminderStore(connection: connection, logger: environment.logger)
                .list(filter, store: principal.storeID, page: ExportLimit.page)
            let names = try await environment.directory.displayNames(of: page.items.compactMap(\.doneBy), on: connection, logger: environment.logger)
            return (page, words, day.timeZone, names)
        }
        try ExportLimit.check(total: page.total)
        let rows = page.items.map { reminder -> [ExportCell] in
            [ExportCell(reminder.remindOn), ExportCell(words.kinds.label(reminder.kind.rawValue)), ExportCell(reminder.dueOn),
             ExportCell(reminder.vin), ExportCell(reminder.plate), ExportCell(reminder.personRole.label), ExportCell(reminder.personName),
             ExportCell(reminder.personMobile), ExportCell(words.methods.label(reminder.contactMethod.rawValue)),
             ExportCell(reminder.done ? "已完成" : "未完成"), ExportCell(reminder.doneBy.flatMap { names[$0] }),
             ExportCell(reminder.doneAt, in: timeZone), ExportCell(reminder.note)]
        }
        let table = ExportTable(sheetName: "关怀提醒", headers: Self.headers, rows: rows)
        return try await Response.export(table, as: format, fileName: "reminders")
    }
}
