import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/issued` (发放明细, C3; seed §6.3): every issued coupon, one row each, with
/// its code, customer, task, validity, state and where, when, by whom and on which order it was
/// used; filtered, paged and exported with the store's words. Takes `coupons.read`; a store
/// sees its own coupons and its group's group-wide ones.
struct LedgerRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/issued", use: list)
        group.get("coupons/issued/export", use: export)
        group.get("coupons/issued/:code", use: get)
    }

    private static let sets = [
        DataDictionaries.couponKind, DataDictionaries.couponState, DataDictionaries.couponUsableIn, DataDictionaries.couponOrderKind,
    ]

    /// The filters as query parameters: `mobile`, `code` (as typed), `definitionId`,
    /// `definitionNumber` (M…), `taskId`, `state` (couponState), `issuedFrom`/`issuedTo` (days).
    private func filter(_ request: Request, states: StoreDictionary, timeZone: TimeZone) throws -> LedgerFilter {
        var query = QueryReader(request)
        var filter = LedgerFilter()
        filter.mobile = query.mobile("mobile")
        var check = FieldValidator()
        if let typed = query.string("code", maxLength: 40) {
            if let code = CouponCode(typed: typed) { filter.code = code.digits } else { check.fail("code", Self.invalidCode) }
        }
        filter.definitionID = query.uuid("definitionId")
        filter.definitionNumber = query.string("definitionNumber", maxLength: 30)
        filter.taskID = query.uuid("taskId")
        filter.state = check.filterCode("state", query.code("state"), in: states)
        let day = StoreDay(now: environment.configuration.clock.now(), timeZone: timeZone)
        // Days on the store's calendar: issuedTo includes its whole day.
        for name in ["issuedFrom", "issuedTo"] {
            guard let text = query.given(name), !text.isEmpty else { continue }
            guard let given = CalendarDate.parse(text) else {
                check.fail(name, "must be a day written yyyy-MM-dd")
                continue
            }
            if name == "issuedFrom" { filter.issuedFrom = day.start(of: given) } else { filter.issuedBefore = day.start(of: ServiceClock.day(given, plus: 1)) }
        }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        return filter
    }

    static let invalidCode = "not a valid code: a coupon code is 16 digits and its last digit checks the others — a digit mistyped or two swapped?"

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<CouponView> {
        let principal = try context.require(.readCoupons)
        let page = try PageRequest(request: request)
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            let states = try await environment.directory.dictionary(DataDictionaries.couponState, store: principal.storeID, on: connection, logger: environment.logger)
            let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
            let filter = try filter(request, states: states, timeZone: timeZone)
            return try await LedgerStore(connection: connection, logger: environment.logger).list(for: principal, filter: filter, now: now, page: page)
        }
    }

    /// One coupon by its code as typed; 422 when the code does not check, 404 when no coupon
    /// the caller may see has it.
    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> CouponView {
        let principal = try context.require(.readCoupons)
        // A path parameter arrives as sent: a code typed with full-width digits is percent-encoded.
        let sent = try context.parameters.require("code")
        let typed = sent.removingPercentEncoding ?? sent
        guard let code = CouponCode(typed: typed) else { throw ProblemDetails.validation([.init(field: "code", message: Self.invalidCode)]) }
        let now = environment.configuration.clock.now()
        let coupon = try await environment.database.withTransaction { connection in
            try await LedgerStore(connection: connection, logger: environment.logger).coupon(code: code.digits, visibleTo: principal, now: now)
        }
        guard let coupon else { throw ProblemDetails.notFound("coupon \(code)") }
        return coupon
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readCoupons)
        let format = try ExportFormat(request: request)
        let now = environment.configuration.clock.now()
        let (coupons, words, timeZone, stores) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
            let filter = try filter(request, states: words[DataDictionaries.couponState], timeZone: timeZone)
            let coupons = try await LedgerStore(connection: connection, logger: environment.logger)
                .all(for: principal, filter: filter, now: now, limit: ExportLimit.rows + 1)
            try ExportLimit.check(total: coupons.count)
            // The stores named in the rows; a coupon's days are on its issuing store's calendar.
            var stores: [UUID: Directory.Store] = [:]
            for id in Set(coupons.compactMap(\.usedStoreId) + coupons.map(\.storeId)) {
                stores[id] = try await environment.directory.store(id, on: connection, logger: environment.logger)
            }
            return (coupons, words, timeZone, stores)
        }
        let table = ExportTable(
            sheetName: "优惠券发放明细",
            headers: ["优惠券ID", "优惠券号码", "优惠券类型", "优惠券名称", "金额", "最低消费", "任务编号", "客户姓名", "手机号码",
                      "发放店铺", "使用范围", "发放时间", "生效日期", "失效日期", "状态", "是否过期", "是否使用", "使用店铺", "使用时间",
                      "核销人", "核销单据", "单据号", "单据金额"],
            rows: coupons.map { coupon in
                [ExportCell(coupon.definitionNumber), ExportCell(coupon.codeText), ExportCell(words[DataDictionaries.couponKind].label(coupon.kind)),
                 ExportCell(coupon.name), ExportCell(coupon.faceValue), ExportCell(coupon.minimumSpend), ExportCell(coupon.taskNumber),
                 ExportCell(coupon.customerName), ExportCell(coupon.mobile), ExportCell(stores[coupon.storeId]?.name),
                 ExportCell(words[DataDictionaries.couponUsableIn].label(coupon.usableIn)), ExportCell(coupon.issuedAt, in: timeZone),
                 ExportCell(ServiceClock.day(of: coupon.effectiveFrom, in: stores[coupon.storeId]?.timeZone ?? timeZone)), ExportCell(coupon.lastDay),
                 ExportCell(words[DataDictionaries.couponState].label(coupon.state)),
                 ExportCell(coupon.state == "expired" ? "已过期" : "未过期"), ExportCell(coupon.usedAt == nil ? "未使用" : "已使用"),
                 ExportCell(coupon.usedStoreId.flatMap { stores[$0]?.name }), ExportCell(coupon.usedAt, in: timeZone), ExportCell(coupon.usedByName),
                 ExportCell(words[DataDictionaries.couponOrderKind].label(coupon.orderKind)), ExportCell(coupon.orderNumber),
                 ExportCell(coupon.orderAmount)]
            })
        return try await Response.export(table, as: format, fileName: "coupons")
    }
}
