import Contracts
import Logging
import PostgresNIO

/// What a handler gets besides the event: the transaction its effects belong in.
///
/// Everything a handler writes, including the events it publishes through `outbox`, commits
/// together with the inbox row that marks the event as handled — or not at all.
public struct EventContext: Sendable {
    public let connection: PostgresConnection
    public let outbox: Outbox
    public let logger: Logger

    /// Publishes an event once this transaction commits.
    public func publish<Payload: Codable & Sendable>(_ event: CloudEvent<Payload>) async throws {
        try await outbox.append(event, on: connection, logger: logger)
    }
}

/// The event types a service handles, and what it does with each.
///
/// ```swift
/// var handlers = EventHandlers()
/// handlers.on(ERPRepairOrderCompleted.self) { event, context in
///     try await store.recordCompletion(event.data, on: context.connection)
/// }
/// ```
public struct EventHandlers: Sendable {
    /// A decoded event bound to its handler, ready to run in a transaction.
    typealias PreparedHandler = @Sendable (EventContext) async throws -> Void
    private typealias Preparer = @Sendable (IncomingEvent) throws -> PreparedHandler

    private var preparers: [String: Preparer] = [:]

    public init() {}

    /// The routing keys to bind the service's queue to.
    public var eventTypes: Set<String> { Set(preparers.keys) }

    /// Handles events of `Payload.eventType`.
    public mutating func on<Payload: EventPayload>(
        _ payload: Payload.Type,
        _ handler: @escaping @Sendable (CloudEvent<Payload>, EventContext) async throws -> Void
    ) {
        on(Payload.eventType, as: payload, handler)
    }

    /// Handles events of `eventType` whose data decodes as `Payload`.
    public mutating func on<Payload: Codable & Sendable>(
        _ eventType: String,
        as payload: Payload.Type,
        _ handler: @escaping @Sendable (CloudEvent<Payload>, EventContext) async throws -> Void
    ) {
        preparers[eventType] = { incoming in
            let event = try incoming.decode(Payload.self)
            return { context in try await handler(event, context) }
        }
    }

    /// Decodes the event for its handler; throws `EventDecodingError` if no handler reads it.
    func prepare(_ event: IncomingEvent) throws -> PreparedHandler {
        guard let preparer = preparers[event.type] else {
            throw EventDecodingError(reason: "no handler for event type \(event.type)")
        }
        return try preparer(event)
    }
}
