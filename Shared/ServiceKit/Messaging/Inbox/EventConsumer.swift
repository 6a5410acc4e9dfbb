import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Consumes a service's queue and runs each event's handler exactly once in effect.
///
/// Deliveries are taken in batches. A batch is handled in one transaction that first inserts
/// `(consumer, event id)` into the `inbox` table — events already there were handled before and
/// are skipped — then runs the handlers of the new ones. Only after the commit are the
/// deliveries acknowledged, so a crash at any point means redelivery, never loss, and the inbox
/// turns redelivery into a no-op.
///
/// Batches are handled by `concurrency` workers at once, so that one batch's database round
/// trips overlap another's. Events are spread over the workers by their CloudEvents `subject`
/// (within a store): events about the same thing — the same repair order, say — always go to the
/// same worker and are handled in the order they arrived. An event whose handler fails is the
/// exception: it goes back to the broker while the later ones proceed, so a handler must not
/// assume an earlier event about the same thing has been handled.
///
/// If the batch transaction fails because the database is away (a restart, a failover, no
/// connection within `Database.connectionWait`), the batch waits for the database and is tried
/// again, for up to `Settings.databaseWait`; past that it is handed back to the broker, never
/// kept in hand (issue 11). Meanwhile the consumer takes no new deliveries (`basic.cancel`)
/// until the database answers again, so that a long outage hands each message back once, not
/// once a minute until the delivery limit dead-letters it. `progress` says how long deliveries
/// have waited, for health.
///
/// A message may carry several events (a CloudEvents batch, `Outbox.appendAsBatch`): each is
/// read, partitioned and handled as if it had come alone, and the message is settled once all
/// of them are — acknowledged if all were handled, handed back if any must be tried again (the
/// inbox skips the others when it comes back). An unreadable event dead-letters the whole
/// message, none of its events handled.
///
/// If the batch transaction fails otherwise, each event is tried in a transaction of its own, so that one
/// failing handler does not hold up the others; a failing event is handed back to the broker
/// (after a short pause that grows with each attempt), which dead-letters it into
/// `<service>.dead` once the queue's delivery limit is reached. A message that is not a readable
/// event for this service is dead-lettered at once, with the reason in the `x-crm-dead-reason`
/// header.
public final class EventConsumer: Service, @unchecked Sendable {
    public struct Settings: Sendable {
        /// Deliveries the broker may send ahead of acknowledgements.
        public var prefetch: UInt16 = 2000
        /// The most events handled in one transaction.
        public var batchSize = 250
        /// Workers handling batches at the same time, each in its own transaction
        /// (`CRM_CONSUMER_WORKERS`). Two keep one batch's round trips overlapping another's; more
        /// cut a busy queue into smaller batches, and a batch's statements cost about the same for
        /// ten events as for a hundred: on the two-core machines four workers took a quarter more
        /// CPU per event than two (`./crm bench` (c), Benchmarks/README.md).
        public var concurrency = 2
        /// The pause before a failed event goes back to the broker, per previous attempt.
        public var retryPause: Duration = .milliseconds(200)
        /// How long a batch waits for an unavailable database before it goes back to the broker.
        public var databaseWait: Duration = .seconds(60)
        /// The longest one batch's transaction may take; past it the batch counts as failed for
        /// a database reason (a connection that vanished mid-answer can leave a query waiting
        /// for ever underneath).
        public var transactionDeadline: Duration = .seconds(20)
        /// While consuming is paused because the database is away, how often to look whether
        /// it answers again.
        public var databaseProbeInterval: Duration = .seconds(1)
        /// "Now" for handlers (`EventContext.clock`).
        public var clock: ServiceClock = .system
        public init() {}
    }

    public let queue: ConsumerQueue
    /// What the consumer holds and whether it gets anywhere (health, metrics).
    public let progress: ConsumerProgress
    private let handlers: EventHandlers
    private let database: Database
    private let outbox: Outbox
    private let deadLetters: EventPublisher
    private let settings: Settings
    private let logger: Logger
    private let stream: DeliveryStream
    private let handledCounter: Counter
    private let duplicateCounter: Counter
    private let deadLetterCounter: Counter
    private let retryCounter: Counter
    private let directory: Directory

    /// - Parameters:
    ///   - queue: the service's queue; its `eventTypes` should be `handlers.eventTypes`.
    ///   - deadLetters: publishes unreadable messages to `crm.dead` (with confirms).
    ///   - directory: the handlers' `EventContext.directory`: the process's own (ServiceRunner's),
    ///     so that what it keeps in memory (`RecentDictionaries`) is the routes' too; nil for one
    ///     of this consumer's own.
    public init(
        queue: ConsumerQueue, handlers: EventHandlers, database: Database, amqpURL: AMQPURL,
        deadLetters: EventPublisher, settings: Settings = Settings(), progress: ConsumerProgress? = nil,
        directory: Directory? = nil, logger: Logger
    ) {
        self.queue = queue
        self.directory = directory ?? Directory(schema: database.schema)
        self.progress = progress ?? ConsumerProgress(consumer: queue.name)
        self.handlers = handlers
        self.database = database
        self.outbox = Outbox(schema: database.schema)
        self.deadLetters = deadLetters
        self.settings = settings
        self.logger = logger
        let stream = DeliveryStream(url: amqpURL, queue: queue, prefetch: settings.prefetch, logger: logger)
        self.stream = stream
        self.progress.observeConsuming { stream.isConsuming }
        let dimensions = [("consumer", queue.name)]
        handledCounter = Counter(label: "crm_events_handled_total", dimensions: dimensions)
        duplicateCounter = Counter(label: "crm_events_duplicates_skipped_total", dimensions: dimensions)
        deadLetterCounter = Counter(label: "crm_events_dead_lettered_total", dimensions: dimensions)
        retryCounter = Counter(label: "crm_events_retried_total", dimensions: dimensions)
    }

    public func run() async throws {
        stream.start()
        let workers = (0..<max(1, settings.concurrency)).map { _ in AsyncBatchQueue<ReadyEvent>() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    let dispatching = Flag()
                    group.addTask {
                        await self.dispatch(to: workers)
                        dispatching.set()
                    }
                    group.addTask { await self.resumeWhenTheDatabaseAnswers(until: dispatching) }
                    for worker in workers {
                        group.addTask {
                            while let batch = await worker.nextBatch(limit: self.settings.batchSize) {
                                await self.handle(batch)
                            }
                        }
                    }
                }
            } onGracefulShutdown: {
                // Stop taking new deliveries; the batches in hand finish and are acknowledged.
                self.stream.deliveries.finish()
            }
        } onCancel: {
            self.stream.deliveries.finish()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // `stop` waits for the consumer thread: keep that wait off the cooperative pool.
            Thread { [stream] in
                stream.stop()
                done.resume()
            }.start()
        }
    }

    /// Reads each delivery, dead-letters what is unreadable, and hands the rest to the worker
    /// that owns its subject.
    private func dispatch(to workers: [AsyncBatchQueue<ReadyEvent>]) async {
        while let batch = await stream.deliveries.nextBatch(limit: 1000) {
            progress.received(batch)
            var unreadable: [(ReceivedDelivery, String)] = []
            var perWorker = Array(repeating: [ReadyEvent](), count: workers.count)
            for delivery in batch {
                do {
                    let events = try handlers.readAll(delivery.delivery.message, routingKey: delivery.delivery.routingKey)
                    let share = events.count > 1 ? SharedDelivery(events: events.count) : nil
                    for (event, handle) in events {
                        let ready = ReadyEvent(delivery: delivery, event: event, handle: handle, share: share)
                        perWorker[Self.partition(of: event, among: workers.count)].append(ready)
                    }
                } catch {
                    unreadable.append((delivery, "\(error)"))
                }
            }
            for (worker, events) in zip(workers, perWorker) { worker.push(contentsOf: events) }
            if !unreadable.isEmpty { await deadLetter(unreadable) }
        }
        workers.forEach { $0.finish() }
    }

    /// The worker for an event: by store and subject when it has a subject, else any.
    static func partition(of event: IncomingEvent, among count: Int) -> Int {
        let key = event.subject.map { "\(event.storeid ?? "")/\($0)" } ?? event.id
        var hash: UInt64 = 14_695_981_039_346_656_037  // FNV-1a: stable across processes, unlike hashValue
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211
        }
        return Int(hash % UInt64(count))
    }

    /// `basic.ack` frames sent (tests: acks are coalesced into `multiple` acks).
    var acknowledgementFrames: Int { stream.acknowledgementFrames }

    /// Whether the queue is declared and deliveries are flowing (for readiness).
    public var isConsuming: Bool { stream.isConsuming }

    /// Stops consuming (for tests that simulate a crash of just this consumer).
    public func stop() {
        stream.stop()
    }

    private struct ReadyEvent: Sendable {
        var delivery: ReceivedDelivery
        var event: IncomingEvent
        var handle: EventHandlers.PreparedHandler
        /// Set when the delivery carries other events too (a batch): it is settled once all are.
        var share: SharedDelivery?
    }

    /// The events of one delivery still to settle, and whether any must be tried again.
    final class SharedDelivery: @unchecked Sendable {
        private let lock = NSLock()
        private var unsettled: Int
        private var retry = false

        init(events: Int) { unsettled = events }

        /// Records one event's settlement; returns the delivery's once it is the last.
        func settle(_ settlement: Settlement) -> Settlement? {
            lock.lock()
            defer { lock.unlock() }
            if case .retry = settlement { retry = true }
            unsettled -= 1
            guard unsettled == 0 else { return nil }
            return retry ? .retry : .ack
        }
    }

    private func handle(_ ready: [ReadyEvent]) async {
        do {
            try await handleWhenTheDatabaseAnswers(ready)
            ready.forEach { settle($0, .ack) }
        } catch where DatabaseFailure.isConnectionProblem(error) || error is DeadlineExceeded {
            handBack(ready, error: error)
        } catch {
            // Find the event that failed by handling each on its own.
            for item in ready {
                do {
                    try await handleWhenTheDatabaseAnswers([item])
                    settle(item, .ack)
                } catch where DatabaseFailure.isConnectionProblem(error) || error is DeadlineExceeded {
                    handBack([item], error: error)
                } catch {
                    retryLater(item, error: error)
                }
            }
        }
    }

    /// Handles the events in one transaction; while the database is away, waits for it and
    /// tries again, for up to `settings.databaseWait` (not at all once shutdown has begun).
    private func handleWhenTheDatabaseAnswers(_ items: [ReadyEvent]) async throws {
        let deadline = ContinuousClock.now + settings.databaseWait
        var backoff = Backoff(initial: 0.25, maximum: 2)
        var logged = false
        while true {
            do {
                try await withDeadline(settings.transactionDeadline, "a batch's transaction") {
                    try await self.handleInOneTransaction(items)
                }
                if logged { logger.info("the database answers again; the held events are handled", metadata: ["events": "\(items.count)"]) }
                return
            } catch where DatabaseFailure.isConnectionProblem(error) || error is DeadlineExceeded {
                DatabaseErrors.count(error)
                // Take no more deliveries until the database answers: handed back over and
                // over, they would reach the delivery limit and be dead-lettered in a long outage.
                stream.pause()
                guard ContinuousClock.now < deadline, !Task.isShuttingDownGracefully, !Task.isCancelled else { throw error }
                if !logged {
                    logger.warning("the database is unavailable; waiting for it before handling the events", metadata: [
                        "events": "\(items.count)", "error": "\(DatabaseFailure.logText(error))",
                    ])
                    logged = true
                }
                try? await Task.sleep(for: .seconds(backoff.next()))
            }
        }
    }

    /// While consuming is paused for the database, checks every `settings.databaseProbeInterval`
    /// whether it answers again (on a connection of its own, not the pool's), and resumes.
    private func resumeWhenTheDatabaseAnswers(until dispatchingEnded: Flag) async {
        while !dispatchingEnded.isSet, !Task.isCancelled {
            try? await Task.sleep(for: settings.databaseProbeInterval)
            guard stream.isPaused else { continue }
            if await database.isReachable() {
                logger.info("the database answers again; consuming resumes", metadata: ["queue": "\(queue.name)"])
                stream.resume()
            }
        }
    }

    /// Gives deliveries back to the broker at once, without the pause of a failing handler: the
    /// database stayed away too long, or the service is stopping.
    private func handBack(_ items: [ReadyEvent], error: any Error) {
        logger.warning("the database stayed unavailable; the events go back to the broker", metadata: [
            "events": "\(items.count)", "error": "\(DatabaseFailure.logText(error))",
        ])
        items.forEach { settle($0, .retry) }
    }

    /// Settles an event: its delivery, or — for an event of a batch — its share of it.
    private func settle(_ ready: ReadyEvent, _ settlement: Settlement) {
        if let share = ready.share {
            guard let whole = share.settle(settlement) else { return }
            settle(ready.delivery, whole)
        } else {
            settle(ready.delivery, settlement)
        }
    }

    /// Settles with the broker and counts it as progress.
    private func settle(_ delivery: ReceivedDelivery, _ settlement: Settlement) {
        stream.settle(delivery, settlement)
        progress.settled(delivery)
    }

    /// Handles events in one transaction, skipping those the inbox has seen.
    private func handleInOneTransaction(_ items: [ReadyEvent]) async throws {
        var binds = PostgresBindings(capacity: 3)
        binds.append(queue.name)
        binds.append(items.map(\.event.id))
        binds.append(items.map(\.event.type))
        let inbox = database.schema.qualify("inbox")
        let handledCount = try await database.withTransaction { connection in
            var fresh = Set<String>()
            // Collected, not streamed, as the relay's batches (`PostgresConnection.allRows`).
            let inserted = try await connection.allRows(PostgresQuery(unsafeSQL: """
                INSERT INTO \(inbox) (consumer, event_id, event_type)
                SELECT $1, id, type FROM unnest($2::text[], $3::text[]) AS event(id, type)
                ON CONFLICT DO NOTHING
                RETURNING event_id
                """, binds: binds), logger: logger)
            for row in inserted { fresh.insert(try row.decode(String.self)) }
            let context = EventContext(
                connection: connection, outbox: outbox, logger: logger, clock: settings.clock, directory: directory)
            // Each new event once, in arrival order; neighbours handled by one batch handler
            // run together.
            let new = items.filter { fresh.remove($0.event.id) != nil }
            var index = 0
            while index < new.count {
                switch new[index].handle {
                case .single(let handle):
                    try await handle(context)
                    index += 1
                case .batchable(let eventType, let event, let handleAll):
                    var group: [any Sendable] = [event]
                    var next = index + 1
                    while next < new.count, case .batchable(eventType, let neighbour, _) = new[next].handle {
                        group.append(neighbour)
                        next += 1
                    }
                    try await handleAll(group, context)
                    index = next
                }
            }
            return new.count
        }
        handledCounter.increment(by: handledCount)
        duplicateCounter.increment(by: items.count - handledCount)
    }

    private func retryLater(_ item: ReadyEvent, error: any Error) {
        let attempts = item.delivery.delivery.previousDeliveries + 1
        logger.warning("event handler failed; the broker will redeliver it", metadata: [
            "eventID": "\(item.event.id)", "eventType": "\(item.event.type)", "attempt": "\(attempts)",
            "deliveryLimit": "\(queue.deliveryLimit)", "error": "\(DatabaseFailure.logText(error))",
        ])
        retryCounter.increment()
        let pause = settings.retryPause * attempts
        Task {
            try? await Task.sleep(for: pause)
            self.settle(item, .retry)
        }
    }

    /// Sends unreadable messages to `<service>.dead` with the reason, then acknowledges them.
    private func deadLetter(_ items: [(ReceivedDelivery, String)]) async {
        let messages = items.map { delivery, reason in
            var properties = delivery.delivery.message.properties
            properties.headers["x-crm-dead-reason"] = .string(reason)
            properties.headers["x-crm-dead-consumer"] = .string(queue.name)
            properties.headers["x-crm-original-routing-key"] = .string(delivery.delivery.routingKey)
            return OutgoingMessage(routingKey: queue.name, properties: properties, body: delivery.delivery.message.body)
        }
        let outcomes: [PublishOutcome]
        do {
            outcomes = try await deadLetters.publish(messages, to: MessagingTopology.deadLetterExchange)
        } catch {
            outcomes = Array(repeating: .rejected(reason: "\(error)"), count: messages.count)
        }
        for ((delivery, reason), outcome) in zip(items, outcomes) {
            if outcome == .confirmed {
                logger.warning("dead-lettered an unreadable message", metadata: [
                    "messageID": "\(delivery.delivery.message.properties.messageID ?? "-")", "reason": "\(reason)",
                ])
                deadLetterCounter.increment()
                settle(delivery, .ack)
            } else {
                settle(delivery, .retry)
            }
        }
    }
}
