import Contracts
import Foundation
import Logging
import PostgresNIO

/// Writes events into the service's `outbox` table inside the caller's transaction.
///
/// The event is published only if the transaction commits, and it is published even if the
/// process dies right after the commit: the relay finds it in the table. The relay is woken at
/// once: in a transaction of `Database.withTransaction` in a process whose relay runs, after the
/// commit, in memory (`LocalRelayWakeUps`); otherwise by a `NOTIFY` on the schema's outbox
/// channel, delivered at commit. The in-memory wake keeps `NOTIFY` out of request
/// transactions: PostgreSQL commits notifying transactions one at a time, under one
/// server-wide lock held until the commit is on disk — which made every writer of events
/// queue behind every other (issue 14's redemption bench: 570 tps with it, 1,300 without).
public struct Outbox: Sendable {
    public let schema: SQLIdentifier

    public init(schema: SQLIdentifier) {
        self.schema = schema
    }

    /// The `LISTEN`/`NOTIFY` channel of this schema's outbox.
    public var notificationChannel: String { "\(schema.name)_outbox" }

    /// Events encoded for the outbox's columns: ids, types and envelopes (CloudEvents JSON).
    public struct EncodedEvents: Sendable {
        public var ids: [String] = []
        public var types: [String] = []
        public var envelopes: [String] = []

        public var isEmpty: Bool { ids.isEmpty }

        /// The events as batches: per type, in order, JSON arrays of at most `largest` envelopes,
        /// each with an id of its own. A type with one event keeps it as it is (a single event).
        func batched(upTo largest: Int) -> EncodedEvents {
            var typeOrder: [String] = []
            var envelopesByType: [String: [String]] = [:]
            var idsByType: [String: [String]] = [:]
            for (index, type) in types.enumerated() {
                if envelopesByType[type] == nil { typeOrder.append(type) }
                envelopesByType[type, default: []].append(envelopes[index])
                idsByType[type, default: []].append(ids[index])
            }
            var batches = EncodedEvents()
            for type in typeOrder {
                let envelopes = envelopesByType[type]!
                guard envelopes.count > 1 else {
                    batches.ids += idsByType[type]!
                    batches.types.append(type)
                    batches.envelopes += envelopes
                    continue
                }
                for start in stride(from: 0, to: envelopes.count, by: largest) {
                    batches.ids.append(UUID.random().uuidString.lowercased())
                    batches.types.append(type)
                    batches.envelopes.append("[" + envelopes[start..<min(envelopes.count, start + largest)].joined(separator: ",") + "]")
                }
            }
            return batches
        }
    }

    /// Encodes `events` on the calling task.
    public static func encode<Payload: Codable & Sendable>(_ events: [CloudEvent<Payload>]) throws -> EncodedEvents {
        let encoder = EventCoding.makeEncoder()
        var encoded = EncodedEvents()
        encoded.ids.reserveCapacity(events.count)
        encoded.types.reserveCapacity(events.count)
        encoded.envelopes.reserveCapacity(events.count)
        for event in events {
            encoded.ids.append(event.id)
            encoded.types.append(event.type)
            encoded.envelopes.append(String(decoding: try encoder.encode(event), as: UTF8.self))
        }
        return encoded
    }

    /// Encodes `events` in chunks on every core — for tens of thousands of events at once (a
    /// coupon push), which a transaction can encode while the database works.
    public static func encodeInParallel<Payload: Codable & Sendable>(_ events: [CloudEvent<Payload>]) async throws -> EncodedEvents {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, events.count / 2_000))
        guard chunks > 1 else { return try encode(events) }
        let size = (events.count + chunks - 1) / chunks
        let parts = try await withThrowingTaskGroup(of: (Int, EncodedEvents).self) { group in
            for index in 0..<chunks {
                let slice = Array(events[(index * size)..<min(events.count, (index + 1) * size)])
                group.addTask { (index, try encode(slice)) }
            }
            var parts: [Int: EncodedEvents] = [:]
            for try await (index, part) in group { parts[index] = part }
            return parts
        }
        var encoded = EncodedEvents()
        for index in 0..<chunks {
            guard let part = parts[index] else { continue }
            encoded.ids += part.ids
            encoded.types += part.types
            encoded.envelopes += part.envelopes
        }
        return encoded
    }

    /// Adds one event to the outbox, in the transaction `connection` is in.
    public func append<Payload: Codable & Sendable>(_ event: CloudEvent<Payload>, on connection: PostgresConnection, logger: Logger) async throws {
        try await append([event], on: connection, logger: logger)
    }

    /// Adds events to the outbox with one statement, in the transaction `connection` is in.
    public func append<Payload: Codable & Sendable>(_ events: [CloudEvent<Payload>], on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        try await append(try Self.encode(events), on: connection, logger: logger)
    }

    /// The most events one batch message holds. A coupon push of 100,000 goes as 200 messages
    /// of about 0.4 MB: few enough rows and messages that the outbox, the relay and the broker
    /// hardly count them, small enough that a consumer's prefetch and a redelivery stay cheap.
    public static let largestBatch = 500

    /// Adds events as CloudEvents batches — one outbox row, relayed as one message, per event
    /// type and `largestBatch` events — in the transaction `connection` is in.
    ///
    /// A batch is a JSON array of the events in structured mode (the CloudEvents JSON format's
    /// batched mode, content type `application/cloudevents-batch+json`); `EventConsumer` reads
    /// it as the events one by one — each handled once through the inbox, in order with the
    /// events about the same subject — and settles the message when all are done. For events
    /// written by the hundred in one transaction (a consumer batch of ERP completions, each
    /// announced; a coupon push): one row and one message instead of one per event take most of
    /// the outbox's, the relay's and the broker's work per event away (`./crm bench` (c), (g)).
    /// An event type's consumers must read batches: document it in asyncapi.yaml where this is used.
    public func appendAsBatch<Payload: Codable & Sendable>(_ events: [CloudEvent<Payload>], on connection: PostgresConnection, logger: Logger) async throws {
        try await appendAsBatch(try Self.encode(events), on: connection, logger: logger)
    }

    /// Adds encoded events as CloudEvents batches, as `appendAsBatch(_:on:logger:)` does.
    public func appendAsBatch(_ events: EncodedEvents, on connection: PostgresConnection, logger: Logger) async throws {
        try await append(events.batched(upTo: Self.largestBatch), on: connection, logger: logger)
    }

    /// The content type of an outbox row's envelope: a batch (a JSON array) or one event.
    static func contentType(ofEnvelope envelope: String) -> String {
        envelope.first == "[" ? CloudEventContentType.batch : CloudEventContentType.structured
    }

    /// Adds encoded events to the outbox with one statement, in the transaction `connection` is in.
    public func append(_ events: EncodedEvents, on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        var binds = PostgresBindings(capacity: 4)
        binds.append(events.ids)
        binds.append(events.types)
        binds.append(events.envelopes)
        let insert = """
            INSERT INTO \(schema.qualify("outbox")) (event_id, event_type, envelope)
            SELECT id, type, envelope::json FROM unnest($1::text[], $2::text[], $3::text[]) AS event(id, type, envelope)
            """
        if let transaction = AfterCommit.current, LocalRelayWakeUps.isListening(for: schema.name) {
            try await connection.query(PostgresQuery(unsafeSQL: insert, binds: binds), logger: logger)
            let schemaName = schema.name
            transaction.add { LocalRelayWakeUps.wake(schemaName) }
        } else {
            binds.append(notificationChannel)
            try await connection.query(PostgresQuery(unsafeSQL: """
                WITH added AS (\(insert) RETURNING 1)
                SELECT pg_notify($4, '') FROM (SELECT 1 FROM added LIMIT 1) AS any_added
                """, binds: binds), logger: logger)
        }
    }
}

/// The CloudEvents content types of the messages the relay sends.
public enum CloudEventContentType {
    /// One event in structured mode.
    public static let structured = "application/cloudevents+json"
    /// A JSON array of events in structured mode (the JSON event format's batched mode).
    public static let batch = "application/cloudevents-batch+json"
}

/// What to do once the transaction of `Database.withTransaction` has committed — never after
/// a rollback. Set for the transaction's task (a task-local); nil outside one.
public final class AfterCommit: @unchecked Sendable {
    @TaskLocal public static var current: AfterCommit?

    private let lock = NSLock()
    private var actions: [@Sendable () -> Void] = []

    public init() {}

    public func add(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        actions.append(action)
        lock.unlock()
    }

    /// Runs the actions once; called by `Database.withTransaction` after the commit.
    func run() {
        lock.lock()
        let due = actions
        actions = []
        lock.unlock()
        for action in due { action() }
    }
}

/// The outbox relays running in this process, by schema: an outbox write committed here wakes
/// its relay in memory instead of by `NOTIFY`. Other replicas are not woken — the local relay
/// publishes the event — and every relay still sweeps every second, should one miss a wake.
public enum LocalRelayWakeUps {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var wakes: [String: @Sendable () -> Void] = [:]

    /// Registers a relay's wake for `schema`, until `unregister`.
    static func register(schema: String, wake: @escaping @Sendable () -> Void) {
        lock.lock()
        wakes[schema] = wake
        lock.unlock()
    }

    static func unregister(schema: String) {
        lock.lock()
        wakes[schema] = nil
        lock.unlock()
    }

    static func isListening(for schema: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return wakes[schema] != nil
    }

    static func wake(_ schema: String) {
        lock.lock()
        let wake = wakes[schema]
        lock.unlock()
        wake?()
    }
}
