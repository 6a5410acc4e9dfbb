import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// `/api/v1/public/marketing/news…` (M1, seed §9.1: 在车管家前端展示): what the customer-facing
/// site reads without logging in — the gateway rate-limits the public prefix. Only published
/// articles are there; drafts and withdrawn ones are 404 as if they did not exist.
///
/// Every answer carries an `ETag` from its bytes, and a request whose `If-None-Match` names it
/// is answered `304 Not Modified` without the body (`Response.revalidated`).
struct PublicNewsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("news", use: list)
        group.get("news/:id", use: article)
        group.get("news/:id/cover", use: cover)
    }

    /// The store's published articles (`?store=HX000001`, optionally `&category=`), paged, by
    /// display order and then the latest published first.
    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let storeCode = query.string("store", maxLength: 20), category = query.code("category")
        var check = FieldValidator()
        if storeCode == nil { check.fail("store", "is required: the store's code, e.g. HX000001") }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        let listed = try await environment.database.withTransaction { connection in
            let store = try await PublicStoreLookup.require(storeCode!, on: connection, logger: environment.logger)
            let categories = try await environment.directory.dictionary(
                DataDictionaries.newsCategory, store: store.id, on: connection, logger: environment.logger)
            let categoryCode = check.filterCode("category", category, in: categories)
            try check.throwIfInvalid()
            let articles = try await NewsStore(connection: connection, logger: environment.logger)
                .published(store: store.id, category: categoryCode, page: page)
            return Page(
                items: articles.items.map { article in
                    PublicNewsSummary(
                        id: article.id, category: article.category, categoryLabel: categories.label(article.category) ?? article.category,
                        title: article.title, summary: article.summary,
                        coverPath: article.hasCover ? NewsArticleView.publicCoverPath(article.id) : nil, publishedAt: article.publishedAt!)
                },
                request: page, total: articles.total)
        }
        return try Response.revalidatedJSON(listed, request: request, context: context)
    }

    @Sendable func article(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let article = try await environment.database.withTransaction { connection in
            guard let article = try await NewsStore(connection: connection, logger: environment.logger).published(id) else {
                throw ProblemDetails.notFound("news article \(id)")
            }
            let categories = try await environment.directory.dictionary(
                DataDictionaries.newsCategory, store: article.storeId, on: connection, logger: environment.logger)
            return PublicNewsArticle(
                id: article.id, category: article.category, categoryLabel: categories.label(article.category) ?? article.category,
                title: article.title, summary: article.summary, body: article.body,
                coverPath: article.hasCover ? NewsArticleView.publicCoverPath(article.id) : nil, publishedAt: article.publishedAt!)
        }
        return try Response.revalidatedJSON(article, request: request, context: context)
    }

    /// A published article's cover, with the type it was uploaded as.
    @Sendable func cover(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let cover = try await environment.database.withTransaction { connection in
            let news = NewsStore(connection: connection, logger: environment.logger)
            guard try await news.published(id) != nil else { throw ProblemDetails.notFound("news article \(id)") }
            return try await news.cover(of: id)
        }
        guard let cover else { throw ProblemDetails.notFound("cover of news article \(id)") }
        return Response.revalidated(cover.bytes, contentType: cover.contentType, request: request)
    }
}
