import Foundation
import Hummingbird
import ServiceKit

/// `/api/v1/marketing/sms/templates` (短信模板, M5; seed §9.5 短信平台): the marketing manager's
/// templates. The text's variables are checked when it is saved: an unknown `{variable}` or an
/// unbalanced brace is a 422 on `content` listing the allowed variables (`SmsVariable`). Every
/// route takes `marketing.sms.manage` and sees only the caller's store.
struct SmsTemplateRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/sms/templates", use: list)
        group.post("marketing/sms/templates", use: create)
        group.get("marketing/sms/templates/:id", use: get)
        group.put("marketing/sms/templates/:id", use: update)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<SmsTemplateView> {
        let principal = try context.require(.manageSms)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let kind = query.oneOf("kind", SmsKind.self)
        try query.throwIfInvalid()
        return try await environment.database.withConnection { connection in
            try await SmsTemplateStore(connection: connection, logger: environment.logger).list(store: principal.storeID, kind: kind, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> SmsTemplateView {
        let principal = try context.require(.manageSms)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withConnection { connection in
            guard let template = try await SmsTemplateStore(connection: connection, logger: environment.logger).template(id, store: principal.storeID) else {
                throw ProblemDetails.notFound("SMS template \(id)")
            }
            return template
        }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<SmsTemplateView> {
        let principal = try context.require(.manageSms)
        let draft = try await request.decodeJSON(as: SmsTemplateDraft.self, context: context).validated()
        let id = UUID()
        let template = try await environment.database.withTransaction { connection in
            let templates = SmsTemplateStore(connection: connection, logger: environment.logger)
            try await templates.create(
                id: id, store: principal.storeID, name: draft.name, kind: draft.kind, content: draft.content, code: draft.code,
                by: principal.userID)
            return try await templates.template(id, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: template)
    }

    /// Replaces the template; sends made before keep the text they were made with.
    @Sendable func update(_ request: Request, context: CRMRequestContext) async throws -> SmsTemplateView {
        let principal = try context.require(.manageSms)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: SmsTemplateDraft.self, context: context).validated()
        return try await environment.database.withTransaction { connection in
            let templates = SmsTemplateStore(connection: connection, logger: environment.logger)
            guard try await templates.template(id, store: principal.storeID) != nil else { throw ProblemDetails.notFound("SMS template \(id)") }
            try await templates.update(id, name: draft.name, kind: draft.kind, content: draft.content, code: draft.code)
            return try await templates.template(id, store: principal.storeID)!
        }
    }
}
