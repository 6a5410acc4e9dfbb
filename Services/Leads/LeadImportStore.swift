import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Writes an import's rows (or an ADF document's prospects, `LeadBatch`) in sets of a few thousand: one INSERT for the new leads, one for
/// the duplicate-list entries, two for the existing leads' follow-ups — all in the import's one
/// transaction, so an import is whole or not at all.
struct LeadImportStore {
    let connection: PostgresConnection
    let logger: Logger

    static let chunk = 5000

    /// Inserts the leads whose mobile the store does not have; returns the ids of those
    /// inserted and of those that existed, by mobile.
    func insert(_ drafts: [LeadDraft], store: UUID, by user: UUID) async throws -> (created: [String: UUID], existing: [String: UUID]) {
        var created: [String: UUID] = [:]
        var existing: [String: UUID] = [:]
        var ids = TimeOrderedUUIDs()
        for start in stride(from: 0, to: drafts.count, by: Self.chunk) {
            let part = Array(drafts[start..<min(drafts.count, start + Self.chunk)])
            var binds = PostgresBindings(capacity: 15)
            binds.append(part.map { _ in ids.next() })
            binds.append(part.map(\.name))
            binds.append(part.map(\.mobile))
            binds.append(part.map(\.source))
            // Text arrays carry no NULL here: '' means "none" and NULLIF turns it back.
            binds.append(part.map { $0.province ?? "" })
            binds.append(part.map { $0.city ?? "" })
            binds.append(part.map { $0.brand ?? "" })
            binds.append(part.map { $0.series ?? "" })
            binds.append(part.map { $0.model ?? "" })
            binds.append(part.map(\.level.rawValue))
            binds.append(part.map { $0.note ?? "" })
            binds.append(store)
            binds.append(user)
            binds.append(part.map { $0.gender ?? "" })
            binds.append(part.map { $0.landline ?? "" })
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO leads.lead (id, store_id, name, mobile, landline, gender, source, province, city, brand, series, model, level, state, note,
                                        created_by)
                SELECT id, $12, name, mobile, NULLIF(landline, ''), NULLIF(gender, ''), source, NULLIF(province, ''), NULLIF(city, ''),
                       NULLIF(brand, ''), NULLIF(series, ''), NULLIF(model, ''), level, 'new', NULLIF(note, ''), $13
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::text[], $14::text[], $15::text[])
                     AS row(id, name, mobile, source, province, city, brand, series, model, level, note, gender, landline)
                ON CONFLICT (store_id, mobile) DO NOTHING
                RETURNING mobile, id
                """, binds: binds), logger: logger)
            for try await (mobile, id) in rows.decode((String, UUID).self) { created[mobile] = id }
            let missing = part.map(\.mobile).filter { created[$0] == nil }
            if !missing.isEmpty {
                for try await (mobile, id) in try await connection.query("""
                    SELECT mobile, id FROM leads.lead WHERE store_id = \(store) AND mobile = ANY(\(missing)) FOR UPDATE
                    """, logger: logger).decode((String, UUID).self)
                {
                    existing[mobile] = id
                }
            }
        }
        return (created, existing)
    }

    struct Duplicate {
        var leadID: UUID
        var draft: LeadDraft
        var reason: String
    }

    /// Lists the duplicates, and brings each existing lead's follow-up forward to today.
    func recordDuplicates(_ duplicates: [Duplicate], store: UUID, by user: UUID, today: String) async throws {
        for start in stride(from: 0, to: duplicates.count, by: Self.chunk) {
            let part = Array(duplicates[start..<min(duplicates.count, start + Self.chunk)])
            var binds = PostgresBindings(capacity: 9)
            binds.append(part.map { _ in UUID.random() })
            binds.append(part.map(\.leadID))
            binds.append(part.map(\.draft.name))
            binds.append(part.map(\.draft.mobile))
            binds.append(part.map(\.draft.source))
            binds.append(part.map(\.reason))
            binds.append(part.map { $0.draft.note ?? "" })
            binds.append(store)
            binds.append(user)
            try await connection.query(PostgresQuery(unsafeSQL: """
                INSERT INTO leads.duplicate_lead (id, store_id, lead_id, name, mobile, source, reason, note, created_by)
                SELECT id, $8, lead_id, name, mobile, source, reason, NULLIF(note, ''), $9
                FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                     AS row(id, lead_id, name, mobile, source, reason, note)
                """, binds: binds), logger: logger)
        }
        // 重复录入会激活当天回访 — for leads that were there before this import.
        let existing = Array(Set(duplicates.filter { $0.reason == "exists" }.map(\.leadID)))
        guard !existing.isEmpty else { return }
        try await connection.query("""
            UPDATE leads.lead_task SET due_on = LEAST(due_on, \(today)::date) WHERE lead_id = ANY(\(existing)) AND state = 'open'
            """, logger: logger)
        try await connection.query("""
            INSERT INTO leads.lead_task (id, store_id, lead_id, consultant_id, due_on, state)
            SELECT gen_random_uuid(), l.store_id, l.id, l.consultant_id, \(today)::date, 'open' FROM leads.lead l
            WHERE l.id = ANY(\(existing)) AND l.state <> 'defeated'
              AND NOT EXISTS (SELECT 1 FROM leads.lead_task t WHERE t.lead_id = l.id AND t.state = 'open')
            """, logger: logger)
    }
}
