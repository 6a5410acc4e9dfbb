import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// SMS templates in `marketing.sms_template` (M5).
struct SmsTemplateStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = "t.id, t.name, t.kind, t.content, t.provider_template_code, t.created_by, t.created_at, t.updated_at"

    func create(id: UUID, store: UUID, name: String, kind: SmsKind, content: String, code: String?, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO marketing.sms_template (id, store_id, name, kind, content, provider_template_code, created_by)
            VALUES (\(id), \(store), \(name), \(kind.rawValue), \(content), \(code), \(user))
            """, logger: logger)
    }

    /// Replaces the template's name, kind, text and code.
    func update(_ id: UUID, name: String, kind: SmsKind, content: String, code: String?) async throws {
        try await connection.query("""
            UPDATE marketing.sms_template SET name = \(name), kind = \(kind.rawValue), content = \(content),
                provider_template_code = \(code), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// The template if `store` owns it.
    func template(_ id: UUID, store: UUID) async throws -> SmsTemplateView? {
        var query = QueryBuilder(" FROM marketing.sms_template t WHERE t.id = ")
        query.append("", bind: id)
        query.append(" AND t.store_id = ", bind: store)
        return try await views(query.build(prefix: "SELECT \(Self.columns)")).first
    }

    /// The store's templates, newest first; `kind` filters.
    func list(store: UUID, kind: SmsKind?, page: PageRequest) async throws -> Page<SmsTemplateView> {
        var query = QueryBuilder(" FROM marketing.sms_template t WHERE t.store_id = ")
        query.append("", bind: store)
        if let kind { query.append(" AND t.kind = ", bind: kind.rawValue) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "t.created_at DESC, t.id", page).build(prefix: "SELECT \(Self.columns)"))
        return Page(items: items, request: page, total: total)
    }

    private func views(_ query: PostgresQuery) async throws -> [SmsTemplateView] {
        var views: [SmsTemplateView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, name, kind, content, code, createdBy, createdAt, updatedAt)
            in rows.decode((UUID, String, String, String, String?, UUID, Date, Date).self) {
            let variables = (try? SmsTemplateText.parse(content).get())?.variables.map(\.rawValue) ?? []
            views.append(SmsTemplateView(
                id: id, name: name, kind: kind, content: content, variables: variables, providerTemplateCode: code,
                createdBy: createdBy, createdAt: createdAt, updatedAt: updatedAt))
        }
        return views
    }
}
