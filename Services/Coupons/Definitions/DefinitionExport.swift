import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The definition and task lists as .xlsx or .csv (X1), in the store's words (优惠券类型
/// `couponKind`, 有效期类型 `couponValidity`, 使用范围 `couponUsableIn`, 任务类型 `couponTaskKind`,
/// 发券类型 `couponIssueMode`, 状态 `couponTaskState`), times on the store's clock — the seed's
/// columns (§6.1, §6.2) first:
///
/// - `GET /api/v1/coupons/definitions/export` — on the list's filters (`kind`, `enabled`, `q`);
/// - `GET /api/v1/coupons/tasks/export` — on the list's filters (`kind`, `mode`, `state`).
struct CouponListExport: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/definitions/export", use: definitions)
        group.get("coupons/tasks/export", use: tasks)
    }

    private static let sets = [
        DataDictionaries.couponKind, DataDictionaries.couponValidity, DataDictionaries.couponUsableIn, DataDictionaries.couponTaskKind,
        DataDictionaries.couponIssueMode, DataDictionaries.couponTaskState,
    ]

    @Sendable func definitions(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readCoupons)
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let kind = query.code("kind"), enabled = query.bool("enabled"), text = query.string("q", maxLength: 60)
        let now = environment.configuration.clock.now()
        let (page, words, timeZone) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let kindCode = check.filterCode("kind", kind, in: words[DataDictionaries.couponKind])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let page = try await DefinitionStore(connection: connection, logger: environment.logger).list(
                for: principal, kind: kindCode, enabled: enabled, text: text, now: now, page: ExportLimit.page,
                directory: environment.directory.schema)
            let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
            return (page, words, timeZone)
        }
        try ExportLimit.check(total: page.total)
        let table = ExportTable(
            sheetName: "优惠券",
            headers: ["优惠券ID", "优惠券名称", "优惠券类型", "优惠券金额", "适用项目", "最低消费", "优惠券数量", "已发放", "可用优惠券",
                      "未使用", "已使用", "已过期", "已删除", "单人限领", "有效期类型", "开始日期", "结束日期", "有效天数", "使用范围",
                      "状态", "优惠券说明", "创建时间"],
            rows: page.items.map { definition in
                [ExportCell(definition.number), ExportCell(definition.name), ExportCell(words[DataDictionaries.couponKind].label(definition.kind)),
                 ExportCell(definition.faceValue), ExportCell(definition.covers), ExportCell(definition.minimumSpend),
                 ExportCell(definition.quantity), ExportCell(definition.counts.issued), ExportCell(definition.counts.available),
                 ExportCell(definition.counts.unused), ExportCell(definition.counts.used), ExportCell(definition.counts.expired),
                 ExportCell(definition.counts.revoked), ExportCell(definition.perCustomerLimit),
                 ExportCell(words[DataDictionaries.couponValidity].label(definition.validity)), ExportCell(definition.validFrom),
                 ExportCell(definition.validUntil), ExportCell(definition.validDays),
                 ExportCell(words[DataDictionaries.couponUsableIn].label(definition.usableIn)),
                 ExportCell(definition.enabled ? "已启用" : "已禁用"), ExportCell(definition.description),
                 ExportCell(definition.createdAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "coupon-definitions")
    }

    @Sendable func tasks(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readCoupons)
        let format = try ExportFormat(request: request)
        var query = QueryReader(request)
        let kind = query.code("kind"), mode = query.code("mode"), state = query.code("state")
        let (page, words, timeZone) = try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(Self.sets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let kindCode = check.filterCode("kind", kind, in: words[DataDictionaries.couponTaskKind])
            let modeCode = check.filterCode("mode", mode, in: words[DataDictionaries.couponIssueMode])
            let stateCode = check.filterCode("state", state, in: words[DataDictionaries.couponTaskState])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            let page = try await IssueTaskStore(connection: connection, logger: environment.logger)
                .list(store: principal.storeID, kind: kindCode, mode: modeCode, state: stateCode, page: ExportLimit.page)
            let timeZone = try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger)
            return (page, words, timeZone)
        }
        try ExportLimit.check(total: page.total)
        let table = ExportTable(
            sheetName: "发放任务",
            headers: ["任务编号", "任务名称", "任务类型", "优惠券ID", "优惠券名称", "发券类型", "券张总数", "单人券数", "客户人数",
                      "已使用", "状态", "发布时间", "发放时间"],
            rows: page.items.map { task in
                [ExportCell(task.number), ExportCell(task.name), ExportCell(words[DataDictionaries.couponTaskKind].label(task.kind)),
                 ExportCell(task.definitionNumber), ExportCell(task.definitionName),
                 ExportCell(words[DataDictionaries.couponIssueMode].label(task.mode)), ExportCell(task.couponsIssued),
                 ExportCell(task.perPerson), ExportCell(task.customersIssued), ExportCell(task.couponsUsed),
                 ExportCell(words[DataDictionaries.couponTaskState].label(task.state)), ExportCell(task.publishedAt, in: timeZone),
                 ExportCell(task.issuedAt, in: timeZone)]
            })
        return try await Response.export(table, as: format, fileName: "coupon-tasks")
    }
}
