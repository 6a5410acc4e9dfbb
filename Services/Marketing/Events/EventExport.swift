import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The event and registration lists as .xlsx or .csv (X1), in the store's words (活动状态
/// `marketingEventState`, 活动收费 `marketingEventCharge`), times on the store's clock — the seed's
/// columns (§9.3 活动管理: 活动编号, 活动名称, 实际报名人数, 活动开始时间, 活动结束时间, 活动状态) first:
///
/// - `GET /api/v1/marketing/events/export` — on the list's filters (`state`, `q`, `from`, `to`);
/// - `GET /api/v1/marketing/events/{id}/registrations/export` — on the registration list's filters.
struct EventListExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/events/export", use: events)
        group.get("marketing/events/:id/registrations/export", use: registrations)
    }

    private static let sets = [DataDictionaries.marketingEventState, DataDictionaries.marketingEventCharge]

    @Sendable func events(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.manageMarketingEvents)
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let state = query.code("state"), text = query.string("q", maxLength: 60), from = query.date("from"), to = query.date("to")
        let (page, words, timeZone) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let stateCode = check.filterCode("state", state, in: words[DataDictionaries.marketingEventState])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let page = try await EventStore(connection: connection, logger: environment.logger).list(
                store: principal.storeID, state: stateCode, text: text, from: from, to: to, timeZone: day.timeZone, now: day.now,
                page: ExportLimit.page)
            return (page, words, day.timeZone)
        }
        try ExportLimit.check(total: page.total)
        let table = ExportTable(
            sheetName: "活动",
            headers: ["活动编号", "活动名称", "实际报名人数", "活动开始时间", "活动结束时间", "活动状态", "活动主题", "活动是否收费",
                      "活动金额(元)", "报名上限", "剩余名额", "已签到", "微信分享标题", "微信分享描述", "上架时间", "下架时间", "创建时间"],
            rows: page.items.map { event in
                [ExportCell(event.number), ExportCell(event.name), ExportCell(event.counts.registered),
                 ExportCell(event.startsAt, in: timeZone), ExportCell(event.endsAt, in: timeZone),
                 ExportCell(words[DataDictionaries.marketingEventState].label(event.state)), ExportCell(event.theme),
                 ExportCell(words[DataDictionaries.marketingEventCharge].label(event.charge)), ExportCell(event.amount),
                 ExportCell(event.capacity), ExportCell(event.counts.remaining), ExportCell(event.counts.checkedIn),
                 ExportCell(event.shareTitle), ExportCell(event.shareText), ExportCell(event.onlineAt, in: timeZone),
                 ExportCell(event.offlineAt, in: timeZone), ExportCell(event.createdAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "marketing-events")
    }

    @Sendable func registrations(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let filters = RegistrationFilters(&query)
        try query.throwIfInvalid()
        let (event, page, timeZone) = try await environment.database.withTransaction { connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            guard let event = try await EventStore(connection: connection, logger: environment.logger)
                .event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)
            else { throw ProblemDetails.notFound("event \(id)") }
            let page = try await RegistrationStore(connection: connection, logger: environment.logger, timeZone: day.timeZone).list(
                event: id, mobile: filters.mobile, text: filters.text, channelCode: filters.channelCode, checkedIn: filters.checkedIn,
                page: ExportLimit.page)
            return (event, page, day.timeZone)
        }
        try ExportLimit.check(total: page.total)
        let table = ExportTable(
            sheetName: "活动报名",
            headers: ["活动编号", "活动名称", "客户姓名", "手机号码", "渠道", "报名时间", "是否签到", "签到时间"],
            rows: page.items.map { registration in
                [ExportCell(event.number), ExportCell(event.name), ExportCell(registration.name), ExportCell(registration.mobile),
                 ExportCell(registration.channelCode), ExportCell(registration.registeredAt, in: timeZone),
                 ExportCell(registration.checkedIn ? "已签到" : "未签到"), ExportCell(registration.checkedInAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "event-registrations")
    }
}
