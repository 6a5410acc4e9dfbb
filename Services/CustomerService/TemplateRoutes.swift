import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `/api/v1/customer-service/visit-templates` (CS1): a store's templates; create, replace
/// (while unused), copy.
struct TemplateRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("customer-service/visit-templates", use: list)
        group.post("customer-service/visit-templates", use: create)
        group.get("customer-service/visit-templates/:id", use: get)
        group.put("customer-service/visit-templates/:id", use: replace)
        group.post("customer-service/visit-templates/:id/copy", use: copy)
    }

    struct CopyRequest: Decodable {
        var name: String
    }

    private func templates<Result: Sendable>(_ body: (TemplateStore) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(TemplateStore(connection: connection, logger: environment.logger))
        }
    }

    /// The store's dictionary `visitKind` and its templates.
    private func templates<Result: Sendable>(
        of store: UUID, _ body: (StoreDictionary, TemplateStore) async throws -> Result
    ) async throws -> Result {
        try await environment.database.withTransaction { connection in
            let kinds = try await environment.directory.dictionary(DataDictionaries.visitKind, store: store, on: connection, logger: environment.logger)
            return try await body(kinds, TemplateStore(connection: connection, logger: environment.logger))
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<VisitTemplate> {
        let principal = try context.require(.readVisitTemplates)
        var query = QueryReader(request)
        let kindCode = query.code("kind")
        let queryCheck = query.validator
        let items = try await templates(of: principal.storeID) { kinds, store in
            var check = queryCheck
            let kind = check.filterCode("kind", kindCode, in: kinds).flatMap(VisitTemplate.Kind.init(rawValue:))
            try check.throwIfInvalid()
            return try await store.templates(store: principal.storeID, kind: kind)
        }
        return Page.all(items)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> VisitTemplate {
        let principal = try context.require(.readVisitTemplates)
        let id = try context.parameters.uuid("id")
        guard let template = try await templates({ try await $0.template(id, store: principal.storeID) }) else {
            throw ProblemDetails.notFound("visit template \(id)")
        }
        return template
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<VisitTemplate> {
        let principal = try context.require(.manageVisitTemplates)
        let draft = try await request.decodeJSON(as: TemplateDraft.self, context: context)
        let id = UUID()
        let template = try await templates(of: principal.storeID) { kinds, store in
            let (name, kind, questions) = try draft.validated(kinds: kinds)
            guard try await store.create(id: id, store: principal.storeID, name: name, kind: kind, isDefault: draft.isDefault ?? false, questions: questions) else {
                throw ProblemDetails.conflict("the store has a template named \(name) already")
            }
            return try await store.template(id, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: template)
    }

    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> VisitTemplate {
        let principal = try context.require(.manageVisitTemplates)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: TemplateDraft.self, context: context)
        return try await templates(of: principal.storeID) { kinds, store in
            let (name, kind, questions) = try draft.validated(kinds: kinds)
            guard try await store.template(id, store: principal.storeID) != nil else { throw ProblemDetails.notFound("visit template \(id)") }
            guard try await !store.isUsed(id) else {
                throw ProblemDetails.conflict("visits have answered this template; copy it and change the copy")
            }
            guard try await store.replace(id, name: name, isDefault: draft.isDefault ?? false, kind: kind, store: principal.storeID, questions: questions) else {
                throw ProblemDetails.conflict("the store has a template named \(name) already")
            }
            return try await store.template(id, store: principal.storeID)!
        }
    }

    @Sendable func copy(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<VisitTemplate> {
        let principal = try context.require(.manageVisitTemplates)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: CopyRequest.self, context: context)
        var check = FieldValidator()
        let name = check.text("name", body.name, maxLength: 100)
        try check.throwIfInvalid()
        let copyID = UUID()
        let template = try await templates { store in
            guard let original = try await store.template(id, store: principal.storeID) else { throw ProblemDetails.notFound("visit template \(id)") }
            // The copy's questions and options get ids of their own: its answers are its own.
            let questions = original.questions.map { question in
                var question = question
                question.id = UUID()
                question.options = question.options.map { Option(id: UUID(), text: $0.text, negative: $0.negative) }
                return question
            }
            guard try await store.create(id: copyID, store: principal.storeID, name: name, kind: original.kind, isDefault: false, questions: questions) else {
                throw ProblemDetails.conflict("the store has a template named \(name) already")
            }
            return try await store.template(copyID, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: template)
    }
}
