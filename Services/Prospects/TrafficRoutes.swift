import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/prospects/traffic`: register showroom traffic (流量登记, P1, P2), list and export it.
struct TrafficRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prospects/traffic", use: register)
        group.get("prospects/traffic", use: list)
        group.get("prospects/traffic/export", use: export)
    }

    @Sendable func register(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<TrafficIntake> {
        let principal = try context.require(.writeProspects)
        let draft = try TrafficDraft(try await request.decodeJSON(as: NewTraffic.self, context: context))
        let intake = try await environment.database.withTransaction { connection in
            if let named = draft.consultantID {
                try await environment.directory.requireActiveUser(
                    named, inStore: principal.storeID, field: "consultantId", on: connection, logger: environment.logger)
            }
            let consultant = Self.receivingConsultant(named: draft.consultantID, by: principal)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let registered = try await TrafficStore(
                connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox
            ).register(draft, store: principal.storeID, consultant: consultant, by: principal.userID, now: day.now, today: day.today)
            // The caller sees the prospect their traffic went to, whoever follows it up.
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            guard let prospect = try await store.prospect(registered.prospectID, principal: principal.widened(to: .store)) else {
                throw ProblemDetails.notFound("prospect \(registered.prospectID)")
            }
            return TrafficIntake(outcome: registered.outcome, trafficId: registered.trafficID, prospect: prospect)
        }
        return EditedResponse(status: .created, response: intake)
    }

    /// Who follows a registered visitor up: the receiving consultant the form names; else a
    /// consultant registering their own visitor; a manager's registration without one waits
    /// for assignment (nil).
    static func receivingConsultant(named consultant: UUID?, by principal: Principal) -> UUID? {
        consultant ?? (principal.has(.assignProspects) ? nil : principal.userID)
    }

    struct Filter {
        var from: Date?
        var to: Date?
        var mobile: String?
        var consultantID: UUID?
        var category: ProspectCategory?
        var source: ProspectSource?
        var outcome: String?

        enum Outcome: String, CaseIterable { case created, existing, reactivated, carriedOver = "carried_over", restored }

        init(_ request: Request) throws {
            var query = QueryReader(request)
            from = query.date("from")
            to = query.date("to")
            mobile = query.mobile("mobile")
            consultantID = query.uuid("consultantId")
            category = query.oneOf("category", ProspectCategory.self)
            source = query.oneOf("source", ProspectSource.self)
            outcome = query.oneOf("outcome", Outcome.self)?.rawValue
            try query.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let from { sql.append(" AND t.arrived_at >= ", bind: from) }
            if let to { sql.append(" AND t.arrived_at < ", bind: to) }
            if let mobile { sql.append(" AND t.mobile = ", bind: mobile) }
            if let consultantID { sql.append(" AND t.consultant_id = ", bind: consultantID) }
            if let category { sql.append(" AND t.category = ", bind: category.rawValue) }
            if let source { sql.append(" AND t.source = ", bind: source.rawValue) }
            if let outcome { sql.append(" AND t.outcome = ", bind: outcome) }
        }
    }

    private func read(_ filter: Filter, principal: Principal, page: PageRequest) async throws -> (items: [TrafficView], total: Int) {
        try await environment.database.withTransaction { connection in
            var sql = QueryBuilder(" FROM prospects.traffic t LEFT JOIN prospects.directory_user u ON u.id = t.consultant_id WHERE true")
            sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: environment.directory.schema)
            filter.apply(to: &sql)
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "t.arrived_at DESC, t.id", page).build(prefix: """
                SELECT t.id, t.prospect_id, t.outcome, t.name, t.mobile, t.arrival, t.party_size, t.arrived_at, t.left_at, t.category,
                       t.source, t.nature, t.consultant_id, u.display_name, t.note, t.created_at
                """)
            var items: [TrafficView] = []
            for try await r in try await connection.query(select, logger: environment.logger).decode((
                UUID, UUID, String, String, String, String, Int, Date, Date?, String, String, String, UUID?, String?, String?, Date).self)
            {
                items.append(TrafficView(
                    id: r.0, prospectId: r.1, outcome: r.2, name: r.3, mobile: r.4, arrival: r.5, partySize: r.6, arrivedAt: r.7,
                    leftAt: r.8, category: r.9, source: r.10, nature: r.11, consultantId: r.12, consultantName: r.13, note: r.14, createdAt: r.15))
            }
            return (items, total)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TrafficView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await read(try Filter(request), principal: principal, page: page)
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total) = try await read(try Filter(request), principal: principal, page: ExportLimit.page)
        try ExportLimit.check(total: total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let rows: [[ExportCell]] = items.map { t in
            [ExportCell(t.name), ExportCell(t.mobile), ExportCell(t.arrival), ExportCell(t.partySize), ExportCell(t.arrivedAt, in: timeZone),
             ExportCell(t.leftAt, in: timeZone),
             ExportCell(t.category), ExportCell(t.source), ExportCell(t.nature), ExportCell(t.consultantName), ExportCell(t.outcome), ExportCell(t.note)]
        }
        let table = ExportTable(
            sheetName: "流量登记",
            headers: ["客户姓名", "手机号码", "登记方式", "登记人数", "到店时间", "离店时间", "登记大类", "客户来源", "获取性质", "销售顾问", "结果", "备注"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "traffic")
    }
}
