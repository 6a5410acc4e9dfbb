import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/prospects/prospects`: list and export, assign (P3), defeat with optional approval
/// and re-activate (P7), extend deadlines, delete to and restore from the recycle bin (P8).
/// Every route that changes what `prospects.prospect.changed.v1` carries announces the
/// prospects once, after its last change (a deadline is not part of it).
struct ProspectRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/prospects", use: list)
        group.get("prospects/prospects/export", use: export)
        group.post("prospects/prospects/assign", use: assign)
        group.post("prospects/prospects/extend", use: extend)
        group.post("prospects/prospects/delete", use: delete)
        group.get("prospects/prospects/:id", use: get)
        group.post("prospects/prospects/:id/defeat", use: defeat)
        group.post("prospects/prospects/:id/defeat/approve", use: approveDefeat)
        group.post("prospects/prospects/:id/defeat/reject", use: rejectDefeat)
        group.post("prospects/prospects/:id/activate", use: activate)
        group.get("prospects/recycle-bin", use: recycleBin)
        group.post("prospects/recycle-bin/restore", use: restore)
    }

    struct AssignRequest: Decodable {
        var prospectIds: [UUID]
        var consultantId: UUID
    }

    struct ProspectSelection: Decodable {
        var prospectIds: [UUID]
    }

    struct ExtendRequest: Decodable {
        var prospectIds: [UUID]
        /// Days added to the deadline (from today, or from a later deadline already set).
        var days: Int
    }

    struct DefeatRequest: Decodable {
        /// 战败原因: a code of the store's dictionary `defeatReason` that the store has not disabled.
        var reason: String
        var note: String?
    }

    struct DecisionRequest: Decodable {
        var note: String?
    }

    struct Changed: Codable, Sendable, ResponseEncodable {
        var items: [ProspectView]
    }

    // MARK: helpers

    func transaction<Result: Sendable>(_ body: (ProspectStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory), connection)
        }
    }

    func today(_ store: UUID, connection: PostgresConnection) async throws -> String {
        try await environment.storeDay(store, on: connection).today
    }

    /// Locks the selected prospects of the caller's current store that they may see, or names
    /// the first one they may not (a group-wide view does not make another store's prospects
    /// theirs to change).
    static func lockSelection(_ ids: [UUID], field: String, store: ProspectStore, principal: Principal) async throws -> [ProspectView] {
        var check = FieldValidator()
        check.require(!ids.isEmpty && ids.count <= 1000, field, "must name 1 to 1000 prospects")
        try check.throwIfInvalid()
        var prospects: [ProspectView] = []
        for (index, id) in Array(Set(ids)).sorted(by: { $0.uuidString < $1.uuidString }).enumerated() {
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true), prospect.storeId == principal.storeID else {
                let position = ids.firstIndex(of: id) ?? index
                throw ProblemDetails.validation([.init(field: "\(field)[\(position)]", message: "is not a prospect of yours")])
            }
            prospects.append(prospect)
        }
        return prospects
    }

    // MARK: routes

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ProspectView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await transaction { store, connection in
            let filter = try await ProspectFilter.read(request, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
            return try await store.list(filter, principal: principal, page: page)
        }
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total) = try await transaction { store, connection in
            let filter = try await ProspectFilter.read(request, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
            return try await store.list(filter, principal: principal, page: ExportLimit.page)
        }
        try ExportLimit.check(total: total)
        let labels = try await environment.dictionaries(Self.exportSets, stores: items.map(\.storeId))
        let timeZone = try await environment.timeZone(of: principal.storeID)
        return try await Response.export(Self.exportTable(items, labels: labels, timeZone: timeZone, sheetName: "潜在客户"), as: format, fileName: "prospects")
    }

    /// The dictionaries whose labels the prospect export prints.
    static let exportSets = [
        DataDictionaries.gender, DataDictionaries.prospectCategory, DataDictionaries.prospectSource, DataDictionaries.prospectLevel,
        DataDictionaries.prospectState, DataDictionaries.defeatReason,
    ]

    /// The prospects as staff read them: every coded column in the words of the prospect's store.
    static func exportTable(_ prospects: [ProspectView], labels: DictionarySets, timeZone: TimeZone, sheetName: String) -> ExportTable {
        let rows: [[ExportCell]] = prospects.map { p in
            [ExportCell(p.name), ExportCell(p.mobile), labels.cell(DataDictionaries.gender, p.gender, store: p.storeId),
             labels.cell(DataDictionaries.prospectCategory, p.category, store: p.storeId),
             labels.cell(DataDictionaries.prospectSource, p.source, store: p.storeId),
             ExportCell(p.brand), ExportCell(p.series), ExportCell(p.model),
             labels.cell(DataDictionaries.prospectLevel, p.level.rawValue, store: p.storeId),
             labels.cell(DataDictionaries.prospectState, p.state, store: p.storeId),
             ExportCell(p.consultantName), ExportCell(p.nextFollowUpOn),
             labels.cell(DataDictionaries.defeatReason, p.defeatReason, store: p.storeId), ExportCell(p.createdAt, in: timeZone)]
        }
        return ExportTable(
            sheetName: sheetName,
            headers: ["客户姓名", "手机号码", "性别", "登记大类", "客户来源", "意向品牌", "意向车系", "意向车型", "意向级别", "状态", "销售顾问", "下次跟进", "战败原因", "创建时间"],
            rows: rows)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> ProspectView {
        let principal = try context.require(.readProspects)
        let id = try context.parameters.uuid("id")
        guard let prospect = try await transaction({ store, _ in try await store.prospect(id, principal: principal) }) else {
            throw ProblemDetails.notFound("prospect \(id)")
        }
        return prospect
    }

    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> Changed {
        let principal = try context.require(.assignProspects)
        let body = try await request.decodeJSON(as: AssignRequest.self, context: context)
        return try await transaction { store, connection in
            let prospects = try await Self.lockSelection(body.prospectIds, field: "prospectIds", store: store, principal: principal)
            if let closed = prospects.first(where: { ["defeated", "delivered"].contains($0.state) }) {
                throw ProblemDetails.conflict("prospect \(closed.name) is \(closed.state); re-activate it first")
            }
            if let pooled = prospects.first(where: \.inPublicPool) {
                throw ProblemDetails.conflict("prospect \(pooled.name) is in the public pool; assign it from there")
            }
            try await environment.directory.requireActiveUser(
                body.consultantId, inStore: principal.storeID, field: "consultantId", on: connection, logger: environment.logger)
            let ids = prospects.map(\.id)
            try await store.assign(ids, to: body.consultantId, at: environment.configuration.clock.now(), today: try await today(principal.storeID, connection: connection))
            try await store.announceChanges(of: ids, to: environment.outbox)
            return Changed(items: try await ids.asyncMap { try await store.prospect($0, principal: principal.widened(to: .store))! })
        }
    }

    @Sendable func extend(_ request: Request, context: CRMRequestContext) async throws -> Changed {
        let principal = try context.require(.assignProspects)
        let body = try await request.decodeJSON(as: ExtendRequest.self, context: context)
        var check = FieldValidator()
        check.range("days", body.days, 1...365)
        try check.throwIfInvalid()
        return try await transaction { store, connection in
            let prospects = try await Self.lockSelection(body.prospectIds, field: "prospectIds", store: store, principal: principal)
            let today = try await today(principal.storeID, connection: connection)
            let ids = prospects.map(\.id)
            try await connection.query("""
                UPDATE prospects.prospect SET keep_until = GREATEST(keep_until, \(today)::date) + \(body.days)::int, updated_at = now()
                WHERE id = ANY(\(ids))
                """, logger: environment.logger)
            return Changed(items: try await ids.asyncMap { try await store.prospect($0, principal: principal)! })
        }
    }

    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> Changed {
        let principal = try context.require(.assignProspects)
        let body = try await request.decodeJSON(as: ProspectSelection.self, context: context)
        return try await transaction { store, connection in
            let prospects = try await Self.lockSelection(body.prospectIds, field: "prospectIds", store: store, principal: principal)
            // A customer with an order belongs to the business now (签单): not deleted.
            if let ordered = prospects.first(where: { ["ordered", "delivered"].contains($0.state) }) {
                throw ProblemDetails.conflict("prospect \(ordered.name) has an order and is not deleted")
            }
            let ids = prospects.map(\.id)
            try await connection.query("""
                UPDATE prospects.prospect SET deleted_at = \(environment.configuration.clock.now()), deleted_by = \(principal.userID), updated_at = now()
                WHERE id = ANY(\(ids))
                """, logger: environment.logger)
            for id in ids { try await store.closeOpenTask(id) }
            try await store.announceChanges(of: ids, to: environment.outbox)
            return Changed(items: try await ids.asyncMap { try await store.prospect($0)! })
        }
    }

    @Sendable func defeat(_ request: Request, context: CRMRequestContext) async throws -> ProspectView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: DefeatRequest.self, context: context)
        return try await transaction { store, connection in
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("prospect \(id)") }
            let reasons = try await environment.directory.dictionary(
                DataDictionaries.defeatReason, store: prospect.storeId, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let reason = check.requiredCode("reason", body.reason, in: reasons)
            let note = check.optionalText("note", body.note, maxLength: 500)
            try check.throwIfInvalid()
            guard prospect.state == "active" else { throw ProblemDetails.conflict("only an active prospect is defeated; this one is \(prospect.state)") }
            let settings = try await ProspectSettings.read(store: prospect.storeId, on: connection, logger: environment.logger)
            let now = environment.configuration.clock.now()
            try await connection.query("""
                UPDATE prospects.prospect SET defeat_reason = \(reason), defeat_note = \(note), defeat_requested_by = \(principal.userID),
                    state = 'defeat_pending', updated_at = now()
                WHERE id = \(id)
                """, logger: environment.logger)
            // Without the store's approval rule, or asked by someone who may approve, it is final.
            if !settings.defeatApproval || principal.has(.approveProspects) {
                try await store.defeat(id, store: prospect.storeId, at: now)
            }
            try await store.announceChanges(of: [id], to: environment.outbox)
            return try await store.prospect(id, principal: principal)!
        }
    }

    @Sendable func approveDefeat(_ request: Request, context: CRMRequestContext) async throws -> ProspectView {
        try await decideDefeat(request, context: context, approve: true)
    }

    @Sendable func rejectDefeat(_ request: Request, context: CRMRequestContext) async throws -> ProspectView {
        try await decideDefeat(request, context: context, approve: false)
    }

    /// A leader's or manager's decision on a defeat waiting for approval, with an optional
    /// note kept beside the consultant's: approved, it is final; rejected, the consultant goes
    /// on following the prospect up.
    private func decideDefeat(_ request: Request, context: CRMRequestContext, approve: Bool) async throws -> ProspectView {
        let principal = try context.require(.approveProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: DecisionRequest.self, context: context)
        var check = FieldValidator()
        let note = check.optionalText("note", body.note, maxLength: 500).map { (approve ? "批准: " : "驳回: ") + $0 }
        try check.throwIfInvalid()
        return try await transaction { store, connection in
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("prospect \(id)") }
            guard prospect.state == "defeat_pending" else { throw ProblemDetails.conflict("no defeat of this prospect waits for approval") }
            try await connection.query("""
                UPDATE prospects.prospect SET defeat_note = concat_ws(' / ', defeat_note, \(note)), updated_at = now() WHERE id = \(id)
                """, logger: environment.logger)
            if approve {
                try await store.defeat(id, store: prospect.storeId, at: environment.configuration.clock.now())
            } else {
                try await connection.query("""
                    UPDATE prospects.prospect SET state = 'active', defeat_reason = NULL, defeat_requested_by = NULL WHERE id = \(id)
                    """, logger: environment.logger)
            }
            try await store.announceChanges(of: [id], to: environment.outbox)
            return try await store.prospect(id, principal: principal)!
        }
    }

    @Sendable func activate(_ request: Request, context: CRMRequestContext) async throws -> ProspectView {
        let principal = try context.require(.assignProspects)
        let id = try context.parameters.uuid("id")
        return try await transaction { store, connection in
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("prospect \(id)") }
            guard prospect.state == "defeated" else { throw ProblemDetails.conflict("only a defeated prospect is re-activated") }
            try await store.activate(
                id, store: prospect.storeId, consultant: nil, at: environment.configuration.clock.now(),
                today: try await today(prospect.storeId, connection: connection))
            try await store.announceChanges(of: [id], to: environment.outbox)
            // Unassigned now, until someone assigns it: read it back store-wide.
            return try await store.prospect(id, principal: principal.widened(to: .store))!
        }
    }

    /// 回收站: the deleted prospects — a consultant's own deletions, a leader's team's, a manager's store's.
    @Sendable func recycleBin(_ request: Request, context: CRMRequestContext) async throws -> Page<ProspectView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let mobile = query.mobile("mobile")
        try query.throwIfInvalid()
        return try await transaction { store, connection in
            var sql = ProspectStore.fromAll()
            sql.append(" AND p.deleted_at IS NOT NULL")
            sql.restrict(to: principal, storeColumn: "p.store_id", ownerColumn: "p.deleted_by", directory: environment.directory.schema)
            if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let items = try await store.rows(sql.ordered(by: "p.deleted_at DESC, p.id", page).build(prefix: ProspectStore.columns))
            return Page(items: items, request: page, total: total)
        }
    }

    /// 恢复: back where they were, as potential customers (active), with a task today for whoever follows them up.
    @Sendable func restore(_ request: Request, context: CRMRequestContext) async throws -> Changed {
        let principal = try context.require(.writeProspects)
        let body = try await request.decodeJSON(as: ProspectSelection.self, context: context)
        var check = FieldValidator()
        check.require(!body.prospectIds.isEmpty && body.prospectIds.count <= 1000, "prospectIds", "must name 1 to 1000 prospects")
        try check.throwIfInvalid()
        return try await transaction { store, connection in
            let today = try await today(principal.storeID, connection: connection)
            var restored: [ProspectView] = []
            for (index, id) in body.prospectIds.enumerated() where !body.prospectIds[..<index].contains(id) {
                var sql = ProspectStore.fromAll()
                sql.append(" AND p.deleted_at IS NOT NULL AND p.id = ", bind: id)
                sql.restrict(to: principal, storeColumn: "p.store_id", ownerColumn: "p.deleted_by", directory: environment.directory.schema)
                sql.append(" FOR UPDATE OF p")
                guard let prospect = try await store.rows(sql.build(prefix: ProspectStore.columns)).first else {
                    throw ProblemDetails.validation([.init(field: "prospectIds[\(index)]", message: "is not in your recycle bin")])
                }
                try await connection.query("""
                    UPDATE prospects.prospect SET deleted_at = NULL, deleted_by = NULL,
                        state = CASE WHEN state IN ('defeated', 'defeat_pending') THEN state ELSE 'active' END, updated_at = now()
                    WHERE id = \(id)
                    """, logger: environment.logger)
                if !["defeated", "defeat_pending"].contains(prospect.state), !prospect.inPublicPool {
                    try await store.openTask(id, store: prospect.storeId, consultant: prospect.consultantId, dueOn: today)
                }
                restored.append(try await store.prospect(id)!)
            }
            try await store.announceChanges(of: restored.map(\.id), to: environment.outbox)
            return Changed(items: restored)
        }
    }
}

extension Array where Element: Sendable {
    /// `map` with an async transform, one element after the other.
    func asyncMap<Result>(_ transform: (Element) async throws -> Result) async throws -> [Result] {
        var results: [Result] = []
        results.reserveCapacity(count)
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
