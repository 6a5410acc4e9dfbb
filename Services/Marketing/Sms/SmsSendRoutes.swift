import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/sms/sends` (短信群发, M5; seed §9.5 短信平台): a template to an audience,
/// now or at a time — one message per recipient (a mobile once per send), which the dispatcher
/// (`SmsDispatcher`) sends when due under the platform's rules.
///
/// - `POST …/sends` — JSON (`SmsSendDraft`): a pasted `list`, a `customers` filter over the
///   prospects Marketing knows, an `event`'s registrants, or a solicitation `campaign`'s targets
///   (the owners of its cars, with their plates; `CampaignAudience`). 201 with the send and its counts.
/// - `POST …/sends/import?templateId=…[&sendAt=…][&eventId=…][&dryRun=true]` — a CSV or .xlsx
///   list (columns 手机号码, 客户姓名, 车牌号码; `GET …/sends/import-template`): a report per row,
///   and the send unless it is a dry run.
/// - `GET …/sends`, `GET …/sends/{id}` — the store's sends with their counts by state.
///
/// A recipient whose message would lack a variable's value (a `{plate}` template to a customer
/// without a plate) is logged `skipped` with the reason. A template using `{event}` needs
/// `eventId`. `sendAt` may not be more than 5 minutes in the past. Every route takes
/// `marketing.sms.manage`; 404 for another store's template, event or send.
struct SmsSendRoutes: Sendable {
    let environment: ServiceEnvironment
    /// Where an audience `campaign` is read from (AfterSales).
    let campaigns: CampaignAudience

    static let maximumRecipients = 100_000
    static let maximumListed = 10_000
    static let maximumFileSize = 16 << 20

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/sms/sends", use: list)
        group.post("marketing/sms/sends", use: create)
        group.get("marketing/sms/sends/import-template", use: template)
        group.post("marketing/sms/sends/import", use: importList)
        group.get("marketing/sms/sends/:id", use: get)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<SmsSendView> {
        let principal = try context.require(.manageSms)
        let page = try PageRequest(request: request)
        return try await environment.database.withConnection { connection in
            try await SmsSendStore(connection: connection, logger: environment.logger).listSends(store: principal.storeID, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> SmsSendView {
        let principal = try context.require(.manageSms)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withConnection { connection in
            guard let send = try await SmsSendStore(connection: connection, logger: environment.logger).send(id, store: principal.storeID) else {
                throw ProblemDetails.notFound("SMS send \(id)")
            }
            return send
        }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<SmsSendView> {
        let principal = try context.require(.manageSms)
        let draft = try await request.decodeJSON(as: SmsSendDraft.self, context: context)
        var check = FieldValidator()
        let audience = SmsAudienceKind(rawValue: draft.audience)
        var listed: [SmsRecipient] = []
        switch audience {
        case .list:
            let recipients = draft.recipients ?? []
            if recipients.isEmpty { check.fail("recipients", "must list at least one mobile for the audience list") }
            if recipients.count > Self.maximumListed { check.fail("recipients", "may list at most \(Self.maximumListed) mobiles; import a file for more") }
            for (index, recipient) in recipients.prefix(Self.maximumListed).enumerated() {
                let mobile = check.mobile("recipients[\(index)].mobile", recipient.mobile)
                let name = check.optionalText("recipients[\(index)].name", recipient.name, maxLength: 30)
                let plate = check.optionalText("recipients[\(index)].plate", recipient.plate, maxLength: 12)
                listed.append(SmsRecipient(mobile: mobile, name: name, plate: plate))
            }
        case .customers:
            if draft.customers == nil { check.fail("customers", "is required for the audience customers (a filter; {} for all)") }
        case .event:
            if draft.eventId == nil { check.fail("eventId", "is required for the audience event") }
        case .campaign:
            if draft.campaignId == nil { check.fail("campaignId", "is required for the audience campaign: the solicitation campaign (售后招揽) whose targets get the message") }
        case .file, nil:
            check.fail(
                "audience",
                "must be list (手工名单), customers (客户筛选), event (活动报名人) or campaign (招揽活动客户); a file goes to /api/v1/marketing/sms/sends/import")
        }
        if audience != .campaign, draft.campaignId != nil { check.fail("campaignId", "is only for the audience campaign") }
        let filter = draft.customers
        if let q = filter?.q { check.optionalText("customers.q", q, maxLength: 30) }
        try check.throwIfInvalid()
        // Read before the transaction: AfterSales' answer may take a while for a large campaign.
        if audience == .campaign, let campaign = draft.campaignId {
            guard let answer = try await campaigns.targets(of: campaign, store: principal.storeID) else {
                throw ProblemDetails.validation([.init(field: "campaignId", message: "is not a solicitation campaign of this store")])
            }
            listed = answer.targets.map { SmsRecipient(mobile: $0.mobile, name: $0.name, plate: $0.plate) }
        }
        let send = try await environment.database.withTransaction { connection in
            let sends = SmsSendStore(connection: connection, logger: environment.logger)
            var recipients = listed
            if audience == .customers {
                let filters = try await customerFilters(filter ?? SmsCustomerFilter(), store: principal.storeID, connection: connection)
                recipients = try await sends.customers(store: principal.storeID, filters: filters)
            }
            let plan = try await SmsSendPlan.prepare(
                templateId: draft.templateId, eventId: draft.eventId, sendAt: draft.sendAt, store: principal.storeID,
                environment: environment, connection: connection)
            if audience == .event, let event = draft.eventId {
                recipients = try await sends.registrants(event: event, store: principal.storeID, checkedIn: draft.checkedIn)
            }
            guard !recipients.isEmpty else {
                throw ProblemDetails.validation([.init(field: "audience", message: "has no recipient: nobody matches")])
            }
            guard recipients.count <= Self.maximumRecipients else {
                throw ProblemDetails.validation([.init(field: "audience", message: "has more than \(Self.maximumRecipients) recipients; narrow it")])
            }
            return try await plan.write(recipients, audience: audience!, campaign: draft.campaignId, by: principal.userID, sends: sends)
        }
        return EditedResponse(status: .created, response: send)
    }

    /// The customer list's filters (`CustomerFilters`) from a send's `customers`: its level,
    /// source and state checked against the store's dictionaries — an unknown code is a 422
    /// naming `customers.level` (etc.) with every code and its label, never a send that silently
    /// matches nobody.
    private func customerFilters(_ filter: SmsCustomerFilter, store: UUID, connection: PostgresConnection) async throws -> CustomerFilters {
        let words = try await environment.directory.dictionaries(
            CustomerFilters.dictionarySets, store: store, on: connection, logger: environment.logger)
        var check = FieldValidator()
        let filters = CustomerFilters(
            level: filter.level, source: filter.source, state: filter.state, series: filter.series, consultantId: filter.consultantId,
            text: filter.q, words: words, fieldPrefix: "customers.", check: &check)
        try check.throwIfInvalid()
        return filters
    }

    @Sendable func importList(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<SmsImportReport> {
        let principal = try context.require(.manageSms)
        var query = QueryReader(request)
        let templateId = query.requiredUUID("templateId"), eventId = query.uuid("eventId"), sendAt = query.date("sendAt")
        let dryRun = query.bool("dryRun") ?? false
        try query.throwIfInvalid()
        let data = try await ImportFile.body(of: request, maximumSize: Self.maximumFileSize)
        let rows = try ImportFile.rows(of: data, as: SmsListColumn.self)
        guard rows.count <= Self.maximumRecipients else {
            throw ProblemDetails.validation([.init(field: "file", message: "has more than \(Self.maximumRecipients) rows; split it")])
        }
        var results: [SmsImportReport.RowResult] = []
        var recipients: [SmsRecipient] = []
        var seen: Set<String> = []
        for row in rows {
            var check = FieldValidator()
            let mobile = check.mobile(SmsListColumn.mobile.header, row.cell(.mobile) ?? "")
            let name = check.optionalText(SmsListColumn.name.header, row.cell(.name), maxLength: 30)
            let plate = check.optionalText(SmsListColumn.plate.header, row.cell(.plate), maxLength: 12)
            var result = SmsImportReport.RowResult(row: row.row, outcome: "rejected")
            if check.errors.isEmpty {
                result.mobile = mobile
                if seen.insert(mobile).inserted {
                    result.outcome = "listed"
                    recipients.append(SmsRecipient(mobile: mobile, name: name, plate: plate))
                } else {
                    result.outcome = "duplicate"
                }
            } else {
                result.errors = check.errors
            }
            results.append(result)
        }
        var report = SmsImportReport(
            dryRun: dryRun, rows: rows.count, listed: recipients.count, duplicates: results.count { $0.outcome == "duplicate" },
            rejected: results.count { $0.outcome == "rejected" }, results: results, send: nil)
        report.send = try await environment.database.withTransaction { connection -> SmsSendView? in
            let plan = try await SmsSendPlan.prepare(
                templateId: templateId!, eventId: eventId, sendAt: sendAt, store: principal.storeID, environment: environment, connection: connection)
            guard !dryRun, !recipients.isEmpty else { return nil }
            return try await plan.write(
                recipients, audience: .file, by: principal.userID, sends: SmsSendStore(connection: connection, logger: environment.logger))
        }
        return EditedResponse(status: report.send == nil ? .ok : .created, response: report)
    }

    @Sendable func template(_ request: Request, context: CRMRequestContext) async throws -> Response {
        _ = try context.require(.manageSms)
        let format = try ExportFormat(request: request)
        let table = ExportTable(
            sheetName: "短信名单模板", headers: SmsListColumn.allCases.map(\.header),
            rows: [[ExportCell("13871150099"), ExportCell("王磊"), ExportCell("鄂A12345")]])
        return try await Response.export(table, as: format, fileName: "sms-list-template")
    }
}

/// A send about to be written: its template read and checked against the request, the values
/// every message shares ({store}, {event}) and when it goes.
struct SmsSendPlan {
    let environment: ServiceEnvironment
    let store: UUID
    let template: SmsTemplateView
    let kind: SmsKind
    let text: SmsTemplateText
    let shared: [SmsVariable: String]
    let eventId: UUID?
    let sendAt: Date

    /// 404 for another store's template or event; 422 naming `eventId` (a template with
    /// `{event}` and none given) or `sendAt` (in the past).
    static func prepare(
        templateId: UUID, eventId: UUID?, sendAt: Date?, store: UUID, environment: ServiceEnvironment, connection: PostgresConnection
    ) async throws -> SmsSendPlan {
        let logger = environment.logger
        guard let template = try await SmsTemplateStore(connection: connection, logger: logger).template(templateId, store: store) else {
            throw ProblemDetails.notFound("SMS template \(templateId)")
        }
        let text = try SmsTemplateText.parse(template.content).get()
        var shared: [SmsVariable: String] = [:]
        var check = FieldValidator()
        if let eventId {
            guard let name = try await SmsSendStore(connection: connection, logger: logger).eventName(eventId, store: store) else {
                throw ProblemDetails.notFound("event \(eventId)")
            }
            shared[.event] = name
        } else if text.variables.contains(.event) {
            check.fail("eventId", "is required: the template uses {event} (活动名称)")
        }
        shared[.store] = try await environment.directory.store(store, on: connection, logger: logger)?.name
        let now = environment.configuration.clock.now()
        if let sendAt, sendAt < now.addingTimeInterval(-300) { check.fail("sendAt", "must not be in the past") }
        try check.throwIfInvalid()
        return SmsSendPlan(
            environment: environment, store: store, template: template, kind: SmsKind(rawValue: template.kind) ?? .marketing, text: text,
            shared: shared, eventId: eventId, sendAt: max(sendAt ?? now, now))
    }

    /// Writes the send and one message per distinct mobile; returns the send.
    func write(
        _ recipients: [SmsRecipient], audience: SmsAudienceKind, campaign: UUID? = nil, by user: UUID, sends: SmsSendStore
    ) async throws -> SmsSendView {
        let id = UUID()
        try await sends.createSend(
            id: id, store: store, template: template, kind: kind, audience: audience, event: eventId, campaign: campaign, sendAt: sendAt,
            by: user)
        var seen: Set<String> = []
        var messages: [SmsMessageDraft] = []
        for recipient in recipients where seen.insert(recipient.mobile).inserted {
            var values = shared
            values[.name] = recipient.name
            values[.plate] = recipient.plate
            let missing = text.missing(values)
            var content = text.render(values)
            if kind == .marketing, !content.contains(SmsTemplateText.optOutNotice) { content += " \(SmsTemplateText.optOutNotice)" }
            var params: [String: String] = [:]
            for variable in text.variables { params[variable.rawValue] = values[variable] ?? "" }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: params, options: [.sortedKeys]), as: UTF8.self)
            messages.append(SmsMessageDraft(
                id: UUID(), mobile: recipient.mobile, name: recipient.name, content: content, params: json,
                state: missing.isEmpty ? .queued : .skipped, reason: missing.isEmpty ? nil : SmsReason.missing(missing)))
        }
        try await sends.addMessages(messages, send: id, store: store, kind: kind, templateCode: template.providerTemplateCode, notBefore: sendAt)
        return try await sends.send(id, store: store)!
    }
}
