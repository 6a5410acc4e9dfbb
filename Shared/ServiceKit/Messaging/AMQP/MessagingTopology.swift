/// The broker topology every Dealer CRM process agrees on (see DESIGN.md, "Messaging").
///
/// - `crm.events`: one durable topic exchange; the routing key is the event type.
/// - `crm.dead`: a durable direct exchange for dead letters, routed by the consumer's name.
/// - per service: a durable quorum queue named after it, bound to the event types it handles,
///   dead-lettering into `crm.dead` after a delivery limit; its dead letters land in
///   `<service>.dead`.
public struct MessagingTopology: Sendable {
    public static let eventsExchange = "crm.events"
    public static let deadLetterExchange = "crm.dead"

    public init() {}

    func declareExchanges(on connection: AMQPConnection) throws {
        try connection.declareExchange(Self.eventsExchange, type: "topic")
        try connection.declareExchange(Self.deadLetterExchange, type: "direct")
    }

    /// Declares the consumer's queue, its dead-letter queue and their bindings. Declaring is
    /// idempotent, so every (re)connect does it; changing a queue's arguments needs a new queue.
    func declare(_ queue: ConsumerQueue, on connection: AMQPConnection) throws {
        try declareExchanges(on: connection)
        try connection.declareQueue(queue.deadLetterQueue, arguments: ["x-queue-type": .string("quorum")])
        try connection.bindQueue(queue.deadLetterQueue, exchange: Self.deadLetterExchange, routingKey: queue.name)
        try connection.declareQueue(queue.name, arguments: [
            "x-queue-type": .string("quorum"),
            "x-dead-letter-exchange": .string(Self.deadLetterExchange),
            "x-dead-letter-routing-key": .string(queue.name),
            "x-delivery-limit": .int(Int64(queue.deliveryLimit)),
        ])
        for eventType in queue.eventTypes.sorted() {
            try connection.bindQueue(queue.name, exchange: Self.eventsExchange, routingKey: eventType)
        }
    }
}

/// A service's own queue.
public struct ConsumerQueue: Sendable {
    /// The queue's name, which is also the consumer's name in the inbox and the dead-letter key.
    public var name: String
    /// The event types (routing keys) bound to the queue.
    public var eventTypes: Set<String>
    /// How many times a message is handed out before the broker dead-letters it.
    public var deliveryLimit: Int

    public var deadLetterQueue: String { "\(name).dead" }

    public init(name: String, eventTypes: Set<String>, deliveryLimit: Int = 5) {
        self.name = name
        self.eventTypes = eventTypes
        self.deliveryLimit = deliveryLimit
    }
}
