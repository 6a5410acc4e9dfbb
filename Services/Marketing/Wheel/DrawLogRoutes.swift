import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The draw log (抽奖记录) and the winners list (中奖名单) of a wheel (M4), for the marketing
/// manager (`marketing.wheels.manage`):
///
/// - `GET /api/v1/marketing/wheels/{id}/draws` — latest first; filters `outcome`
///   (`wheelDrawOutcome`: `won` is the winners list), `prizeId`, `mobile`;
/// - `GET /api/v1/marketing/wheels/{id}/draws/export` — the same as .xlsx or .csv (X1), in the
///   store's words, times on the store's clock.
struct DrawLogRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/wheels/:id/draws/export", use: export)
        group.get("marketing/wheels/:id/draws", use: list)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<WheelDrawView> {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let filters = DrawFilters(&query)
        return try await draws(of: id, principal: principal, filters: filters, query: query, page: page).1
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.manageWheels)
        let id = try context.parameters.uuid("id")
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let filters = DrawFilters(&query)
        let (wheel, page, words, timeZone) = try await draws(of: id, principal: principal, filters: filters, query: query, page: ExportLimit.page)
        try ExportLimit.check(total: page.total)
        let outcomes = words[DataDictionaries.wheelDrawOutcome], kinds = words[DataDictionaries.wheelPrizeKind]
        let table = ExportTable(
            sheetName: filters.outcome == WheelDrawOutcome.won.rawValue ? "中奖名单" : "抽奖记录",
            headers: ["转盘编号", "转盘名称", "客户姓名", "手机号码", "抽奖时间", "抽奖结果", "奖品", "奖品类型", "券码", "券有效期至", "说明"],
            rows: page.items.map { draw in
                [ExportCell(wheel.number), ExportCell(wheel.name), ExportCell(draw.name), ExportCell(draw.mobile),
                 ExportCell(draw.drawnAt, in: timeZone), ExportCell(outcomes.label(draw.outcome) ?? draw.outcome),
                 ExportCell(draw.prizeName), ExportCell(kinds.label(draw.prizeKind)), ExportCell(draw.couponCode),
                 ExportCell(draw.couponLastDay), ExportCell(Self.noteLabel(draw.note))]
            })
        return try await Response.export(table, as: format, fileName: filters.outcome == WheelDrawOutcome.won.rawValue ? "wheel-winners" : "wheel-draws")
    }

    /// Why a prize became no prize, in the store's words.
    static func noteLabel(_ note: String?) -> String? {
        switch note {
        case nil: nil
        case "out_of_stock": "奖品已抽完 (out of stock)"
        case "sold_out": "优惠券已领完 (coupon sold out)"
        case "disabled": "优惠券已禁用 (coupon disabled)"
        case "limit_reached": "已达每人限领 (customer's coupon limit)"
        case "validity_over": "优惠券已过有效期 (coupon validity over)"
        case "unknown_definition": "优惠券不存在 (no such coupon definition)"
        case let other?: other
        }
    }

    private static let sets = [DataDictionaries.wheelDrawOutcome, DataDictionaries.wheelPrizeKind]

    private func draws(
        of id: UUID, principal: Principal, filters: DrawFilters, query: QueryReader, page: PageRequest
    ) async throws -> (WheelView, Page<WheelDrawView>, StoreDictionaries, TimeZone) {
        try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let outcome = check.filterCode("outcome", filters.outcome, in: words[DataDictionaries.wheelDrawOutcome])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let day = try await environment.storeDay(principal.storeID, on: connection)
            guard let wheel = try await WheelStore(connection: connection, logger: environment.logger)
                .wheel(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)
            else { throw ProblemDetails.notFound("wheel \(id)") }
            let page = try await DrawStore(connection: connection, logger: environment.logger, timeZone: day.timeZone).list(
                wheel: id, outcome: outcome, prize: filters.prizeId, mobile: filters.mobile, page: page)
            return (wheel, page, words, day.timeZone)
        }
    }
}

/// The draw log's filters.
struct DrawFilters {
    var outcome: String?
    var prizeId: UUID?
    var mobile: String?

    init(_ query: inout QueryReader) {
        outcome = query.code("outcome")
        prizeId = query.uuid("prizeId")
        mobile = query.mobile("mobile")
    }
}
