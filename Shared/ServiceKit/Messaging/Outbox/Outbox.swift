import Contracts
import Foundation
import Logging
import PostgresNIO

/// Writes events into the service's `outbox` table inside the caller's transaction.
///
/// The event is published only if the transaction commits, and it is published even if the
/// process dies right after the commit: the relay finds it in the table. A `NOTIFY` on the
/// schema's outbox channel, delivered at commit, wakes the relay at once.
public struct Outbox: Sendable {
    public let schema: SQLIdentifier

    public init(schema: SQLIdentifier) {
        self.schema = schema
    }

    /// The `LISTEN`/`NOTIFY` channel of this schema's outbox.
    public var notificationChannel: String { "\(schema.name)_outbox" }

    /// Adds one event to the outbox, in the transaction `connection` is in.
    public func append<Payload: Codable & Sendable>(_ event: CloudEvent<Payload>, on connection: PostgresConnection, logger: Logger) async throws {
        try await append([event], on: connection, logger: logger)
    }

    /// Adds events to the outbox with one statement, in the transaction `connection` is in.
    public func append<Payload: Codable & Sendable>(_ events: [CloudEvent<Payload>], on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        let encoder = EventCoding.makeEncoder()
        var ids: [String] = []
        var types: [String] = []
        var envelopes: [String] = []
        ids.reserveCapacity(events.count)
        for event in events {
            ids.append(event.id)
            types.append(event.type)
            envelopes.append(String(decoding: try encoder.encode(event), as: UTF8.self))
        }
        var binds = PostgresBindings(capacity: 4)
        binds.append(ids)
        binds.append(types)
        binds.append(envelopes)
        binds.append(notificationChannel)
        try await connection.query(PostgresQuery(unsafeSQL: """
            WITH added AS (
                INSERT INTO \(schema.qualify("outbox")) (event_id, event_type, envelope)
                SELECT id, type, envelope::json FROM unnest($1::text[], $2::text[], $3::text[]) AS event(id, type, envelope)
                RETURNING 1
            )
            SELECT pg_notify($4, '') FROM (SELECT 1 FROM added LIMIT 1) AS any_added
            """, binds: binds), logger: logger)
    }
}
