import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Visit templates in the `customer_service` schema.
struct TemplateStore {
    let connection: PostgresConnection
    let logger: Logger

    static let columns = "SELECT id, store_id, name, kind, is_default, questions::text, created_at, updated_at FROM customer_service.visit_template"

    func templates(store: UUID, kind: VisitTemplate.Kind?) async throws -> [VisitTemplate] {
        var query = QueryBuilder(" WHERE store_id = ")
        query.append("", bind: store)
        if let kind { query.append(" AND kind = ", bind: kind.rawValue) }
        query.append(" ORDER BY kind, is_default DESC, name")
        return try await rows(query.build(prefix: Self.columns))
    }

    func template(_ id: UUID, store: UUID) async throws -> VisitTemplate? {
        var query = QueryBuilder(" WHERE id = ")
        query.append("", bind: id)
        query.append(" AND store_id = ", bind: store)
        return try await rows(query.build(prefix: Self.columns)).first
    }

    func defaultTemplate(store: UUID, kind: VisitTemplate.Kind) async throws -> VisitTemplate? {
        var query = QueryBuilder(" WHERE store_id = ")
        query.append("", bind: store)
        query.append(" AND kind = ", bind: kind.rawValue)
        query.append(" AND is_default")
        return try await rows(query.build(prefix: Self.columns)).first
    }

    private func rows(_ query: PostgresQuery) async throws -> [VisitTemplate] {
        var templates: [VisitTemplate] = []
        let decoder = JSONDecoder()
        for try await (id, storeID, name, kind, isDefault, questions, createdAt, updatedAt) in try await connection.query(query, logger: logger)
            .decode((UUID, UUID, String, String, Bool, String, Date, Date).self)
        {
            templates.append(VisitTemplate(
                id: id, storeId: storeID, name: name, kind: VisitTemplate.Kind(rawValue: kind) ?? .customerService, isDefault: isDefault,
                questions: try decoder.decode([Question].self, from: Data(questions.utf8)), createdAt: createdAt, updatedAt: updatedAt))
        }
        return templates
    }

    /// Creates the template; false if the store has one of that name. A new default replaces
    /// the old one of its kind.
    func create(id: UUID, store: UUID, name: String, kind: VisitTemplate.Kind, isDefault: Bool, questions: [Question]) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(questions), as: UTF8.self)
        if isDefault {
            try await connection.query("""
                UPDATE customer_service.visit_template SET is_default = false WHERE store_id = \(store) AND kind = \(kind.rawValue) AND is_default
                """, logger: logger)
        }
        let rows = try await connection.query("""
            INSERT INTO customer_service.visit_template (id, store_id, name, kind, is_default, questions)
            VALUES (\(id), \(store), \(name), \(kind.rawValue), \(isDefault), \(json)::jsonb)
            ON CONFLICT (store_id, name) DO NOTHING RETURNING id
            """, logger: logger)
        return try await rows.all().count == 1
    }

    func replace(_ id: UUID, name: String, isDefault: Bool, kind: VisitTemplate.Kind, store: UUID, questions: [Question]) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(questions), as: UTF8.self)
        if isDefault {
            try await connection.query("""
                UPDATE customer_service.visit_template SET is_default = false
                WHERE store_id = \(store) AND kind = \(kind.rawValue) AND is_default AND id <> \(id)
                """, logger: logger)
        }
        let rows = try await connection.query("""
            UPDATE customer_service.visit_template SET name = \(name), kind = \(kind.rawValue), is_default = \(isDefault),
                questions = \(json)::jsonb, updated_at = now()
            WHERE id = \(id) AND NOT EXISTS (
                SELECT 1 FROM customer_service.visit_template o WHERE o.store_id = \(store) AND o.name = \(name) AND o.id <> \(id))
            RETURNING id
            """, logger: logger)
        return try await rows.all().count == 1
    }

    func isUsed(_ id: UUID) async throws -> Bool {
        try await connection.query("SELECT 1 FROM customer_service.visit WHERE template_id = \(id) LIMIT 1", logger: logger).all().count > 0
    }

    /// Seeds the default after-sales and sales templates of a store that has none of a kind.
    func seedDefaults(store: UUID) async throws {
        for (kind, template) in [(VisitTemplate.Kind.afterSales, DefaultTemplates.afterSales()), (.sales, DefaultTemplates.sales())] {
            guard try await defaultTemplate(store: store, kind: kind) == nil else { continue }
            _ = try await create(id: UUID(), store: store, name: template.name, kind: kind, isDefault: true, questions: template.questions)
        }
    }
}
