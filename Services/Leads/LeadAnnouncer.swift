import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Announces leads as they are now (`leads.lead.changed.v1`, L9), in the transaction that
/// changed them: Prospects keeps a copy so that a showroom visitor who was an online lead
/// brings the lead's data along. `changedAt` is the database's clock at the announcement, so a
/// later change always carries a later time.
struct LeadAnnouncer {
    let connection: PostgresConnection
    let logger: Logger
    let outbox: Outbox

    /// How many leads one statement reads and one outbox insert writes.
    static let chunk = 5000

    func announce(_ leads: [UUID]) async throws {
        for start in stride(from: 0, to: leads.count, by: Self.chunk) {
            let part = Array(leads[start..<min(leads.count, start + Self.chunk)])
            var events: [CloudEvent<LeadChanged>] = []
            events.reserveCapacity(part.count)
            for try await r in try await connection.query("""
                SELECT id, store_id, name, mobile, gender, source, province, city, brand, series, model, level, state, consultant_id, note, clock_timestamp()
                FROM leads.lead WHERE id = ANY(\(part))
                """, logger: logger).decode((
                    UUID, UUID, String, String, String?, String, String?, String?, String?, String?, String?, String, String, UUID?, String?, Date).self)
            {
                let lead = LeadChanged(
                    leadId: r.0, storeId: r.1, name: r.2, mobile: r.3, gender: r.4, source: Self.contractSource(r.5), province: r.6, city: r.7, brand: r.8,
                    series: r.9, model: r.10, level: r.11, state: r.12, consultantId: r.13, note: r.14, changedAt: r.15)
                events.append(CloudEvent(
                    source: "/crm/leads", subject: r.0.uuidString.lowercased(), data: lead, storeid: r.1.uuidString.lowercased()))
            }
            try await outbox.append(events, on: connection, logger: logger)
        }
    }

    /// The event's `source`: the contract (asyncapi.yaml's `LeadSource`) lists the built-in
    /// sources only, so a source a store added to its open `leadSource` (G5) is announced as
    /// `other` until the contract takes the store's codes.
    static func contractSource(_ code: String) -> String {
        DataDictionaries.leadSource.label(of: code) == nil ? "other" : code
    }

    /// Puts the leads in the backlog, in the caller's transaction, for `AnnouncementBacklog` to
    /// announce once it has committed: for imports, whose thousands of leads would otherwise
    /// hold the import up by seconds.
    func announceLater(_ leads: [UUID]) async throws {
        guard !leads.isEmpty else { return }
        try await connection.query("""
            INSERT INTO leads.announcement_backlog (id, lead_ids) VALUES (\(UUID()), \(leads))
            """, logger: logger)
    }
}
