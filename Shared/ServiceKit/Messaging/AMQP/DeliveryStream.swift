import Foundation
import Logging
import Metrics

/// A delivery together with the connection it came on; acknowledging it on a later connection
/// would acknowledge some other message, so a stale settlement is dropped instead.
public struct ReceivedDelivery: Sendable {
    public var delivery: Delivery
    let connectionGeneration: Int
}

/// How a consumer settles a delivery with the broker.
public enum Settlement: Sendable {
    /// Done: the broker forgets the message.
    case ack
    /// Not done: the broker hands it out again, and dead-letters it past the delivery limit.
    case retry
}

/// Receives deliveries from one queue on a dedicated thread and passes them to async code.
///
/// The thread owns the connection (rabbitmq-c blocks and is not thread-safe). It declares the
/// topology, consumes with a prefetch window, hands every delivery to `deliveries`, and sends the
/// acks and nacks that async code queues through `settle`. When the connection breaks it
/// reconnects with backoff and declares everything again; unacknowledged messages are then
/// redelivered by the broker, which is why handlers are idempotent.
public final class DeliveryStream: @unchecked Sendable {
    public let deliveries = AsyncBatchQueue<ReceivedDelivery>()

    private let url: AMQPURL
    private let queue: ConsumerQueue
    private let prefetch: UInt16
    private let logger: Logger
    private let lock = NSLock()
    private var settlements: [(ReceivedDelivery, Settlement)] = []
    private var stopping = false
    private var consuming = false
    private var paused = false
    private var ackFrames = 0
    private var lastAckSent: ContinuousClock.Instant?
    private let ackFrameCounter: Counter
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    public init(url: AMQPURL, queue: ConsumerQueue, prefetch: UInt16 = 1000, logger: Logger) {
        self.url = url
        self.queue = queue
        self.prefetch = prefetch
        self.logger = logger
        self.ackFrameCounter = Counter(label: "crm_consumer_ack_frames_total", dimensions: [("consumer", queue.name)])
    }

    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "amqp-consumer-\(queue.name)"
        thread.start()
        self.thread = thread
    }

    /// Queues an ack or a nack; the thread sends it within a few milliseconds.
    public func settle(_ delivery: ReceivedDelivery, _ settlement: Settlement) {
        lock.lock()
        settlements.append((delivery, settlement))
        lock.unlock()
    }

    /// Stops receiving, sends the settlements already queued, and closes the connection.
    /// Messages received but not settled go back to the queue.
    public func stop() {
        deliveries.finish()
        lock.lock()
        let wasRunning = thread != nil && !stopping
        stopping = true
        lock.unlock()
        if wasRunning { finished.wait() }
    }

    /// Stops taking deliveries (`basic.cancel`) until `resume()`, keeping the connection and
    /// the deliveries in hand, which are still settled as usual. While the database is away
    /// this keeps the queue's messages ready instead of handing them out and back again, which
    /// would count against the delivery limit every time (issue 11).
    public func pause() {
        lock.lock()
        paused = true
        lock.unlock()
    }

    /// Takes deliveries again after `pause()`.
    public func resume() {
        lock.lock()
        paused = false
        lock.unlock()
    }

    /// Whether `pause()` is in force.
    public var isPaused: Bool {
        lock.lock()
        defer { lock.unlock() }
        return paused
    }

    /// Whether the queue is declared and deliveries are flowing on a live connection.
    public var isConsuming: Bool {
        lock.lock()
        defer { lock.unlock() }
        return consuming
    }

    /// `basic.ack` frames sent so far: fewer than the deliveries acknowledged when acks are
    /// coalesced into `multiple` acks (also the metric `crm_consumer_ack_frames_total`).
    var acknowledgementFrames: Int {
        lock.lock()
        defer { lock.unlock() }
        return ackFrames
    }

    private func countAckFrames(_ frames: Int) {
        lock.lock()
        ackFrames += frames
        lastAckSent = .now
        lock.unlock()
        ackFrameCounter.increment(by: frames)
    }

    private func setConsuming(_ value: Bool) {
        lock.lock()
        consuming = value
        lock.unlock()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    // MARK: The consumer thread

    private func runLoop() {
        var connection: AMQPConnection?
        var generation = 0
        var outstanding = OutstandingTags()
        var held = HeldAcks()
        var subscribed = false
        var backoff = Backoff(initial: 0.2, maximum: 5)
        while !isStopping {
            if connection == nil {
                do {
                    connection = try connect()
                    generation += 1
                    outstanding = OutstandingTags()
                    held = HeldAcks()
                    subscribed = false
                    backoff.reset()
                } catch {
                    let delay = backoff.next()
                    logger.warning("cannot consume; retrying", metadata: ["queue": "\(queue.name)", "error": "\(error)", "retryIn": "\(delay)"])
                    sleepUnlessStopping(delay)
                    continue
                }
            }
            do {
                try sendSettlements(on: connection!, generation: generation, outstanding: &outstanding, held: &held)
                if isPaused == subscribed {
                    if subscribed {
                        try connection!.stopConsuming(consumerTag: consumerTag)
                        logger.info("paused consuming", metadata: ["queue": "\(queue.name)"])
                    } else {
                        try connection!.startConsuming(queue: queue.name, consumerTag: consumerTag)
                        logger.info("consuming", metadata: ["queue": "\(queue.name)", "broker": "\(url)"])
                    }
                    subscribed.toggle()
                    setConsuming(subscribed)
                }
                // Take what has arrived in one go, and wake the reader once for all of it.
                var received: [ReceivedDelivery] = []
                var timeout = 0.005
                while received.count < 500, case .delivery(let delivery) = try connection!.nextDelivery(timeout: timeout) {
                    outstanding.insert(delivery.deliveryTag)
                    received.append(ReceivedDelivery(delivery: delivery, connectionGeneration: generation))
                    guard connection!.hasBufferedData else { break }
                    timeout = 0
                }
                deliveries.push(contentsOf: received)
            } catch {
                logger.warning("consumer connection lost; reconnecting", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                setConsuming(false)
                connection = nil
            }
        }
        if let connection {
            do {
                try sendSettlements(on: connection, generation: generation, outstanding: &outstanding, held: &held, sendingAll: true)
            } catch {
                logger.warning("could not send the last acknowledgements; the broker delivers those events again", metadata: ["error": "\(error)"])
            }
            waitForTheLastAcksToApply()
            connection.close()
        }
        setConsuming(false)
        finished.signal()
    }

    private var consumerTag: String { "\(queue.name)-\(ProcessInfo.processInfo.processIdentifier)" }

    /// Opens a connection and declares the topology; the loop subscribes unless paused.
    private func connect() throws -> AMQPConnection {
        let connection = try AMQPConnection(url: url)
        try MessagingTopology().declare(queue, on: connection)
        try connection.setPrefetch(prefetch)
        return connection
    }

    /// Sends queued settlements. Acks are coalesced: when every delivery up to some tag is
    /// settled, one `basic.ack` with `multiple` covers them all — in a quorum queue each
    /// settlement is a Raft command, so this saves the broker most of its work. With 2 or more workers
    /// finishing out of order, most acks come while an earlier delivery is still being handled;
    /// they are held back until it is settled, for at most `HeldAcks.longestHold`, then sent one
    /// by one. Nacks go at once.
    private func sendSettlements(
        on connection: AMQPConnection, generation: Int, outstanding: inout OutstandingTags, held: inout HeldAcks,
        sendingAll: Bool = false
    ) throws {
        lock.lock()
        let pending = settlements
        settlements = []
        lock.unlock()
        for (delivery, settlement) in pending where delivery.connectionGeneration == generation {
            let tag = delivery.delivery.deliveryTag
            outstanding.remove(tag)
            switch settlement {
            case .ack:
                held.insert(tag)
            case .retry:
                try connection.nack(deliveryTag: tag, requeue: true)
            }
        }
        guard !held.isEmpty else { return }
        var frames = 0
        // Every delivery up to `covered` is settled. A multiple ack anchored on the highest held
        // tag among them (surely still pending at the broker) settles all of them that are.
        let covered = outstanding.lowest.map { $0 - 1 } ?? outstanding.highestDelivered
        let coalescible = held.takeAll(upTo: covered)
        if let top = coalescible.max() {
            try connection.ack(deliveryTag: top, multiple: coalescible.count > 1)
            frames += 1
        }
        if sendingAll || held.isOverdue {
            let single = held.takeAll(upTo: .max)
            for tag in single { try connection.ack(deliveryTag: tag) }
            frames += single.count
        }
        if frames > 0 { countAckFrames(frames) }
    }

    /// A quorum queue may hand out again messages acknowledged just before their channel closes
    /// (rabbitmq-server#10327, open since RabbitMQ 3.12): the acks go to the queue's Raft log
    /// asynchronously and can lose the race with the channel's end. A second after the last ack
    /// they have always been applied here (`GracefulShutdownTests` found ~200 of 1,500 events
    /// redelivered without this wait), so closing waits until then. What slips through anyway
    /// is a duplicate, which the inbox skips.
    private func waitForTheLastAcksToApply() {
        lock.lock()
        let last = lastAckSent
        lock.unlock()
        guard let last else { return }
        let remaining = Self.ackSettleTime - (ContinuousClock.now - last)
        if remaining > .zero { Thread.sleep(forTimeInterval: Double(remaining.components.attoseconds) / 1e18 + Double(remaining.components.seconds)) }
    }

    /// How long closing waits after the last ack (see `waitForTheLastAcksToApply`).
    static let ackSettleTime: Duration = .seconds(1)

    private func sleepUnlessStopping(_ seconds: TimeInterval) {
        let deadline = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// The delivery tags of one connection that are delivered but not yet settled.
struct OutstandingTags {
    private var tags = Set<UInt64>()
    /// Tags arrive in increasing order; the smallest unsettled one is found by walking up.
    private var floor: UInt64 = 1
    private(set) var highestDelivered: UInt64 = 0

    mutating func insert(_ tag: UInt64) {
        tags.insert(tag)
        highestDelivered = max(highestDelivered, tag)
    }

    mutating func remove(_ tag: UInt64) {
        tags.remove(tag)
    }

    /// The smallest tag still unsettled, if any.
    var lowest: UInt64? {
        mutating get {
            guard !tags.isEmpty else { return nil }
            while !tags.contains(floor) { floor += 1 }
            return floor
        }
    }
}

/// Acks decided but not sent yet, because an earlier delivery is still being handled and one
/// `multiple` ack may soon cover them all.
struct HeldAcks {
    /// How long an ack may wait for the deliveries before it; then it goes on its own.
    static let longestHold: Duration = .seconds(1)

    private var tags: [UInt64] = []
    private var since: ContinuousClock.Instant?

    var isEmpty: Bool { tags.isEmpty }
    var isOverdue: Bool { since.map { ContinuousClock.now - $0 > Self.longestHold } ?? false }

    mutating func insert(_ tag: UInt64) {
        if tags.isEmpty { since = .now }
        tags.append(tag)
    }

    /// Removes and returns the held tags up to `limit`.
    mutating func takeAll(upTo limit: UInt64) -> [UInt64] {
        let taken = tags.filter { $0 <= limit }
        guard !taken.isEmpty else { return [] }
        tags.removeAll { $0 <= limit }
        if tags.isEmpty { since = nil }
        return taken
    }
}

/// Exponential backoff with jitter, for reconnects and retries.
public struct Backoff: Sendable {
    public let initial: Double
    public let maximum: Double
    private var current: Double

    public init(initial: Double, maximum: Double) {
        self.initial = initial
        self.maximum = maximum
        self.current = initial
    }

    public mutating func next() -> Double {
        let delay = current * Double.random(in: 0.8...1.2)
        current = min(maximum, current * 2)
        return delay
    }

    public mutating func reset() { current = initial }
}
