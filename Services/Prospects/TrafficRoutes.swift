import Contracts
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
        let body = try await request.decodeJSON(as: NewTraffic.self, context: context)
        let intake = try await environment.database.withTransaction { connection in
            let draft = try TrafficDraft(body, dictionaries: try await ProspectDictionaries.load(
                TrafficDraft.dictionarySets, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
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
        /// Codes of the caller's store's `prospectCategory` and `prospectSource`, disabled ones included.
        var category: String?
        var source: String?
        var outcome: String?

        enum Outcome: String, CaseIterable { case created, existing, reactivated, carriedOver = "carried_over", restored }

        static let dictionarySets = [DataDictionaries.prospectCategory, DataDictionaries.prospectSource]

        init(_ request: Request, dictionaries: StoreDictionaries) throws {
            var query = QueryReader(request)
            from = query.date("from")
            to = query.date("to")
            mobile = query.mobile("mobile")
            consultantID = query.uuid("consultantId")
            outcome = query.oneOf("outcome", Outcome.self)?.rawValue
            let codes = (category: query.code("category"), source: query.code("source"))
            var check = query.validator
            category = check.filterCode("category", codes.category, in: dictionaries[DataDictionaries.prospectCategory])
            source = check.filterCode("source", codes.source, in: dictionaries[DataDictionaries.prospectSource])
            try check.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let from { sql.append(" AND t.arrived_at >= ", bind: from) }
            if let to { sql.append(" AND t.arrived_at < ", bind: to) }
            if let mobile { sql.append(" AND t.mobile = ", bind: mobile) }
            if let consultantID { sql.append(" AND t.consultant_id = ", bind: consultantID) }
            if let category { sql.append(" AND t.category = ", bind: category) }
            if let source { sql.append(" AND t.source = ", bind: source) }
            if let outcome { sql.append(" AND t.outcome = ", bind: outcome) }
        }
    }

    /// What registering a visit came to, as staff say it. Not a dictionary of the catalogue: the
    /// outcomes are the duplicate rules' (P2), the same in every store.
    static let outcomeLabels = [
        "created": "新建潜客", "existing": "已有潜客", "reactivated": "战败激活", "carried_over": "网销线索转入", "restored": "回收站恢复",
    ]

    /// The traffic the caller may see that the request's filters match.
    private func read(_ request: Request, principal: Principal, page: PageRequest) async throws -> (items: [TrafficView], total: Int) {
        try await environment.database.withTransaction { connection in
            let filter = try Filter(request, dictionaries: try await ProspectDictionaries.load(
                Filter.dictionarySets, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
            var sql = QueryBuilder(" FROM prospects.traffic t LEFT JOIN prospects.directory_user u ON u.id = t.consultant_id WHERE true")
            sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: environment.directory.schema)
            filter.apply(to: &sql)
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "t.arrived_at DESC, t.id", page).build(prefix: """
                SELECT t.id, t.store_id, t.prospect_id, t.outcome, t.name, t.mobile, t.arrival, t.party_size, t.arrived_at, t.left_at, t.category,
                       t.source, t.nature, t.consultant_id, u.display_name, t.note, t.created_at
                """)
            var items: [TrafficView] = []
            for try await r in try await connection.query(select, logger: environment.logger).decode((
                UUID, UUID, UUID, String, String, String, String, Int, Date, Date?, String, String, String, UUID?, String?, String?, Date).self)
            {
                items.append(TrafficView(
                    id: r.0, storeId: r.1, prospectId: r.2, outcome: r.3, name: r.4, mobile: r.5, arrival: r.6, partySize: r.7, arrivedAt: r.8,
                    leftAt: r.9, category: r.10, source: r.11, nature: r.12, consultantId: r.13, consultantName: r.14, note: r.15, createdAt: r.16))
            }
            return (items, total)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TrafficView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await read(request, principal: principal, page: page)
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total) = try await read(request, principal: principal, page: ExportLimit.page)
        try ExportLimit.check(total: total)
        let labels = try await environment.dictionaries(Self.exportSets, stores: items.map(\.storeId))
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let rows: [[ExportCell]] = items.map { t in
            [ExportCell(t.name), ExportCell(t.mobile), labels.cell(DataDictionaries.trafficArrival, t.arrival, store: t.storeId),
             ExportCell(t.partySize), ExportCell(t.arrivedAt, in: timeZone), ExportCell(t.leftAt, in: timeZone),
             labels.cell(DataDictionaries.prospectCategory, t.category, store: t.storeId),
             labels.cell(DataDictionaries.prospectSource, t.source, store: t.storeId),
             labels.cell(DataDictionaries.trafficNature, t.nature, store: t.storeId),
             ExportCell(t.consultantName), ExportCell(Self.outcomeLabels[t.outcome] ?? t.outcome), ExportCell(t.note)]
        }
        let table = ExportTable(
            sheetName: "流量登记",
            headers: ["客户姓名", "手机号码", "登记方式", "登记人数", "到店时间", "离店时间", "登记大类", "客户来源", "获取性质", "销售顾问", "结果", "备注"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "traffic")
    }

    /// The dictionaries whose labels the traffic export prints.
    static let exportSets = [
        DataDictionaries.trafficArrival, DataDictionaries.prospectCategory, DataDictionaries.prospectSource, DataDictionaries.trafficNature,
    ]
}
