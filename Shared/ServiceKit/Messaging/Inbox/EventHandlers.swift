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
    /// The service clock (`ServiceConfiguration.clock`): "now" for the rules a handler applies,
    /// the same the service's API uses (a fixed clock in tests).
    public let clock: ServiceClock
    /// The service's copy of the gateway's stores and users (a store's time zone, say).
    public let directory: Directory

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
///
/// Where an event's effect is set-based — a row per event in a projection, a task per completed
/// order — `onBatch` handles all the fresh events of a type in a consumer batch with one call,
/// so the handler can write them with one statement instead of one round trip each:
///
/// ```swift
/// handlers.onBatch(RepairOrderCompleted.self) { events, context in
///     try await tasks.createVisitTasks(for: events.map(\.data), on: context.connection)
/// }
/// ```
public struct EventHandlers: Sendable {
    /// A decoded event bound to its handler, ready to run in a transaction.
    enum PreparedHandler: Sendable {
        /// Runs on its own.
        case single(@Sendable (EventContext) async throws -> Void)
        /// Runs together with the neighbouring events of the same type in the batch.
        case batchable(eventType: String, event: any Sendable, handleAll: @Sendable ([any Sendable], EventContext) async throws -> Void)
    }
    private typealias Preparer = @Sendable (IncomingEvent) throws -> PreparedHandler
    /// Reads a structured-mode message of the type in one pass (`IncomingEvent.readStructured`);
    /// nil when it does not read that way.
    private typealias StructuredReader = @Sendable (ReceivedMessage) -> (IncomingEvent, PreparedHandler)?

    /// Reads a CloudEvents batch of the type in one pass (`IncomingEvent.readStructuredBatch`).
    private typealias BatchReader = @Sendable (ReceivedMessage) -> [(IncomingEvent, PreparedHandler)]?

    private var preparers: [String: Preparer] = [:]
    private var structuredReaders: [String: StructuredReader] = [:]
    private var batchReaders: [String: BatchReader] = [:]

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
        register(eventType, as: payload) { event in .single { context in try await handler(event, context) } }
    }

    /// Handles events of `Payload.eventType` a batch at a time: `handler` gets every fresh event
    /// of that type that arrived together (in order), in the batch's transaction.
    public mutating func onBatch<Payload: EventPayload>(
        _ payload: Payload.Type,
        _ handler: @escaping @Sendable ([CloudEvent<Payload>], EventContext) async throws -> Void
    ) {
        onBatch(Payload.eventType, as: payload, handler)
    }

    /// Handles events of `eventType` whose data decodes as `Payload`, a batch at a time.
    public mutating func onBatch<Payload: Codable & Sendable>(
        _ eventType: String,
        as payload: Payload.Type,
        _ handler: @escaping @Sendable ([CloudEvent<Payload>], EventContext) async throws -> Void
    ) {
        let handleAll: @Sendable ([any Sendable], EventContext) async throws -> Void = { events, context in
            try await handler(events.map { $0 as! CloudEvent<Payload> }, context)
        }
        register(eventType, as: payload) { event in .batchable(eventType: eventType, event: event, handleAll: handleAll) }
    }

    /// How events of `eventType` are read — in general, in one pass, in a batch — each decoded
    /// as `Payload` and bound by `prepared` to its handler.
    private mutating func register<Payload: Codable & Sendable>(
        _ eventType: String, as payload: Payload.Type, prepared: @escaping @Sendable (CloudEvent<Payload>) -> PreparedHandler
    ) {
        preparers[eventType] = { incoming in prepared(try incoming.decode(Payload.self)) }
        structuredReaders[eventType] = { message in
            IncomingEvent.readStructured(message, expectedType: eventType, as: Payload.self).map { ($0, prepared($1)) }
        }
        batchReaders[eventType] = { message in
            IncomingEvent.readStructuredBatch(message, expectedType: eventType, as: Payload.self)?.map { ($0, prepared($1)) }
        }
    }

    /// Reads a delivered message and decodes its event for its handler; throws
    /// `EventDecodingError` saying what is wrong if no handler reads it.
    ///
    /// The routing key is the event's type for everything published to `crm.events`, so the
    /// handler it names reads the message in one pass; a message it does not describe (binary
    /// mode, another type, bad data) is read the general way, which also explains a refusal.
    func read(_ message: ReceivedMessage, routingKey: String) throws -> (IncomingEvent, PreparedHandler) {
        if let reader = structuredReaders[routingKey], let read = reader(message) { return read }
        let event = try IncomingEvent(message: message)
        return (event, try prepare(event))
    }

    /// Reads every event of a delivered message: the events of a CloudEvents batch
    /// (`Outbox.appendAsBatch`) in their order, or the one event of any other message. Throws
    /// `EventDecodingError` if any of them is unreadable: a batch is read whole or not at all.
    func readAll(_ message: ReceivedMessage, routingKey: String) throws -> [(IncomingEvent, PreparedHandler)] {
        guard IncomingEvent.isBatch(message) else { return [try read(message, routingKey: routingKey)] }
        if let reader = batchReaders[routingKey], let read = reader(message) { return read }
        return try IncomingEvent.batchElements(message).enumerated().map { index, element in
            do {
                return try read(element, routingKey: routingKey)
            } catch let error as EventDecodingError {
                throw EventDecodingError(reason: "event \(index) of the batch: \(error.reason)")
            }
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
