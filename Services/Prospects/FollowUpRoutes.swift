import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Follow-ups (回访, P5) and their records (潜客跟进记录, P6): `POST /api/v1/prospects/prospects/{id}/follow-ups`,
/// `GET /api/v1/prospects/follow-ups` (+ export). Every follow-up opens the next task on its plan and
/// is announced (`prospects.follow_up.recorded.v1`) so that customer service can call the
/// customer (CS3).
struct FollowUpRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prospects/prospects/:id/follow-ups", use: record)
        group.get("prospects/follow-ups", use: list)
        group.get("prospects/follow-ups/export", use: export)
        group.put("prospects/follow-ups/:id/quote-image", use: uploadQuoteImage)
        group.get("prospects/follow-ups/:id/quote-image", use: quoteImage)
    }

    enum Method: String, Codable, CaseIterable {
        /// 外出拜访, 展厅接待, 电话回访, 电子邮件, 短信问候, 邮寄资料
        case visit, showroom, phone, email, sms, mail
    }

    enum Content: String, Codable, CaseIterable {
        /// 邀约到店, 看车, 再回展厅, 二手车置换, 需求分析, 车辆介绍, 协商议价
        case invite
        case viewCar = "view_car"
        case returnVisit = "return_visit"
        case tradeIn = "trade_in"
        case needsAnalysis = "needs_analysis"
        case vehicleIntro = "vehicle_intro"
        case negotiation
    }

    enum Result: String, Codable, CaseIterable {
        /// 维护客户信息, 执行失败, 延期访问, 新建客户信息, 客户无意向, 放弃访问, 信息不准, 已完成, 继续跟进
        case updatedInfo = "updated_info"
        case failed
        case postponed
        case newInfo = "new_info"
        case noIntent = "no_intent"
        case abandoned
        case wrongInfo = "wrong_info"
        case completed
        case continuing = "continue"
    }

    enum Contact: String, Codable, CaseIterable {
        /// 首次接触, 两次或两次以上
        case first, repeated
    }

    enum NextContent: String, Codable, CaseIterable {
        /// 再回展厅, 预约看车, 试乘试驾, 订交全, 交车, 常规跟进
        case returnVisit = "return_visit"
        case appointment
        case testDrive = "test_drive"
        case order, delivery, routine
    }

    struct NextPlan: Codable, Sendable {
        /// `yyyy-MM-dd`; after the store's interval for the new level when left out.
        var on: String?
        var method: Method
        var content: NextContent
        /// 计划次日到店.
        var comesTomorrow: Bool
    }

    struct FollowUpRequest: Decodable {
        var level: ProspectLevel
        var method: Method
        var contents: [Content]
        var result: Result
        var contact: Contact
        var note: String
        /// 有效回访.
        var valid: Bool
        var next: NextPlan
    }

    struct FollowUpView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var followUpNo: String
        var prospectId: UUID
        var prospectName: String
        var mobile: String
        var consultantId: UUID
        var consultantName: String?
        var levelBefore: String
        var level: String
        var method: String
        var contents: [String]
        var result: String
        var contact: String
        var note: String
        var valid: Bool
        var nextOn: String?
        var nextMethod: String?
        var nextContent: String?
        var comesTomorrow: Bool
        /// Whether a photo of the quote shown to the customer (报价单) is on file.
        var hasQuoteImage: Bool
        var createdAt: Date
    }

    @Sendable func record(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<FollowUpView> {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: FollowUpRequest.self, context: context)
        var check = FieldValidator()
        let note = check.text("note", body.note, maxLength: 1000)
        check.require(body.contents.count <= Content.allCases.count, "contents", "names each content at most once")
        if let on = body.next.on { check.require(CalendarDate.parse(on) != nil, "next.on", "must be a date like 2026-11-23") }
        if body.level == .O { check.fail("level", "O is set when the ERP has an order") }
        try check.throwIfInvalid()
        let view = try await environment.database.withTransaction { connection in
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("prospect \(id)") }
            guard ["active", "ordered"].contains(prospect.state), let consultant = prospect.consultantId else {
                throw ProblemDetails.conflict("only an assigned prospect that is active or ordered is followed up")
            }
            let day = try await environment.storeDay(prospect.storeId, on: connection)
            let (now, today) = (day.now, day.today)
            if let on = body.next.on, on < today {
                throw ProblemDetails.validation([.init(field: "next.on", message: "must not be before today (\(today))")])
            }
            // An ordered prospect stays at O whatever the form says.
            let level = prospect.level == .O ? .O : body.level
            let interval = try await ProspectRules(connection: connection, logger: environment.logger).interval(for: level, store: prospect.storeId)
            let nextOn = body.next.on ?? ServiceClock.day(today, plus: body.next.comesTomorrow ? 1 : interval)
            let followUpID = UUID()
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "GJ", store: prospect.storeId, at: now)
            let contents = Array(Set(body.contents.map(\.rawValue))).sorted()
            try await connection.query("""
                INSERT INTO prospects.prospect_follow_up (id, store_id, follow_up_no, prospect_id, consultant_id, level_before, level, method,
                    contents, result, contact, note, valid, next_on, next_method, next_content, comes_tomorrow, created_at)
                VALUES (\(followUpID), \(prospect.storeId), \(number), \(id), \(principal.userID), \(prospect.level.rawValue), \(level.rawValue),
                    \(body.method.rawValue), \(contents), \(body.result.rawValue), \(body.contact.rawValue), \(note), \(body.valid),
                    \(nextOn)::date, \(body.next.method.rawValue), \(body.next.content.rawValue), \(body.next.comesTomorrow), \(now))
                """, logger: environment.logger)
            try await connection.query("""
                UPDATE prospects.prospect SET level = \(level.rawValue), updated_at = now() WHERE id = \(id)
                """, logger: environment.logger)
            try await store.closeOpenTask(id, as: "done")
            try await store.openTask(
                id, store: prospect.storeId, consultant: consultant, dueOn: nextOn,
                planned: body.next.content.rawValue, plannedMethod: body.next.method.rawValue)
            let consultantName = try await environment.directory.displayNames(of: [principal.userID], on: connection, logger: environment.logger)[principal.userID]
            try await environment.outbox.append(CloudEvent(
                source: "/crm/prospects", subject: followUpID.uuidString.lowercased(),
                data: ProspectFollowUpRecorded(
                    followUpId: followUpID, followUpNo: number, prospectId: id, storeId: prospect.storeId,
                    customer: Person(name: prospect.name, mobile: prospect.mobile), level: level.rawValue, method: body.method.rawValue,
                    brand: prospect.brand, series: prospect.series, model: prospect.model,
                    consultant: consultantName ?? principal.userID.uuidString, recordedAt: now),
                storeid: prospect.storeId.uuidString.lowercased()
            ), on: connection, logger: environment.logger)
            return try await read(
                filter: { $0.append(" AND f.id = ", bind: followUpID) }, principal: principal.widened(to: .store),
                page: PageRequest(page: 1, pageSize: 1), connection: connection
            ).items[0]
        }
        return EditedResponse(status: .created, response: view)
    }

    /// Files the photo of the quote the consultant showed the customer (报价单, part of the P5
    /// form); a second upload replaces the first. Only the record's author or someone who may
    /// see it by scope files it.
    @Sendable func uploadQuoteImage(_ request: Request, context: CRMRequestContext) async throws -> FollowUpView {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let file = try await UploadedFile(request: request, accepting: [.jpeg, .png, .webp])
        return try await environment.database.withTransaction { connection in
            let byID: (inout QueryBuilder) -> Void = { $0.append(" AND f.id = ", bind: id) }
            guard try await read(filter: byID, principal: principal, page: PageRequest(page: 1, pageSize: 1), connection: connection).total == 1 else {
                throw ProblemDetails.notFound("follow-up \(id)")
            }
            try await connection.query("""
                UPDATE prospects.prospect_follow_up SET quote_image = \(file.bytes), quote_image_type = \(file.type.contentType) WHERE id = \(id)
                """, logger: environment.logger)
            return try await read(filter: byID, principal: principal, page: PageRequest(page: 1, pageSize: 1), connection: connection).items[0]
        }
    }

    @Sendable func quoteImage(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let id = try context.parameters.uuid("id")
        let (record, image) = try await environment.database.withTransaction { connection in
            guard let record = try await read(
                filter: { $0.append(" AND f.id = ", bind: id) }, principal: principal, page: PageRequest(page: 1, pageSize: 1), connection: connection
            ).items.first else {
                throw ProblemDetails.notFound("follow-up \(id)")
            }
            let image = try await connection.query("""
                SELECT quote_image_type, quote_image FROM prospects.prospect_follow_up WHERE id = \(id) AND quote_image IS NOT NULL
                """, logger: environment.logger).decode((String, ByteBuffer).self).all().first
            return (record, image)
        }
        guard let image else { throw ProblemDetails.notFound("quote image of follow-up \(record.followUpNo)") }
        return Response.file(image.1, contentType: image.0, fileName: "\(record.followUpNo)-quote")
    }

    struct Filter {
        var prospectID: UUID?
        var consultantID: UUID?
        var method: Method?
        var result: Result?
        var valid: Bool?
        var mobile: String?
        var note: String?
        var from: Date?
        var to: Date?

        init(_ request: Request) throws {
            var query = QueryReader(request)
            prospectID = query.uuid("prospectId")
            consultantID = query.uuid("consultantId")
            method = query.oneOf("method", Method.self)
            result = query.oneOf("result", Result.self)
            valid = query.bool("valid")
            mobile = query.mobile("mobile")
            note = query.string("note", maxLength: 100)
            from = query.date("from")
            to = query.date("to")
            try query.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let prospectID { sql.append(" AND f.prospect_id = ", bind: prospectID) }
            if let consultantID { sql.append(" AND f.consultant_id = ", bind: consultantID) }
            if let method { sql.append(" AND f.method = ", bind: method.rawValue) }
            if let result { sql.append(" AND f.result = ", bind: result.rawValue) }
            if let valid { sql.append(" AND f.valid = ", bind: valid) }
            if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
            if let note { sql.append(" AND f.note ILIKE ", bind: SearchText.containing(note)) }
            if let from { sql.append(" AND f.created_at >= ", bind: from) }
            if let to { sql.append(" AND f.created_at < ", bind: to) }
        }
    }

    /// Records the caller may see, by their author: a consultant's own, a leader's team's, a manager's store's.
    private func read(filter: (inout QueryBuilder) -> Void, principal: Principal, page: PageRequest, connection: PostgresConnection) async throws -> (items: [FollowUpView], total: Int) {
        var sql = QueryBuilder("""
             FROM prospects.prospect_follow_up f JOIN prospects.prospect p ON p.id = f.prospect_id
             LEFT JOIN prospects.directory_user u ON u.id = f.consultant_id WHERE true
            """)
        sql.restrict(to: principal, storeColumn: "f.store_id", ownerColumn: "f.consultant_id", directory: environment.directory.schema)
        filter(&sql)
        let total = try await sql.count(on: connection, logger: environment.logger)
        let select = sql.ordered(by: "f.created_at DESC, f.id", page).build(prefix: """
            SELECT f.id, f.follow_up_no, f.prospect_id, p.name, p.mobile, f.consultant_id, u.display_name, f.level_before, f.level, f.method,
                   f.contents, f.result, f.contact, f.note, f.valid, to_char(f.next_on, 'YYYY-MM-DD'), f.next_method, f.next_content,
                   f.comes_tomorrow, f.quote_image IS NOT NULL, f.created_at
            """)
        var items: [FollowUpView] = []
        for try await r in try await connection.query(select, logger: environment.logger).decode((
            UUID, String, UUID, String, String, UUID, String?, String, String, String, [String], String, String, String, Bool,
            String?, String?, String?, Bool, Bool, Date).self)
        {
            items.append(FollowUpView(
                id: r.0, followUpNo: r.1, prospectId: r.2, prospectName: r.3, mobile: r.4, consultantId: r.5, consultantName: r.6,
                levelBefore: r.7, level: r.8, method: r.9, contents: r.10, result: r.11, contact: r.12, note: r.13, valid: r.14,
                nextOn: r.15, nextMethod: r.16, nextContent: r.17, comesTomorrow: r.18, hasQuoteImage: r.19, createdAt: r.20))
        }
        return (items, total)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<FollowUpView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let filter = try Filter(request)
        let (items, total) = try await environment.database.withTransaction { connection in
            try await read(filter: filter.apply(to:), principal: principal, page: page, connection: connection)
        }
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let filter = try Filter(request)
        let (items, total, timeZone) = try await environment.database.withTransaction { connection in
            let (items, total) = try await read(filter: filter.apply(to:), principal: principal, page: ExportLimit.page, connection: connection)
            return (items, total, try await environment.storeDay(principal.storeID, on: connection).timeZone)
        }
        try ExportLimit.check(total: total)
        let rows: [[ExportCell]] = items.map { f in
            [ExportCell(f.followUpNo), ExportCell(f.prospectName), ExportCell(f.mobile), ExportCell(f.levelBefore), ExportCell(f.level),
             ExportCell(f.method), ExportCell(f.contents.joined(separator: ",")), ExportCell(f.result), ExportCell(f.valid ? "是" : "否"),
             ExportCell(f.note), ExportCell(f.nextOn), ExportCell(f.nextContent), ExportCell(f.consultantName), ExportCell(f.createdAt, in: timeZone)]
        }
        let table = ExportTable(
            sheetName: "潜客跟进记录",
            headers: ["跟进单号", "客户姓名", "手机号码", "当前级别", "新级别", "跟进方式", "跟进内容", "跟进结果", "有效回访", "回访备注", "下次跟进时间", "下次跟进内容", "跟进人", "跟进时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "prospect-follow-ups")
    }
}
