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

    /// The next follow-up's plan. The coded fields are codes of the store's dictionaries.
    struct NextPlan: Codable, Sendable {
        /// `yyyy-MM-dd`; after the store's interval for the new level when left out.
        var on: String?
        /// `followUpMethod` (跟进方式).
        var method: String
        /// `nextFollowUpContent` (下次跟进内容).
        var content: String
        /// 计划次日到店.
        var comesTomorrow: Bool
    }

    /// The follow-up form (P5). Its coded fields are codes of the prospect's store's dictionaries,
    /// checked all at once with the other fields.
    struct FollowUpRequest: Decodable {
        /// `prospectLevel`, H to C.
        var level: String
        /// `followUpMethod` (跟进方式).
        var method: String
        /// `followUpContent` (跟进内容); one named twice counts once.
        var contents: [String]
        /// `followUpResult` (跟进结果).
        var result: String
        /// `followUpContact` (接触次数).
        var contact: String
        var note: String
        /// 有效回访.
        var valid: Bool
        var next: NextPlan
    }

    /// A follow-up's form, checked.
    struct CheckedFollowUp {
        var level: ProspectLevel
        var method: String
        /// Each once, sorted.
        var contents: [String]
        var result: String
        var contact: String
        var note: String
        var nextOn: String?
        var nextMethod: String
        var nextContent: String

        static let dictionarySets = [
            DataDictionaries.prospectLevel, DataDictionaries.followUpMethod, DataDictionaries.followUpContent, DataDictionaries.followUpResult,
            DataDictionaries.followUpContact, DataDictionaries.nextFollowUpContent,
        ]

        /// Every field at once: a 422 names each bad one, a code with the store's allowed values.
        init(_ body: FollowUpRequest, dictionaries: StoreDictionaries, today: String) throws {
            var check = FieldValidator()
            let level = check.prospectLevel("level", body.level, in: dictionaries[DataDictionaries.prospectLevel], required: true)
            let method = check.requiredCode("method", body.method, in: dictionaries[DataDictionaries.followUpMethod])
            let contentSet = dictionaries[DataDictionaries.followUpContent]
            check.require(body.contents.count <= contentSet.entries.count, "contents", "names each content at most once")
            let contents = body.contents.enumerated().compactMap { index, content in
                check.requiredCode("contents[\(index)]", content, in: contentSet)
            }
            let result = check.requiredCode("result", body.result, in: dictionaries[DataDictionaries.followUpResult])
            let contact = check.requiredCode("contact", body.contact, in: dictionaries[DataDictionaries.followUpContact])
            note = check.text("note", body.note, maxLength: 1000)
            if let on = body.next.on {
                if CalendarDate.parse(on) == nil {
                    check.fail("next.on", "must be a date like 2026-11-23")
                } else {
                    check.require(on >= today, "next.on", "must not be before today (\(today))")
                }
            }
            let nextMethod = check.requiredCode("next.method", body.next.method, in: dictionaries[DataDictionaries.followUpMethod])
            let nextContent = check.requiredCode("next.content", body.next.content, in: dictionaries[DataDictionaries.nextFollowUpContent])
            try check.throwIfInvalid()
            self.level = level!
            self.method = method!
            self.contents = Array(Set(contents)).sorted()
            self.result = result!
            self.contact = contact!
            nextOn = body.next.on
            self.nextMethod = nextMethod!
            self.nextContent = nextContent!
        }
    }

    struct FollowUpView: Codable, Sendable, ResponseEncodable {
        var id: UUID
        var followUpNo: String
        var storeId: UUID
        var prospectId: UUID
        var prospectName: String
        var mobile: String
        var consultantId: UUID
        var consultantName: String?
        /// Codes of `prospectLevel`, `followUpMethod`, `followUpContent`, `followUpResult`,
        /// `followUpContact`; `nextMethod` of `followUpMethod`, `nextContent` of `nextFollowUpContent`.
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
        let view = try await environment.database.withTransaction { connection in
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            guard let prospect = try await store.prospect(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("prospect \(id)") }
            let day = try await environment.storeDay(prospect.storeId, on: connection)
            let (now, today) = (day.now, day.today)
            let form = try CheckedFollowUp(body, dictionaries: try await ProspectDictionaries.load(
                CheckedFollowUp.dictionarySets, store: prospect.storeId, directory: environment.directory, on: connection, logger: environment.logger
            ), today: today)
            guard ["active", "ordered"].contains(prospect.state), let consultant = prospect.consultantId else {
                throw ProblemDetails.conflict("only an assigned prospect that is active or ordered is followed up")
            }
            // An ordered prospect stays at O whatever the form says.
            let level = prospect.level == .O ? .O : form.level
            let interval = try await ProspectRules(connection: connection, logger: environment.logger).interval(for: level, store: prospect.storeId)
            let nextOn = form.nextOn ?? ServiceClock.day(today, plus: body.next.comesTomorrow ? 1 : interval)
            let followUpID = UUID()
            let number = try await DocumentNumbers(connection: connection, logger: environment.logger, directory: environment.directory)
                .next(prefix: "GJ", store: prospect.storeId, at: now)
            try await connection.query("""
                INSERT INTO prospects.prospect_follow_up (id, store_id, follow_up_no, prospect_id, consultant_id, level_before, level, method,
                    contents, result, contact, note, valid, next_on, next_method, next_content, comes_tomorrow, created_at)
                VALUES (\(followUpID), \(prospect.storeId), \(number), \(id), \(principal.userID), \(prospect.level.rawValue), \(level.rawValue),
                    \(form.method), \(form.contents), \(form.result), \(form.contact), \(form.note), \(body.valid),
                    \(nextOn)::date, \(form.nextMethod), \(form.nextContent), \(body.next.comesTomorrow), \(now))
                """, logger: environment.logger)
            try await connection.query("""
                UPDATE prospects.prospect SET level = \(level.rawValue), updated_at = now() WHERE id = \(id)
                """, logger: environment.logger)
            try await store.closeOpenTask(id, as: "done")
            try await store.openTask(
                id, store: prospect.storeId, consultant: consultant, dueOn: nextOn,
                planned: form.nextContent, plannedMethod: form.nextMethod)
            // The level may have changed.
            try await store.announceChanges(of: [id], to: environment.outbox)
            let consultantName = try await environment.directory.displayNames(of: [principal.userID], on: connection, logger: environment.logger)[principal.userID]
            try await environment.outbox.append(CloudEvent(
                source: "/crm/prospects", subject: followUpID.uuidString.lowercased(),
                data: ProspectFollowUpRecorded(
                    followUpId: followUpID, followUpNo: number, prospectId: id, storeId: prospect.storeId,
                    customer: Person(name: prospect.name, mobile: prospect.mobile), level: level.rawValue, method: form.method,
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
        /// Codes of the caller's store's `followUpMethod` and `followUpResult`, disabled ones included.
        var method: String?
        var result: String?
        var valid: Bool?
        var mobile: String?
        var note: String?
        var from: Date?
        var to: Date?

        static let dictionarySets = [DataDictionaries.followUpMethod, DataDictionaries.followUpResult]

        init(_ request: Request, dictionaries: StoreDictionaries) throws {
            var query = QueryReader(request)
            prospectID = query.uuid("prospectId")
            consultantID = query.uuid("consultantId")
            valid = query.bool("valid")
            mobile = query.mobile("mobile")
            note = query.string("note", maxLength: 100)
            from = query.date("from")
            to = query.date("to")
            let codes = (method: query.code("method"), result: query.code("result"))
            var check = query.validator
            method = check.filterCode("method", codes.method, in: dictionaries[DataDictionaries.followUpMethod])
            result = check.filterCode("result", codes.result, in: dictionaries[DataDictionaries.followUpResult])
            try check.throwIfInvalid()
        }

        func apply(to sql: inout QueryBuilder) {
            if let prospectID { sql.append(" AND f.prospect_id = ", bind: prospectID) }
            if let consultantID { sql.append(" AND f.consultant_id = ", bind: consultantID) }
            if let method { sql.append(" AND f.method = ", bind: method) }
            if let result { sql.append(" AND f.result = ", bind: result) }
            if let valid { sql.append(" AND f.valid = ", bind: valid) }
            if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
            if let note { sql.append(" AND f.note ILIKE ", bind: SearchText.containing(note)) }
            if let from { sql.append(" AND f.created_at >= ", bind: from) }
            if let to { sql.append(" AND f.created_at < ", bind: to) }
        }
    }

    /// The request's filters, checked against the caller's store's dictionaries.
    private func readFilter(_ request: Request, principal: Principal, connection: PostgresConnection) async throws -> Filter {
        try Filter(request, dictionaries: try await ProspectDictionaries.load(
            Filter.dictionarySets, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
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
            SELECT f.id, f.follow_up_no, f.store_id, f.prospect_id, p.name, p.mobile, f.consultant_id, u.display_name, f.level_before, f.level, f.method,
                   f.contents, f.result, f.contact, f.note, f.valid, to_char(f.next_on, 'YYYY-MM-DD'), f.next_method, f.next_content,
                   f.comes_tomorrow, f.quote_image IS NOT NULL, f.created_at
            """)
        var items: [FollowUpView] = []
        for try await r in try await connection.query(select, logger: environment.logger).decode((
            UUID, String, UUID, UUID, String, String, UUID, String?, String, String, String, [String], String, String, String, Bool,
            String?, String?, String?, Bool, Bool, Date).self)
        {
            items.append(FollowUpView(
                id: r.0, followUpNo: r.1, storeId: r.2, prospectId: r.3, prospectName: r.4, mobile: r.5, consultantId: r.6, consultantName: r.7,
                levelBefore: r.8, level: r.9, method: r.10, contents: r.11, result: r.12, contact: r.13, note: r.14, valid: r.15,
                nextOn: r.16, nextMethod: r.17, nextContent: r.18, comesTomorrow: r.19, hasQuoteImage: r.20, createdAt: r.21))
        }
        return (items, total)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<FollowUpView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        let (items, total) = try await environment.database.withTransaction { connection in
            let filter = try await readFilter(request, principal: principal, connection: connection)
            return try await read(filter: filter.apply(to:), principal: principal, page: page, connection: connection)
        }
        return Page(items: items, request: page, total: total)
    }

    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readProspects)
        let format = try ExportFormat(request: request)
        let (items, total, timeZone) = try await environment.database.withTransaction { connection in
            let filter = try await readFilter(request, principal: principal, connection: connection)
            let (items, total) = try await read(filter: filter.apply(to:), principal: principal, page: ExportLimit.page, connection: connection)
            return (items, total, try await environment.storeDay(principal.storeID, on: connection).timeZone)
        }
        try ExportLimit.check(total: total)
        let labels = try await environment.dictionaries(Self.exportSets, stores: items.map(\.storeId))
        let rows: [[ExportCell]] = items.map { f in
            [ExportCell(f.followUpNo), ExportCell(f.prospectName), ExportCell(f.mobile),
             labels.cell(DataDictionaries.prospectLevel, f.levelBefore, store: f.storeId), labels.cell(DataDictionaries.prospectLevel, f.level, store: f.storeId),
             labels.cell(DataDictionaries.followUpMethod, f.method, store: f.storeId),
             ExportCell(f.contents.compactMap { labels.label(DataDictionaries.followUpContent, $0, store: f.storeId) }.joined(separator: "、")),
             labels.cell(DataDictionaries.followUpResult, f.result, store: f.storeId), ExportCell(f.valid ? "是" : "否"),
             ExportCell(f.note), ExportCell(f.nextOn), labels.cell(DataDictionaries.nextFollowUpContent, f.nextContent, store: f.storeId),
             ExportCell(f.consultantName), ExportCell(f.createdAt, in: timeZone)]
        }
        let table = ExportTable(
            sheetName: "潜客跟进记录",
            headers: ["跟进单号", "客户姓名", "手机号码", "当前级别", "新级别", "跟进方式", "跟进内容", "跟进结果", "有效回访", "回访备注", "下次跟进时间", "下次跟进内容", "跟进人", "跟进时间"],
            rows: rows)
        return try await Response.export(table, as: format, fileName: "prospect-follow-ups")
    }

    /// The dictionaries whose labels the follow-up export prints.
    static let exportSets = [
        DataDictionaries.prospectLevel, DataDictionaries.followUpMethod, DataDictionaries.followUpContent, DataDictionaries.followUpResult,
        DataDictionaries.nextFollowUpContent,
    ]
}
