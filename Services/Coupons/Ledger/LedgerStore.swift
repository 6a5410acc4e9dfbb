import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Filters of the ledger (C3): each nil is no filter.
struct LedgerFilter: Sendable {
    var mobile: String?
    var code: String?
    var definitionID: UUID?
    var definitionNumber: String?
    var taskID: UUID?
    /// A `couponState` code; `expired` and `unused` are told apart by `now`.
    var state: String?
    var issuedFrom: Date?
    var issuedBefore: Date?
}

/// The issued coupons in `coupons.coupon`, as the ledger, redemption and revocation read them.
struct LedgerStore {
    let connection: PostgresConnection
    let logger: Logger

    /// A `CouponView`'s columns over `c` (the coupon), `d` (its definition) and `t` (its task, `from`).
    static let columns = columns(taskNumber: "t.number")
    /// The same for an `UPDATE coupons.coupon c … FROM coupons.coupon_definition d … RETURNING`,
    /// which has no `t` to join: the coupon as the update left it, without reading it again.
    static let returning = columns(taskNumber: "(SELECT t.number FROM coupons.issue_task t WHERE t.id = c.task_id)")

    private static func columns(taskNumber: String) -> String {
        """
        c.id, c.code, c.definition_id, d.number, d.name, d.kind, d.face_value::text, d.covers, d.minimum_spend::text,
        c.task_id, \(taskNumber), c.store_id, c.usable_in, c.mobile, c.customer_name, c.effective_from, c.effective_until,
        c.last_day::text, c.state, c.issued_at, c.used_at, c.used_store_id, c.used_by, c.used_by_name, c.order_kind,
        c.order_number, c.order_amount::text, c.revoked_at
        """
    }
    static let from = """
         FROM coupons.coupon c JOIN coupons.coupon_definition d ON d.id = c.definition_id
        LEFT JOIN coupons.issue_task t ON t.id = c.task_id
        """

    /// The coupons `principal` may see: the store's own, and the group-wide coupons of its group
    /// (which it may redeem); with the group scope, every coupon of the group.
    static func restrict(_ query: inout QueryBuilder, to principal: Principal) {
        if principal.scope == .group {
            query.append(" AND c.group_id = ", bind: principal.groupID)
        } else {
            query.append(" AND (c.store_id = \(query.placeholder(for: principal.storeID))")
            query.append(" OR (c.usable_in = 'group' AND c.group_id = \(query.placeholder(for: principal.groupID))))")
        }
    }

    func list(for principal: Principal, filter: LedgerFilter, now: Date, page: PageRequest) async throws -> Page<CouponView> {
        let query = filtered(for: principal, filter: filter, now: now)
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "c.issued_at DESC, c.id", page).build(prefix: "SELECT \(Self.columns)"), now: now)
        return Page(items: items, request: page, total: total)
    }

    /// Every coupon of the filter, for an export (newest first, at most `limit`).
    func all(for principal: Principal, filter: LedgerFilter, now: Date, limit: Int) async throws -> [CouponView] {
        var query = filtered(for: principal, filter: filter, now: now)
        query.append(" ORDER BY c.issued_at DESC, c.id LIMIT \(limit)")
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), now: now)
    }

    private func filtered(for principal: Principal, filter: LedgerFilter, now: Date) -> QueryBuilder {
        var query = QueryBuilder(Self.from + " WHERE true")
        Self.restrict(&query, to: principal)
        if let mobile = filter.mobile { query.append(" AND c.mobile = ", bind: mobile) }
        if let code = filter.code { query.append(" AND c.code = ", bind: code) }
        if let id = filter.definitionID { query.append(" AND c.definition_id = ", bind: id) }
        if let number = filter.definitionNumber { query.append(" AND d.number = ", bind: number) }
        if let id = filter.taskID { query.append(" AND c.task_id = ", bind: id) }
        if let from = filter.issuedFrom { query.append(" AND c.issued_at >= ", bind: from) }
        if let before = filter.issuedBefore { query.append(" AND c.issued_at < ", bind: before) }
        switch filter.state {
        case "expired"?: query.append(" AND c.state = 'unused' AND c.effective_until <= ", bind: now)
        case "unused"?: query.append(" AND c.state = 'unused' AND c.effective_until > ", bind: now)
        case let state?: query.append(" AND c.state = ", bind: state)
        case nil: break
        }
        return query
    }

    /// The coupon with `code` if `principal` may see it; `forUpdate` locks it.
    func coupon(code: String, visibleTo principal: Principal, now: Date, forUpdate: Bool = false) async throws -> CouponView? {
        var query = QueryBuilder(Self.from + " WHERE c.code = ")
        query.append("", bind: code)
        Self.restrict(&query, to: principal)
        if forUpdate { query.append(" FOR UPDATE OF c") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), now: now).first
    }

    /// The coupon with `id` if it was issued by `store`; `forUpdate` locks it.
    func coupon(id: UUID, issuedBy store: UUID, now: Date, forUpdate: Bool = false) async throws -> CouponView? {
        var query = QueryBuilder(Self.from + " WHERE c.id = ")
        query.append("", bind: id)
        query.append(" AND c.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF c") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), now: now).first
    }

    func views(_ query: PostgresQuery, now: Date) async throws -> [CouponView] {
        var views: [CouponView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), code = try cells.next(String.self), definitionID = try cells.next(UUID.self)
            let number = try cells.next(String.self), name = try cells.next(String.self), kind = try cells.next(String.self)
            let faceValue = Money.amount(try cells.next(String?.self)), covers = try cells.next(String?.self)
            let minimumSpend = Money.amount(try cells.next(String?.self)), taskID = try cells.next(UUID?.self)
            let taskNumber = try cells.next(String?.self), storeID = try cells.next(UUID.self), usableIn = try cells.next(String.self)
            let mobile = try cells.next(String.self), customerName = try cells.next(String?.self)
            let from = try cells.next(Date.self), until = try cells.next(Date.self), lastDay = try cells.next(String.self)
            let stored = try cells.next(String.self), issuedAt = try cells.next(Date.self), usedAt = try cells.next(Date?.self)
            let usedStore = try cells.next(UUID?.self), usedBy = try cells.next(UUID?.self), usedByName = try cells.next(String?.self)
            let orderKind = try cells.next(String?.self), orderNumber = try cells.next(String?.self)
            let orderAmount = Money.amount(try cells.next(String?.self)), revokedAt = try cells.next(Date?.self)
            views.append(CouponView(
                id: id, code: code, codeText: CouponCode.grouped(code), definitionId: definitionID, definitionNumber: number, name: name,
                kind: kind, faceValue: faceValue, covers: covers, minimumSpend: minimumSpend, taskId: taskID, taskNumber: taskNumber,
                storeId: storeID, usableIn: usableIn, mobile: mobile, customerName: customerName, effectiveFrom: from,
                effectiveUntil: until, lastDay: lastDay, state: stored == "unused" && until <= now ? "expired" : stored,
                issuedAt: issuedAt, usedAt: usedAt, usedStoreId: usedStore, usedBy: usedBy, usedByName: usedByName,
                orderKind: orderKind, orderNumber: orderNumber, orderAmount: orderAmount, revokedAt: revokedAt))
        }
        return views
    }
}
