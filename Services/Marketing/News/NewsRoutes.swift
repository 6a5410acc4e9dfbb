import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/news` (新闻资讯, M1; seed §9.1): the marketing manager writes articles for
/// the customer-facing site, publishes them, withdraws them, and deletes drafts. A body is
/// sanitised when it is saved, so what is stored is what the site may show. Reading takes
/// `marketing.read`, writing `marketing.content.manage`; both see only the caller's store.
struct NewsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/news", use: list)
        group.post("marketing/news", use: create)
        group.get("marketing/news/:id", use: get)
        group.put("marketing/news/:id", use: replace)
        group.delete("marketing/news/:id", use: delete)
        group.post("marketing/news/:id/publish", use: publish)
        group.post("marketing/news/:id/withdraw", use: withdraw)
    }

    private func news<Result: Sendable>(_ body: (NewsStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(NewsStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<NewsArticleView> {
        let principal = try context.require(.readMarketing)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let category = query.code("category"), state = query.code("state")
        let text = query.string("q", maxLength: 60)
        return try await news { store, connection in
            var check = FieldValidator()
            let words = try await environment.directory.dictionaries(
                [DataDictionaries.newsCategory, DataDictionaries.publicationState], store: principal.storeID, on: connection,
                logger: environment.logger)
            let categoryCode = check.filterCode("category", category, in: words[DataDictionaries.newsCategory])
            let stateCode = check.filterCode("state", state, in: words[DataDictionaries.publicationState])
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await store.list(
                store: principal.storeID, category: categoryCode, state: stateCode.flatMap(PublicationState.init(rawValue:)), text: text,
                page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        let principal = try context.require(.readMarketing)
        let id = try context.parameters.uuid("id")
        return try await news { store, _ in try await Self.require(id, store: principal.storeID, in: store) }
    }

    /// A new draft (草稿) of the caller's store.
    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<NewsArticleView> {
        let principal = try context.require(.manageMarketingContent)
        let draft = try await request.decodeJSON(as: NewsArticleDraft.self, context: context)
        let id = UUID()
        let article = try await news { store, connection in
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            try await store.create(id: id, store: principal.storeID, fields: fields, by: principal.userID)
            return try await store.article(id, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: article)
    }

    /// Replaces the article with the body, in any state: a published article shows the edit at once.
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: NewsArticleDraft.self, context: context)
        return try await news { store, connection in
            _ = try await Self.require(id, store: principal.storeID, in: store, forUpdate: true)
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            try await store.replace(id, fields: fields, by: principal.userID)
            return try await store.article(id, store: principal.storeID)!
        }
    }

    /// Shows a draft or withdrawn article on the site; 409 for one that is published already.
    @Sendable func publish(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        try await move(request, context: context, to: .published, allowed: \.canPublish, only: "a draft (草稿) or a withdrawn article (已撤回)", action: "published")
    }

    /// Takes a published article off the site; 409 for any other.
    @Sendable func withdraw(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        try await move(request, context: context, to: .withdrawn, allowed: \.canWithdraw, only: "a published article (已发布)", action: "withdrawn")
    }

    /// Deletes a draft, which no customer ever saw; the answer is the article as it was.
    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        return try await news { store, connection in
            let article = try await Self.require(id, store: principal.storeID, in: store, forUpdate: true)
            try await refuseUnless(article, \.canDelete, only: "a draft (草稿)", action: "deleted", on: connection)
            try await store.delete(id)
            return article
        }
    }

    private func move(
        _ request: Request, context: CRMRequestContext, to state: PublicationState, allowed: KeyPath<PublicationState, Bool>,
        only: String, action: String
    ) async throws -> NewsArticleView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        let now = environment.configuration.clock.now()
        return try await news { store, connection in
            let article = try await Self.require(id, store: principal.storeID, in: store, forUpdate: true)
            try await refuseUnless(article, allowed, only: only, action: action, on: connection)
            try await store.setState(id, state, at: now, by: principal.userID)
            return try await store.article(id, store: principal.storeID)!
        }
    }

    /// 409 naming the article's state in the store's words unless the state allows the action.
    private func refuseUnless(
        _ article: NewsArticleView, _ allowed: KeyPath<PublicationState, Bool>, only: String, action: String, on connection: PostgresConnection
    ) async throws {
        guard PublicationState(rawValue: article.state)?[keyPath: allowed] != true else { return }
        let words = try await environment.directory.dictionary(
            DataDictionaries.publicationState, store: article.storeId, on: connection, logger: environment.logger)
        throw PublicationState.refusal("article “\(article.title)”", is: article.state, words: words, only: only, can: action)
    }

    private func checked(_ draft: NewsArticleDraft, store: UUID, on connection: PostgresConnection) async throws -> NewsArticleFields {
        let categories = try await environment.directory.dictionary(
            DataDictionaries.newsCategory, store: store, on: connection, logger: environment.logger)
        return try NewsArticleFields(checking: draft, categories: categories)
    }

    /// The article of the caller's store, or 404 (another store's articles are not there for it).
    static func require(_ id: UUID, store: UUID, in news: NewsStore, forUpdate: Bool = false) async throws -> NewsArticleView {
        guard let article = try await news.article(id, store: store, forUpdate: forUpdate) else {
            throw ProblemDetails.notFound("news article \(id)")
        }
        return article
    }
}
