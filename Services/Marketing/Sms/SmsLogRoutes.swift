import Foundation
import Hummingbird
import ServiceKit

/// The send log (短信发送记录, M5): one row per recipient's message with its state, the
/// provider's code and the reason in staff words.
///
/// - `GET /api/v1/marketing/sms/messages` — newest first, filtered by `sendId`, `state`
///   (`queued`, `sending`, `sent`, `delivered`, `failed`, `skipped`), `mobile`, and creation time
///   `from` (inclusive) / `to` (exclusive); paged.
/// - `GET /api/v1/marketing/sms/messages/export?format=xlsx|csv` — the same filters as a file with
///   Chinese headers and state labels, times on the store's clock.
///
/// Takes `marketing.sms.manage`; only the caller's store.
struct SmsLogRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/sms/messages", use: list)
        group.get("marketing/sms/messages/export", use: export)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<SmsMessageView> {
        let principal = try context.require(.manageSms)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let filters = SmsMessageFilters(&query)
        try query.throwIfInvalid()
        return try await environment.database.withConnection { connection in
            try await SmsSendStore(connection: connection, logger: environment.logger).messages(store: principal.storeID, filters: filters, page: page)
        }
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.manageSms)
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let filters = SmsMessageFilters(&query)
        try query.throwIfInvalid()
        let page = try await environment.database.withConnection { connection in
            try await SmsSendStore(connection: connection, logger: environment.logger).messages(
                store: principal.storeID, filters: filters, page: ExportLimit.page)
        }
        try ExportLimit.check(total: page.total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let table = ExportTable(
            sheetName: "短信发送记录",
            headers: ["手机号码", "客户姓名", "短信类型", "短信内容", "发送状态", "原因", "平台回执码", "平台流水号", "发送次数", "计划发送时间",
                      "发送时间", "送达时间", "创建时间"],
            rows: page.items.map { message in
                [ExportCell(message.mobile), ExportCell(message.name), ExportCell(SmsKind(rawValue: message.kind)?.label ?? message.kind),
                 ExportCell(message.content), ExportCell(message.stateLabel), ExportCell(message.reason), ExportCell(message.providerCode),
                 ExportCell(message.providerId), ExportCell(message.attempts), ExportCell(message.notBefore, in: timeZone),
                 ExportCell(message.sentAt, in: timeZone), ExportCell(message.deliveredAt, in: timeZone),
                 ExportCell(message.createdAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "sms-messages")
    }
}
