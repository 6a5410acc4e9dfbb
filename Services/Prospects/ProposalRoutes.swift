import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Purchase proposals (购车建议书, P11): `POST /api/v1/prospects/prospects/{id}/proposals` quotes
/// a prospect a car; `GET /api/v1/prospects/proposals` (+ export, by id) lists them and
/// `GET …/proposals/{id}/document` is the printable quote to hand the customer.
struct ProposalRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prospects/prospects/:id/proposals", use: create)
        group.get("prospects/proposals", use: list)
        group.get("prospects/proposals/export", use: export)
        group.get("prospects/proposals/:id", use: get)
        group.get("prospects/proposals/:id/document", use: document)
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<ProposalView> {
        let principal = try context.require(.writeProspects)
        let prospectID = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: NewProposal.self, context: context)
        let quote = try body.quote()
        var check = FieldValidator()
        let brand = check.optionalText("brand", body.brand, maxLength: 100)
        let series = check.optionalText("series", body.series, maxLength: 100)
        let model = check.optionalText("model", body.model, maxLength: 100)
        let color = check.optionalText("color", body.color, maxLength: 50)
        let note = check.optionalText("note", body.note, maxLength: 1000)
        let validUntil = check.optionalText("validUntil", body.validUntil, maxLength: 10)
        if let validUntil { check.require(CalendarDate.parse(validUntil) != nil, "validUntil", "must be a date like 2026-11-30") }
        try check.throwIfInvalid()
        let proposal = try await environment.database.withTransaction { connection in
            let prospects = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            guard let prospect = try await prospects.prospect(prospectID, principal: principal) else {
                throw ProblemDetails.notFound("prospect \(prospectID)")
            }
            guard ["active", "ordered"].contains(prospect.state), let consultant = prospect.consultantId else {
                throw ProblemDetails.conflict("only an assigned prospect that is active or ordered is quoted")
            }
            // The car: as the proposal names it, else the prospect's intended one — but named it must be.
            var missing = FieldValidator()
            let car = (brand: brand ?? prospect.brand, series: series ?? prospect.series, model: model ?? prospect.model)
            if car.brand == nil { missing.fail("brand", "is required: the prospect has no intended brand") }
            if car.series == nil { missing.fail("series", "is required: the prospect has no intended series") }
            if car.model == nil { missing.fail("model", "is required: the prospect has no intended model") }
            try missing.throwIfInvalid()
            let day = try await environment.storeDay(prospect.storeId, on: connection)
            let lastValidDay = validUntil ?? ServiceClock.day(day.today, plus: NewProposal.defaultValidDays)
            guard lastValidDay >= day.today else {
                throw ProblemDetails.validation([.init(field: "validUntil", message: "must not be before today (\(day.today))")])
            }
            let id = UUID()
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "JY", store: prospect.storeId, at: day.now)
            try await connection.query("""
                INSERT INTO prospects.proposal (id, store_id, proposal_no, prospect_id, consultant_id, brand, series, model, color,
                    list_price, discount, purchase_tax, insurance, registration, accessories, down_payment, loan_months,
                    annual_rate_percent, note, valid_until, created_at)
                VALUES (\(id), \(prospect.storeId), \(number), \(prospect.id), \(consultant), \(car.brand!), \(car.series!), \(car.model!), \(color),
                    \(Money.text(quote.listPrice))::numeric, \(Money.text(quote.discount))::numeric, \(Money.text(quote.purchaseTax))::numeric,
                    \(Money.text(quote.insurance))::numeric, \(Money.text(quote.registration))::numeric, \(Money.text(quote.accessories))::numeric,
                    \(quote.downPayment.map(Money.text))::numeric, \(quote.loanMonths), \(quote.annualRatePercent.map(Money.text))::numeric,
                    \(note), \(lastValidDay)::date, \(day.now))
                """, logger: environment.logger)
            return try await read({ $0.append(" AND q.id = ", bind: id) }, principal: principal.widened(to: .store), page: PageRequest(page: 1, pageSize: 1), on: connection).items[0]
        }
        return EditedResponse(status: .created, response: proposal)
    }

    struct Filter {
        var prospectID: UUID?
        var consultantID: UUID?
        var mobile: String?
        var from: Date?
        var to: Date?

        init(_ request: Request) throws {
            var query = QueryReader(request)
            prospectID = query.uuid("prospectId")
            consultantID = query.uuid("consultantId")
            mobile = query.mobile("mobile")
            from = query.date("from")
            to = query.date("to")
            try query.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let prospectID { sql.append(" AND q.prospect_id = ", bind: prospectID) }
            if let consultantID { sql.append(" AND q.consultant_id = ", bind: consultantID) }
            if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
            if let from { sql.append(" AND q.created_at >= ", bind: from) }
            if let to { sql.append(" AND q.created_at < ", bind: to) }
        }
    }

    /// Proposals the caller may see, by their consultant: a consultant's own, a leader's team's, a manager's store's.
    private func read(_ filter: (inout QueryBuilder) -> Void, principal: Principal, page: PageRequest, on connection: PostgresConnection) async throws -> (items: [ProposalView], total: Int) {
        var sql = QueryBuilder("""
             FROM prospects.proposal q JOIN prospects.prospect p ON p.id = q.prospect_id
             LEFT JOIN prospects.directory_user u ON u.id = q.consultant_id WHERE true
            """)
        sql.restrict(to: principal, storeColumn: "q.store_id", ownerColumn: "q.consultant_id", directory: environment.directory.schema)
        filter(&sql)
        let total = try await sql.count(on: connection, logger: environment.logger)
        let select = sql.ordered(by: "q.created_at DESC, q.id", page).build(prefix: """
            SELECT q.id, q.proposal_no, q.store_id, q.prospect_id, p.name, p.mobile, q.consultant_id, u.display_name, q.brand, q.series,
                   q.model, q.color, q.list_price::text, q.discount::text, q.purchase_tax::text, q.insurance::text, q.registration::text,
                   q.accessories::text, q.down_payment::text, q.loan_months, q.annual_rate_percent::text, q.note,
                   to_char(q.valid_until, 'YYYY-MM-DD'), q.created_at
            """)
        var items: [ProposalView] = []
        for try await r in try await connection.query(select, logger: environment.logger).decode((
            UUID, String, UUID, UUID, String, String, UUID, String?, String, String,
            String, String?, String, String, String, String, String,
            String, String?, Int?, String?, String?, String, Date).self)
        {
            let quote = ProposalQuote(
                listPrice: Money.amount(r.12) ?? 0, discount: Money.amount(r.13) ?? 0, purchaseTax: Money.amount(r.14) ?? 0,
                insurance: Money.amount(r.15) ?? 0, registration: Money.amount(r.16) ?? 0, accessories: Money.amount(r.17) ?? 0,
                downPayment: Money.amount(r.18), loanMonths: r.19, annualRatePercent: Money.amount(r.20))
            items.append(ProposalView(
                id: r.0, proposalNo: r.1, storeId: r.2, prospectId: r.3, prospectName: r.4, prospectMobile: r.5, consultantId: r.6,
                consultantName: r.7, brand: r.8, series: r.9, model: r.10, color: r.11, quote: quote, note: r.21, validUntil: r.22, createdAt: r.23))
        }
        return (items, total)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ProposalView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let filter = try Filter(request)
        let (items, total) = try await environment.database.withTransaction { connection in
            try await read(filter.apply(to:), principal: principal, page: page, on: connection)
        }
        return Page(items: items, request: page, total: total)
    }

    private func proposal(_ id: UUID, principal: Principal) async throws -> ProposalView {
        let found = try await environment.database.withTransaction { connection in
            try await read({ $0.append(" AND q.id = ", bind: id) }, principal: principal, page: PageRequest(page: 1, pageSize: 1), on: connection).items.first
        }
        guard let found else { throw ProblemDetails.notFound("proposal \(id)") }
        return found
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> ProposalView {
        try await proposal(try context.parameters.uuid("id"), principal: try context.require(.readProspects))
    }

    @Sendable func document(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let proposal = try await proposal(try context.parameters.uuid("id"), principal: try context.require(.readProspects))
        let store = try await environment.database.withTransaction { connection in
            try await environment.directory.store(proposal.storeId, on: connection, logger: environment.logger)
        }
        let timeZone = store?.timeZone ?? Directory.defaultTimeZone
        let document = ProposalDocument(proposal: proposal, storeName: store?.name ?? "", timeZone: timeZone).document()
        return try await Response.pdf(document, fileName: proposal.proposalNo)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let filter = try Filter(request)
        let (items, total) = try await environment.database.withTransaction { connection in
            try await read(filter.apply(to:), principal: principal, page: ExportLimit.page, on: connection)
        }
        try ExportLimit.check(total: total)
        let timeZone = try await environment.timeZone(of: principal.storeID)
        let rows: [[ExportCell]] = items.map { q in
            [ExportCell(q.proposalNo), ExportCell(q.prospectName), ExportCell(q.prospectMobile), ExportCell("\(q.brand) \(q.series) \(q.model)"),
             ExportCell(q.color), ExportCell(q.quote.listPrice), ExportCell(q.quote.discount), ExportCell(q.quote.vehiclePrice),
             ExportCell(q.quote.purchaseTax), ExportCell(q.quote.insurance), ExportCell(q.quote.registration), ExportCell(q.quote.accessories),
             ExportCell(q.quote.total), ExportCell(q.quote.downPayment), ExportCell(q.quote.loanMonths), ExportCell(q.quote.monthlyPayment),
             ExportCell(q.validUntil), ExportCell(q.consultantName), ExportCell(q.createdAt, in: timeZone)]
        }
        let table = ExportTable(
            sheetName: "购车建议书",
            headers: ["建议书编号", "客户名称", "联系手机", "车型", "颜色", "厂家指导价", "优惠", "裸车价", "购置税", "保险", "上牌费",
                      "精品", "落地价", "首付", "期数", "月供", "有效期至", "销售顾问", "创建时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "proposals")
    }
}
