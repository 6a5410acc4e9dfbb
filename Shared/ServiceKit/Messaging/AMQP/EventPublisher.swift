import CRabbitMQ
import Foundation
import Logging

/// How the broker answered one published message.
public enum PublishOutcome: Sendable, Equatable {
    /// The broker has the message safely (routed to at least one queue and persisted).
    case confirmed
    /// The broker refused it (`basic.nack`) or could not route it (`basic.return` for a mandatory
    /// message). The sender must keep it and try again later.
    case rejected(reason: String)
}

/// Publishes messages with publisher confirms and `mandatory`, many in flight at once.
///
/// All AMQP work happens on one dedicated thread that owns the connection (rabbitmq-c blocks and
/// is not thread-safe). Callers hand over a batch and await one outcome per message: the thread
/// sends every message of every waiting batch, then reads confirms until each is settled, so a
/// batch costs one round trip, not one per message. A broken connection fails the waiting
/// batches with `AMQPError`; the next batch connects again.
public final class EventPublisher: @unchecked Sendable {
    private struct Request {
        var exchange: String
        var messages: [OutgoingMessage]
        var continuation: CheckedContinuation<[PublishOutcome], any Error>
    }

    private let url: AMQPURL
    private let topology: MessagingTopology
    private let confirmTimeout: TimeInterval
    private let logger: Logger
    private let condition = NSCondition()
    private var waiting: [Request] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - topology: the exchanges are declared on every (re)connect, so publishing works even
    ///     before any consumer has started.
    public init(url: AMQPURL, topology: MessagingTopology, confirmTimeout: TimeInterval = 30, logger: Logger) {
        self.url = url
        self.topology = topology
        self.confirmTimeout = confirmTimeout
        self.logger = logger
    }

    /// Publishes `messages` to `exchange` and returns, in the same order, how the broker answered.
    public func publish(_ messages: [OutgoingMessage], to exchange: String) async throws -> [PublishOutcome] {
        if messages.isEmpty { return [] }
        startIfNeeded()
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(throwing: AMQPError.connection("the publisher has shut down"))
                return
            }
            waiting.append(Request(exchange: exchange, messages: messages, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// `shutdown()` for async code: waits without blocking a thread of the cooperative pool.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                self.shutdown()
                done.resume()
            }.start()
        }
    }

    /// Stops the thread after the batches already handed over are settled.
    public func shutdown() {
        condition.lock()
        let wasRunning = thread != nil && !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func startIfNeeded() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil, !stopping else { return }
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "amqp-publisher"
        thread.start()
        self.thread = thread
    }

    // MARK: The publisher thread

    private func runLoop() {
        var connection: AMQPConnection?
        var sequence: UInt64 = 0  // the last delivery tag used on `connection`
        while true {
            condition.lock()
            if waiting.isEmpty && !stopping {
                // Wake at least once a second so that heartbeats are serviced on an idle connection.
                _ = condition.wait(until: Date().addingTimeInterval(1))
            }
            let batch = waiting
            waiting = []
            let stop = stopping && batch.isEmpty
            condition.unlock()
            if stop { break }

            if batch.isEmpty {
                if let idle = connection, !serviceIdle(idle) { connection = nil }
                continue
            }
            do {
                if connection == nil {
                    connection = try connect()
                    sequence = 0
                }
                let outcomes = try publish(batch, on: connection!, sequence: &sequence)
                for (request, result) in zip(batch, outcomes) { request.continuation.resume(returning: result) }
            } catch {
                logger.warning("publishing failed; will reconnect", metadata: ["error": "\(error)"])
                connection = nil
                for request in batch { request.continuation.resume(throwing: error) }
            }
        }
        connection?.close()
        finished.signal()
    }

    private func connect() throws -> AMQPConnection {
        let connection = try AMQPConnection(url: url)
        try topology.declareExchanges(on: connection)
        try connection.enableConfirms()
        logger.debug("publisher connected", metadata: ["broker": "\(url)"])
        return connection
    }

    /// Lets rabbitmq-c send and check heartbeats; `false` when the connection is gone.
    private func serviceIdle(_ connection: AMQPConnection) -> Bool {
        do {
            if let frame = try connection.waitForFrame(timeout: 0), frame.frame_type == AMQP_FRAME_METHOD {
                let method = frame.payload.method.id
                if method == CRM_CHANNEL_CLOSE_METHOD || method == CRM_CONNECTION_CLOSE_METHOD { return false }
            }
            return true
        } catch {
            return false
        }
    }

    /// Sends every message of every request, then reads confirms until all are settled.
    private func publish(_ batch: [Request], on connection: AMQPConnection, sequence: inout UInt64) throws -> [[PublishOutcome]] {
        var outcomes: [[PublishOutcome?]] = batch.map { Array(repeating: nil, count: $0.messages.count) }
        var slotForTag: [UInt64: (request: Int, message: Int)] = [:]
        let firstTag = sequence + 1
        for (requestIndex, request) in batch.enumerated() {
            for (messageIndex, message) in request.messages.enumerated() {
                try connection.publish(message, exchange: request.exchange, mandatory: true)
                sequence += 1
                slotForTag[sequence] = (requestIndex, messageIndex)
            }
        }
        let lastTag = sequence
        var returned: [String: String] = [:]  // message id → why the broker returned it
        var lowestUnsettled = firstTag
        var unsettled = Int(lastTag - firstTag + 1)

        func settle(_ tag: UInt64, _ outcome: (OutgoingMessage) -> PublishOutcome) {
            guard let slot = slotForTag.removeValue(forKey: tag) else { return }
            let message = batch[slot.request].messages[slot.message]
            outcomes[slot.request][slot.message] = outcome(message)
            unsettled -= 1
        }
        func settle(upTo tag: UInt64, multiple: Bool, _ outcome: (OutgoingMessage) -> PublishOutcome) {
            if multiple {
                var next = lowestUnsettled
                while next <= min(tag, lastTag) { settle(next, outcome); next += 1 }
            } else {
                settle(tag, outcome)
            }
            while lowestUnsettled <= lastTag && slotForTag[lowestUnsettled] == nil { lowestUnsettled += 1 }
        }

        let deadline = Date().addingTimeInterval(confirmTimeout)
        while unsettled > 0 {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw AMQPError.connection("no publisher confirm within \(Int(confirmTimeout)) s") }
            guard let frame = try connection.waitForFrame(timeout: remaining), frame.frame_type == AMQP_FRAME_METHOD else { continue }
            let method = frame.payload.method
            switch method.id {
            case CRM_BASIC_ACK_METHOD:
                let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                settle(upTo: ack.delivery_tag, multiple: ack.multiple != 0) { message in
                    if let id = message.properties.messageID, let reason = returned[id] { return .rejected(reason: reason) }
                    return .confirmed
                }
            case CRM_BASIC_NACK_METHOD:
                let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                settle(upTo: nack.delivery_tag, multiple: nack.multiple != 0) { _ in .rejected(reason: "the broker refused the message (nack)") }
            case CRM_BASIC_RETURN_METHOD:
                // A returned message is followed by its content and, later, by its ack.
                let details = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                let content = try connection.readMessageContent()
                let reason = "unroutable: \(String(amqpBytes: details.reply_text)) (no queue bound for \(String(amqpBytes: details.routing_key)))"
                returned[content.properties.messageID ?? ""] = reason
            case CRM_CHANNEL_CLOSE_METHOD, CRM_CONNECTION_CLOSE_METHOD:
                throw AMQPError.connection("the broker closed the publishing channel")
            default:
                continue
            }
        }
        return outcomes.map { $0.map { $0 ?? .rejected(reason: "not confirmed") } }
    }
}
