import CRabbitMQ
import Foundation

/// One AMQP 0-9-1 connection with one channel, over rabbitmq-c.
///
/// rabbitmq-c blocks and is not thread-safe, so an `AMQPConnection` belongs to exactly one thread
/// for its whole life (see `AMQPWorkerThread`); it is never touched from Swift's cooperative pool.
/// Every method throws `AMQPError` when the broker or the socket says no; after that the
/// connection is unusable and its owner opens a new one.
final class AMQPConnection {
    private let state: amqp_connection_state_t
    private(set) var isOpen = false
    let channel: amqp_channel_t = 1

    /// Opens a socket, logs in and opens channel 1.
    ///
    /// Once `state` is set, a failure below only throws: `deinit` still runs for a class whose
    /// stored properties are initialised, and it destroys the connection state exactly once.
    init(url: AMQPURL, heartbeatSeconds: Int32 = 10, connectTimeout: TimeInterval = 5) throws {
        guard let state = amqp_new_connection() else { throw AMQPError.connection("cannot allocate a connection") }
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else {
            throw AMQPError.connection("cannot allocate a socket")
        }
        var timeout = timeval(interval: connectTimeout)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError.connection("cannot reach \(url.host):\(url.port): \(Self.describe(status: status))")
        }
        let login = crm_amqp_login_plain(state, url.virtualHost, 0, 131_072, heartbeatSeconds, url.user, url.password)
        if let error = Self.error(from: login, doing: "log in as \(url.user)") {
            throw error
        }
        amqp_channel_open(state, channel)
        if let error = Self.error(from: amqp_get_rpc_reply(state), doing: "open a channel") {
            throw error
        }
        isOpen = true
    }

    deinit {
        if isOpen {
            amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
            amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(state)
    }

    /// Closes politely; safe to call twice.
    func close() {
        guard isOpen else { return }
        isOpen = false
        amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
        amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }

    // MARK: Topology

    func declareExchange(_ name: String, type: String, durable: Bool = true) throws {
        name.withAMQPBytes { exchange in
            type.withAMQPBytes { kind in
                _ = amqp_exchange_declare(state, channel, exchange, kind, 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
            }
        }
        try checkReply(doing: "declare exchange \(name)")
    }

    func declareQueue(_ name: String, durable: Bool = true, arguments: [String: AMQPFieldValue] = [:]) throws {
        name.withAMQPBytes { queue in
            withAMQPTable(arguments) { table in
                _ = amqp_queue_declare(state, channel, queue, 0, durable ? 1 : 0, 0, 0, table)
            }
        }
        try checkReply(doing: "declare queue \(name)")
    }

    func bindQueue(_ queue: String, exchange: String, routingKey: String) throws {
        queue.withAMQPBytes { queueBytes in
            exchange.withAMQPBytes { exchangeBytes in
                routingKey.withAMQPBytes { keyBytes in
                    _ = amqp_queue_bind(state, channel, queueBytes, exchangeBytes, keyBytes, amqp_empty_table)
                }
            }
        }
        try checkReply(doing: "bind \(queue) to \(exchange) for \(routingKey)")
    }

    /// The number of messages ready in a queue (a passive declare: it fails if the queue is missing).
    func messageCount(queue: String) throws -> Int {
        let ok = queue.withAMQPBytes { name in
            amqp_queue_declare(state, channel, name, 1, 0, 0, 0, amqp_empty_table)
        }
        try checkReply(doing: "inspect queue \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    func deleteQueue(_ queue: String) throws {
        queue.withAMQPBytes { name in _ = amqp_queue_delete(state, channel, name, 0, 0) }
        try checkReply(doing: "delete queue \(queue)")
    }

    func purgeQueue(_ queue: String) throws {
        queue.withAMQPBytes { name in _ = amqp_queue_purge(state, channel, name) }
        try checkReply(doing: "purge queue \(queue)")
    }

    // MARK: Publishing

    /// Puts the channel into publisher-confirm mode: from now on every publish is acknowledged.
    func enableConfirms() throws {
        amqp_confirm_select(state, channel)
        try checkReply(doing: "enable publisher confirms")
    }

    /// Sends one message; with `mandatory`, an unroutable message comes back as `basic.return`.
    func publish(_ message: OutgoingMessage, exchange: String, mandatory: Bool) throws {
        let status: Int32 = exchange.withAMQPBytes { exchangeBytes in
            message.routingKey.withAMQPBytes { keyBytes in
                message.properties.withBasicProperties { properties in
                    message.body.withUnsafeBytes { raw in
                        let body = amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                        return amqp_basic_publish(state, channel, exchangeBytes, keyBytes, mandatory ? 1 : 0, 0, properties, body)
                    }
                }
            }
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError.connection("publish failed: \(Self.describe(status: status))")
        }
    }

    /// Waits up to `timeout` for the next frame the broker sends on this connection. `nil` means
    /// the time passed with nothing to read (heartbeats are serviced while waiting).
    func waitForFrame(timeout: TimeInterval) throws -> amqp_frame_t? {
        var frame = amqp_frame_t()
        var wait = timeval(interval: timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError.connection("waiting for the broker failed: \(Self.describe(status: status))")
        }
        return frame
    }

    /// Reads the content (header and body frames) that follows a `basic.return` or `basic.get-ok`.
    func readMessageContent() throws -> ReceivedMessage {
        var message = amqp_message_t()
        let reply = amqp_read_message(state, channel, &message, 0)
        if let error = Self.error(from: reply, doing: "read a message") { throw error }
        defer { amqp_destroy_message(&message) }
        return ReceivedMessage(properties: MessageProperties(message.properties), body: Data(amqpBytes: message.body))
    }

    // MARK: Consuming

    func setPrefetch(_ count: UInt16) throws {
        amqp_basic_qos(state, channel, 0, count, 0)
        try checkReply(doing: "set prefetch \(count)")
    }

    func startConsuming(queue: String, consumerTag: String) throws {
        queue.withAMQPBytes { queueBytes in
            consumerTag.withAMQPBytes { tag in
                _ = amqp_basic_consume(state, channel, queueBytes, tag, 0, 0, 0, amqp_empty_table)
            }
        }
        try checkReply(doing: "consume from \(queue)")
    }

    /// Ends the subscription `consumerTag` (`basic.cancel`): the broker sends no more
    /// deliveries; those delivered and not yet settled stay with this channel until settled.
    func stopConsuming(consumerTag: String) throws {
        consumerTag.withAMQPBytes { tag in _ = amqp_basic_cancel(state, channel, tag) }
        try checkReply(doing: "cancel consumer \(consumerTag)")
    }

    /// The outcome of waiting for a delivery.
    enum ConsumeResult {
        case delivery(Delivery)
        case timedOut
    }

    /// Waits up to `timeout` for the next delivery.
    func nextDelivery(timeout: TimeInterval) throws -> ConsumeResult {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var wait = timeval(interval: timeout)
        let reply = amqp_consume_message(state, &envelope, &wait, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            defer { amqp_destroy_envelope(&envelope) }
            return .delivery(Delivery(
                deliveryTag: envelope.delivery_tag,
                redelivered: envelope.redelivered != 0,
                exchange: String(amqpBytes: envelope.exchange),
                routingKey: String(amqpBytes: envelope.routing_key),
                message: ReceivedMessage(
                    properties: MessageProperties(envelope.message.properties),
                    body: Data(amqpBytes: envelope.message.body)
                )
            ))
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return .timedOut
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            // A frame other than a delivery arrived: most likely the broker closing the channel.
            let frame = try waitForFrame(timeout: 0.1)
            if let frame, frame.frame_type == AMQP_FRAME_METHOD,
               frame.payload.method.id == CRM_CHANNEL_CLOSE_METHOD || frame.payload.method.id == CRM_CONNECTION_CLOSE_METHOD {
                throw AMQPError.connection("the broker closed the channel")
            }
            return .timedOut
        default:
            throw Self.error(from: reply, doing: "consume") ?? AMQPError.connection("consume failed")
        }
    }

    /// Whether rabbitmq-c already holds received data, so the next read will not wait.
    var hasBufferedData: Bool {
        amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0
    }

    func ack(deliveryTag: UInt64, multiple: Bool = false) throws {
        let status = amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw AMQPError.connection("ack failed: \(Self.describe(status: status))") }
    }

    func nack(deliveryTag: UInt64, requeue: Bool) throws {
        let status = amqp_basic_nack(state, channel, deliveryTag, 0, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw AMQPError.connection("nack failed: \(Self.describe(status: status))") }
    }

    /// Takes one message from a queue without a subscription (`basic.get`), acknowledging it.
    func get(queue: String) throws -> ReceivedMessage? {
        let reply = queue.withAMQPBytes { name in amqp_basic_get(state, channel, name, 1) }
        if let error = Self.error(from: reply, doing: "get from \(queue)") { throw error }
        guard reply.reply.id == CRM_BASIC_GET_OK_METHOD else { return nil }
        return try readMessageContent()
    }

    // MARK: Errors

    private func checkReply(doing action: String) throws {
        if let error = Self.error(from: amqp_get_rpc_reply(state), doing: action) { throw error }
    }

    static func describe(status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    /// Turns an RPC reply into an error, or `nil` when it is normal.
    static func error(from reply: amqp_rpc_reply_t, doing action: String) -> AMQPError? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_NONE:
            return .connection("cannot \(action): missing RPC reply")
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return .connection("cannot \(action): \(describe(status: reply.library_error))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == CRM_CHANNEL_CLOSE_METHOD, let decoded = reply.reply.decoded {
                let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return .broker(code: Int(close.reply_code), text: "cannot \(action): \(String(amqpBytes: close.reply_text))")
            }
            if reply.reply.id == CRM_CONNECTION_CLOSE_METHOD, let decoded = reply.reply.decoded {
                let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return .broker(code: Int(close.reply_code), text: "cannot \(action): \(String(amqpBytes: close.reply_text))")
            }
            return .connection("cannot \(action): unexpected server method \(reply.reply.id)")
        default:
            return .connection("cannot \(action): unknown reply")
        }
    }
}

/// What can go wrong talking to the broker.
public enum AMQPError: Error, CustomStringConvertible, Sendable {
    /// The socket or the protocol failed; the connection must be replaced.
    case connection(String)
    /// The broker refused an operation (e.g. 406 PRECONDITION_FAILED, 404 NOT_FOUND).
    case broker(code: Int, text: String)

    public var description: String {
        switch self {
        case .connection(let text): return text
        case .broker(let code, let text): return "\(text) (\(code))"
        }
    }
}

extension timeval {
    init(interval: TimeInterval) {
        let whole = max(0, interval)
        self.init(tv_sec: Int(whole), tv_usec: Int((whole - Double(Int(whole))) * 1_000_000))
    }
}
