import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// News articles in `marketing.news_article` and their covers in `marketing.news_cover` (M1):
/// written, published, withdrawn, deleted, read by staff of the store and — the published ones
/// only — by anyone.
struct NewsStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The columns of a `NewsArticleView`.
    private static let columns = """
        a.id, a.store_id, a.category, a.title, a.summary, a.body, a.display_order, a.state,
        EXISTS (SELECT 1 FROM marketing.news_cover c WHERE c.article_id = a.id), a.published_at, a.withdrawn_at,
        a.created_at, a.updated_at
        """

    func create(id: UUID, store: UUID, fields: NewsArticleFields, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.news_article (id, store_id, category, title, summary, body, display_order, created_by, updated_by)
            VALUES (\(id), \(store), \(fields.category), \(fields.title), \(fields.summary), \(fields.body), \(fields.displayOrder),
                    \(user), \(user))
            """, logger: logger)
    }

    func replace(_ id: UUID, fields: NewsArticleFields, by user: UUID) async throws {
        try await connection.query("""
            UPDATE marketing.news_article SET category = \(fields.category), title = \(fields.title), summary = \(fields.summary),
                body = \(fields.body), display_order = \(fields.displayOrder), updated_by = \(user), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Moves the article to `state`, stamping when it was published or withdrawn.
    func setState(_ id: UUID, _ state: PublicationState, at now: Date, by user: UUID) async throws {
        try await connection.query("""
            UPDATE marketing.news_article SET state = \(state.rawValue),
                published_at = CASE WHEN \(state.rawValue) = 'published' THEN \(now) ELSE published_at END,
                withdrawn_at = CASE WHEN \(state.rawValue) = 'withdrawn' THEN \(now) ELSE withdrawn_at END,
                updated_by = \(user), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM marketing.news_article WHERE id = \(id)", logger: logger)
    }

    /// The article if `store` owns it; `forUpdate` locks its row (every change takes the lock,
    /// so a publish and a delete of one draft cannot both succeed).
    func article(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> NewsArticleView? {
        var query = QueryBuilder(" FROM marketing.news_article a WHERE a.id = ")
        query.append("", bind: id)
        query.append(" AND a.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF a") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// The store's articles for staff, filtered by category, state and text in the title;
    /// by display order, then newest first.
    func list(store: UUID, category: String?, state: PublicationState?, text: String?, page: PageRequest) async throws -> Page<NewsArticleView> {
        var query = QueryBuilder(" FROM marketing.news_article a WHERE a.store_id = ")
        query.append("", bind: store)
        if let category { query.append(" AND a.category = ", bind: category) }
        if let state { query.append(" AND a.state = ", bind: state.rawValue) }
        if let text { query.append(" AND a.title ILIKE ", bind: SearchText.containing(text)) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "a.display_order, a.created_at DESC, a.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    /// The store's published articles, by display order, then the latest published first.
    func published(store: UUID, category: String?, page: PageRequest) async throws -> Page<NewsArticleView> {
        var query = QueryBuilder(" FROM marketing.news_article a WHERE a.state = 'published' AND a.store_id = ")
        query.append("", bind: store)
        if let category { query.append(" AND a.category = ", bind: category) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "a.display_order, a.published_at DESC, a.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    /// One published article, whichever store's it is (its id is in the public link).
    func published(_ id: UUID) async throws -> NewsArticleView? {
        var query = QueryBuilder(" FROM marketing.news_article a WHERE a.state = 'published' AND a.id = ")
        query.append("", bind: id)
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    // MARK: cover

    /// Files the cover, replacing the one on file.
    func saveCover(_ file: UploadedFile, of article: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.news_cover (article_id, content_type, content, uploaded_at)
            VALUES (\(article), \(file.type.contentType), \(file.bytes), now())
            ON CONFLICT (article_id) DO UPDATE
            SET content_type = EXCLUDED.content_type, content = EXCLUDED.content, uploaded_at = EXCLUDED.uploaded_at
            """, logger: logger)
        try await connection.query("UPDATE marketing.news_article SET updated_at = now() WHERE id = \(article)", logger: logger)
    }

    func cover(of article: UUID) async throws -> (contentType: String, bytes: ByteBuffer)? {
        try await connection.query("""
            SELECT content_type, content FROM marketing.news_cover WHERE article_id = \(article)
            """, logger: logger).decode((String, ByteBuffer).self).all().first.map { ($0.0, $0.1) }
    }

    private func views(_ query: PostgresQuery) async throws -> [NewsArticleView] {
        var views: [NewsArticleView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            views.append(NewsArticleView(
                id: try cells.next(UUID.self), storeId: try cells.next(UUID.self), category: try cells.next(String.self),
                title: try cells.next(String.self), summary: try cells.next(String?.self), body: try cells.next(String.self),
                displayOrder: try cells.next(Int.self), state: try cells.next(String.self), hasCover: try cells.next(Bool.self),
                publishedAt: try cells.next(Date?.self), withdrawnAt: try cells.next(Date?.self), createdAt: try cells.next(Date.self),
                updatedAt: try cells.next(Date.self)))
        }
        return views
    }
}
