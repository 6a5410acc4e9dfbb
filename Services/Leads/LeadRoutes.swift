import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/leads/leads`: enter (L1, L4), list and export, assign by hand or automatically
/// (L5), follow up (L6, L7), defeat and re-activate (L8); `/api/v1/leads/duplicates`.
struct LeadRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("leads/leads", use: list)
        group.post("leads/leads", use: enter)
        group.get("leads/leads/export", use: export)
        group.post("leads/leads/assign", use: assign)
        group.post("leads/leads/auto-assign", use: autoAssign)
        group.get("leads/leads/:id", use: get)
        group.post("leads/leads/:id/follow-ups", use: followUp)
        group.get("leads/leads/:id/follow-ups", use: followUps)
        group.post("leads/leads/:id/defeat", use: defeat)
        group.post("leads/leads/:id/activate", use: activate)
        group.get("leads/duplicates", use: duplicates)
    }

    struct AssignRequest: Decodable {
        var leadIds: [UUID]
        var consultantId: UUID
    }

    struct AutoAssignRequest: Decodable {
        /// The leads to assign; every unassigned lead of the store when left out.
        var leadIds: [UUID]?
    }

    struct Assignment: Codable, Sendable {
        var leadId: UUID
        var consultantId: UUID
    }

    struct AssignResult: Codable, Sendable, ResponseEncodable {
        var assigned: [Assignment]
        /// Leads left unassigned because every available consultant's cap was full.
        var unassigned: [UUID]
    }

    /// A follow-up; `channel` and `level` are codes of the lead's store's `leadFollowUpChannel`
    /// and `leadLevel`, checked with the other fields.
    struct FollowUpRequest: Decodable {
        var channel: String
        var content: String
        var level: String
        /// `yyyy-MM-dd`; after the store's interval for the level when left out.
        var nextOn: String?
    }

    struct FollowUpView: Codable, Sendable {
        var id: UUID
        var consultantId: UUID
        var channel: String
        var content: String
        var level: LeadLevel
        var nextOn: String?
        var createdAt: Date
    }

    struct FollowUpList: Codable, Sendable, ResponseEncodable {
        var items: [FollowUpView]
    }

    struct DefeatRequest: Decodable {
        /// A code of the lead's store's `defeatReason` that the store has enabled.
        var reason: String
    }

    // MARK: helpers

    private func transaction<Result: Sendable>(_ body: (LeadStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(LeadStore(connection: connection, logger: environment.logger, directory: environment.directory), connection)
        }
    }

    /// Announces the leads as they are now, in the transaction that changed them (L9).
    private func announce(_ leads: [UUID], on connection: PostgresConnection) async throws {
        try await LeadAnnouncer(connection: connection, logger: environment.logger, outbox: environment.outbox).announce(leads)
    }

    private func today(_ store: UUID, connection: PostgresConnection) async throws -> String {
        try await environment.storeDay(store, on: connection).today
    }

    /// The store's dictionaries (G5), for checking codes and printing labels.
    private func dictionaries(_ store: UUID, connection: PostgresConnection) async throws -> LeadDictionaries {
        try await LeadDictionaries.load(store: store, directory: environment.directory, on: connection, logger: environment.logger)
    }

    private func dictionaries(_ store: UUID) async throws -> LeadDictionaries {
        try await environment.database.withConnection { try await dictionaries(store, connection: $0) }
    }


    // MARK: routes

    @Sendable func enter(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<LeadIntake> {
        let principal = try context.require(.writeLeads)
        let body = try await request.decodeJSON(as: NewLead.self, context: context)
        let draft = try LeadDraft(body, dictionaries: try await dictionaries(principal.storeID))
        let intake = try await transaction { store, connection in
            let today = try await today(principal.storeID, connection: connection)
            let result = try await store.enter(draft, store: principal.storeID, by: principal.userID, today: today)
            // A consultant who enters a lead follows it up: it is theirs. Managers assign later.
            if result.outcome == "created", !principal.has(.assignLeads) {
                try await store.assign([result.leadID], to: principal.userID, at: environment.configuration.clock.now(), today: today)
            }
            try await announce([result.leadID], on: connection)
            // The caller sees the lead they entered, or the one it duplicates, whoever it belongs to.
            guard let lead = try await store.lead(result.leadID, principal: principal.widened(to: .store)) else {
                throw ProblemDetails.notFound("lead \(result.leadID)")
            }
            return LeadIntake(outcome: result.outcome, lead: lead, duplicateId: result.duplicateID)
        }
        // 201 either way: a new lead, or a new entry in the duplicates list (`outcome` says which).
        return EditedResponse(status: .created, response: intake)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<LeadView> {
        let principal = try context.require(.readLeads)
        let page = try PageRequest(request: request)
        let filter = try LeadFilter(request, dictionaries: try await dictionaries(principal.storeID))
        let (items, total) = try await transaction { store, _ in try await store.list(filter, principal: principal, page: page) }
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readLeads)
        let format = try ExportFormat(request: request)
        let filter = try LeadFilter(request, dictionaries: try await dictionaries(principal.storeID))
        let (leads, total, dictionaries) = try await transaction { store, connection in
            let (leads, total) = try await store.list(filter, principal: principal, page: ExportLimit.page)
            // Each row in its own store's words: a group-wide export spans stores.
            let dictionaries = try await LeadDictionaries.load(
                stores: leads.map(\.storeId), directory: environment.directory, on: connection, logger: environment.logger)
            return (leads, total, dictionaries)
        }
        try ExportLimit.check(total: total)
        let storeTimeZone = try await environment.timeZone(of: principal.storeID)
        let table = Self.exportTable(leads, dictionaries: dictionaries, timeZone: storeTimeZone)
        return try await Response.export(table, as: format, fileName: "leads")
    }

    /// The export prints the store's labels (G5) for 性别 (`gender`), 数据来源 (`leadSource`), 级别
    /// (`leadLevel`), 状态 (`leadState`) and 战败原因 (`defeatReason`; free text from before the
    /// dictionary as it was written).
    static func exportTable(_ leads: [LeadView], dictionaries: [UUID: LeadDictionaries], timeZone: TimeZone) -> ExportTable {
        var rows: [[ExportCell]] = []
        for lead in leads {
            let words = dictionaries[lead.storeId] ?? .builtIn
            var row: [ExportCell] = [ExportCell(lead.name), ExportCell(lead.mobile), ExportCell(lead.landline), ExportCell(words.gender.label(lead.gender))]
            row.append(ExportCell(words.source.label(lead.source)))
            row += [ExportCell(lead.province), ExportCell(lead.city), ExportCell(lead.brand), ExportCell(lead.series), ExportCell(lead.model)]
            row += [ExportCell(words.level.label(lead.level.rawValue)), ExportCell(words.state.label(lead.state))]
            row += [ExportCell(words.defeatReason.label(lead.defeatReason)), ExportCell(lead.consultantName), ExportCell(lead.nextFollowUpOn)]
            row.append(ExportCell(lead.createdAt, in: timeZone))
            rows.append(row)
        }
        return ExportTable(
            sheetName: "网销线索",
            headers: ["客户姓名", "手机号码", "固定电话", "性别", "数据来源", "省份", "城市", "品牌", "车系", "车型", "级别", "状态", "战败原因", "销售顾问", "下次回访", "创建时间"],
            rows: rows)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> LeadView {
        let principal = try context.require(.readLeads)
        let id = try context.parameters.uuid("id")
        guard let lead = try await transaction({ store, _ in try await store.lead(id, principal: principal) }) else {
            throw ProblemDetails.notFound("lead \(id)")
        }
        return lead
    }

    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> AssignResult {
        let principal = try context.require(.assignLeads)
        let body = try await request.decodeJSON(as: AssignRequest.self, context: context)
        var check = FieldValidator()
        check.require(!body.leadIds.isEmpty && body.leadIds.count <= 1000, "leadIds", "must name 1 to 1000 leads")
        try check.throwIfInvalid()
        return try await transaction { store, connection in
            for (index, id) in body.leadIds.enumerated() {
                // Only the current store's leads: a group-wide view does not make another store's leads
                // theirs to give to this store's consultants.
                guard let lead = try await store.lead(id, principal: principal, forUpdate: true), lead.storeId == principal.storeID else {
                    throw ProblemDetails.validation([.init(field: "leadIds[\(index)]", message: "is not a lead of yours")])
                }
                if lead.state == "defeated" { throw ProblemDetails.conflict("lead \(lead.name) is defeated; re-activate it first") }
                if lead.state == "arrived" { throw ProblemDetails.conflict("lead \(lead.name) came to the showroom; it is a prospect now") }
            }
            try await environment.directory.requireActiveUser(
                body.consultantId, inStore: principal.storeID, field: "consultantId", on: connection, logger: environment.logger)
            let ids = Array(Set(body.leadIds))
            try await store.assign(ids, to: body.consultantId, at: environment.configuration.clock.now(), today: try await today(principal.storeID, connection: connection))
            try await announce(ids, on: connection)
            return AssignResult(assigned: ids.map { Assignment(leadId: $0, consultantId: body.consultantId) }, unassigned: [])
        }
    }

    @Sendable func autoAssign(_ request: Request, context: CRMRequestContext) async throws -> AssignResult {
        let principal = try context.require(.assignLeads)
        let body = try await request.decodeJSON(as: AutoAssignRequest.self, context: context)
        if let ids = body.leadIds {
            var check = FieldValidator()
            check.require(!ids.isEmpty && ids.count <= 10000, "leadIds", "must name 1 to 10000 leads")
            try check.throwIfInvalid()
        }
        return try await transaction { store, connection in
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let assigner = AutoAssignment(connection: connection, logger: environment.logger, directory: environment.directory)
            let candidates = try await assigner.candidates(store: principal.storeID, startOfToday: day.startOfToday)
            // The unassigned leads asked for, oldest first, locked so that two runs cannot both take one.
            var query = QueryBuilder("SELECT id FROM leads.lead WHERE store_id = ")
            query.append("", bind: principal.storeID)
            query.append(" AND state = 'new' AND consultant_id IS NULL")
            if let ids = body.leadIds { query.append(" AND id = ANY(\(query.placeholder(for: ids)))") }
            query.append(" ORDER BY created_at, id FOR UPDATE")
            let leads = try await connection.query(query.build(), logger: environment.logger).decode(UUID.self).all()
            let plan = AutoAssignment.plan(leads: leads, candidates: candidates)
            for (consultant, group) in Dictionary(grouping: plan, by: \.consultant) {
                try await store.assign(group.map(\.lead), to: consultant, at: day.now, today: day.today)
            }
            let assigned = Set(plan.map(\.lead))
            try await announce(Array(assigned), on: connection)
            return AssignResult(
                assigned: plan.map { Assignment(leadId: $0.lead, consultantId: $0.consultant) },
                unassigned: leads.filter { !assigned.contains($0) })
        }
    }

    @Sendable func followUp(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<LeadView> {
        let principal = try context.require(.writeLeads)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: FollowUpRequest.self, context: context)
        let lead = try await transaction { store, connection in
            guard let lead = try await store.lead(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("lead \(id)") }
            // Every field at once, against the lead's store's dictionaries.
            let dictionaries = try await dictionaries(lead.storeId, connection: connection)
            var check = FieldValidator()
            let channel = check.requiredCode("channel", body.channel, in: dictionaries.channel) ?? ""
            let content = check.text("content", body.content, maxLength: 1000)
            // `leadLevel` is closed: its codes are the levels the rules know.
            let level = LeadLevel(rawValue: check.requiredCode("level", body.level, in: dictionaries.level) ?? "") ?? .B
            if let nextOn = body.nextOn { check.require(CalendarDate.parse(nextOn) != nil, "nextOn", "must be a date like 2026-11-23") }
            try check.throwIfInvalid()
            guard lead.state == "assigned" else { throw ProblemDetails.conflict("only an assigned lead is followed up; this one is \(lead.state)") }
            let today = try await today(lead.storeId, connection: connection)
            if let nextOn = body.nextOn, nextOn < today {
                throw ProblemDetails.validation([.init(field: "nextOn", message: "must not be before today (\(today))")])
            }
            _ = try await store.recordFollowUp(
                lead: lead, by: principal.userID, channel: channel, content: content, level: level, nextOn: body.nextOn, today: today)
            try await announce([id], on: connection)
            return try await store.lead(id, principal: principal)!
        }
        return EditedResponse(status: .created, response: lead)
    }

    @Sendable func followUps(_ request: Request, context: CRMRequestContext) async throws -> FollowUpList {
        let principal = try context.require(.readLeads)
        let id = try context.parameters.uuid("id")
        return try await transaction { store, connection in
            guard try await store.lead(id, principal: principal) != nil else { throw ProblemDetails.notFound("lead \(id)") }
            var items: [FollowUpView] = []
            for try await (id, consultant, channel, content, level, nextOn, createdAt) in try await connection.query("""
                SELECT id, consultant_id, channel, content, level, to_char(next_on, 'YYYY-MM-DD'), created_at
                FROM leads.lead_follow_up WHERE lead_id = \(id) ORDER BY created_at, id
                """, logger: environment.logger).decode((UUID, UUID, String, String, String, String?, Date).self)
            {
                items.append(FollowUpView(
                    id: id, consultantId: consultant, channel: channel, content: content, level: LeadLevel(rawValue: level) ?? .B,
                    nextOn: nextOn, createdAt: createdAt))
            }
            return FollowUpList(items: items)
        }
    }

    @Sendable func defeat(_ request: Request, context: CRMRequestContext) async throws -> LeadView {
        let principal = try context.require(.writeLeads)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: DefeatRequest.self, context: context)
        return try await transaction { store, connection in
            guard let lead = try await store.lead(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("lead \(id)") }
            // A reason of the lead's store that it has not disabled; a lead defeated before keeps its own.
            var check = FieldValidator()
            let reason = check.requiredCode("reason", body.reason, in: try await dictionaries(lead.storeId, connection: connection).defeatReason) ?? ""
            try check.throwIfInvalid()
            guard lead.state != "defeated" else { throw ProblemDetails.conflict("the lead is defeated already") }
            guard lead.state != "arrived" else { throw ProblemDetails.conflict("the lead came to the showroom; it is a prospect now") }
            try await store.defeat(id, reason: reason, at: environment.configuration.clock.now())
            try await announce([id], on: connection)
            return try await store.lead(id, principal: principal)!
        }
    }

    @Sendable func activate(_ request: Request, context: CRMRequestContext) async throws -> LeadView {
        let principal = try context.require(.assignLeads)
        let id = try context.parameters.uuid("id")
        return try await transaction { store, connection in
            guard let lead = try await store.lead(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("lead \(id)") }
            guard lead.state == "defeated" else { throw ProblemDetails.conflict("only a defeated lead is re-activated") }
            try await store.activate(id, store: lead.storeId, today: try await today(lead.storeId, connection: connection))
            try await announce([id], on: connection)
            // Unassigned now: read it back store-wide, whatever the caller's own scope.
            guard let activated = try await store.lead(id, principal: principal.widened(to: .store)) else {
                throw ProblemDetails.notFound("lead \(id)")
            }
            return activated
        }
    }

    @Sendable func duplicates(_ request: Request, context: CRMRequestContext) async throws -> Page<DuplicateLeadView> {
        let principal = try context.require(.readLeads)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let mobile = query.mobile("mobile")
        try query.throwIfInvalid()
        var sql = QueryBuilder(" FROM leads.duplicate_lead d JOIN leads.lead l ON l.id = d.lead_id WHERE true")
        sql.restrict(to: principal, storeColumn: "d.store_id", ownerColumn: "l.consultant_id", directory: environment.directory.schema)
        if let mobile { sql.append(" AND d.mobile = ", bind: mobile) }
        return try await transaction { _, connection in
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "d.created_at DESC, d.id", page)
            var items: [DuplicateLeadView] = []
            for try await (id, lead, name, mobile, source, reason, note, createdAt) in try await connection.query(
                select.build(prefix: "SELECT d.id, d.lead_id, d.name, d.mobile, d.source, d.reason, d.note, d.created_at"), logger: environment.logger
            ).decode((UUID, UUID, String, String, String, String, String?, Date).self) {
                items.append(DuplicateLeadView(id: id, leadId: lead, name: name, mobile: mobile, source: source, reason: reason, note: note, createdAt: createdAt))
            }
            return Page(items: items, request: page, total: total)
        }
    }
}
