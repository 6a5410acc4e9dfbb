import CRabbitMQ
import Foundation

/// A value in an AMQP field table (queue arguments, message headers). Only the kinds Dealer CRM
/// writes; reading turns every other kind into its text form.
public enum AMQPFieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    var text: String {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .bool(let value): return String(value)
        }
    }
}

/// The AMQP `basic` properties Dealer CRM sets and reads.
public struct MessageProperties: Sendable, Equatable {
    public var contentType: String?
    public var messageID: String?
    public var type: String?
    public var timestamp: Date?
    public var appID: String?
    public var persistent: Bool
    public var headers: [String: AMQPFieldValue]

    public init(
        contentType: String? = nil, messageID: String? = nil, type: String? = nil, timestamp: Date? = nil,
        appID: String? = nil, persistent: Bool = true, headers: [String: AMQPFieldValue] = [:]
    ) {
        self.contentType = contentType
        self.messageID = messageID
        self.type = type
        self.timestamp = timestamp
        self.appID = appID
        self.persistent = persistent
        self.headers = headers
    }

    init(_ properties: amqp_basic_properties_t) {
        let flags = properties._flags
        func text(_ flag: amqp_flags_t, _ bytes: amqp_bytes_t) -> String? {
            flags & flag != 0 ? String(amqpBytes: bytes) : nil
        }
        contentType = text(CRM_BASIC_CONTENT_TYPE_FLAG, properties.content_type)
        messageID = text(CRM_BASIC_MESSAGE_ID_FLAG, properties.message_id)
        type = text(CRM_BASIC_TYPE_FLAG, properties.type)
        appID = text(CRM_BASIC_APP_ID_FLAG, properties.app_id)
        timestamp = flags & CRM_BASIC_TIMESTAMP_FLAG != 0
            ? Date(timeIntervalSince1970: TimeInterval(properties.timestamp)) : nil
        persistent = flags & CRM_BASIC_DELIVERY_MODE_FLAG != 0 && properties.delivery_mode == 2
        headers = flags & CRM_BASIC_HEADERS_FLAG != 0 ? Self.read(properties.headers) : [:]
    }

    private static func read(_ table: amqp_table_t) -> [String: AMQPFieldValue] {
        var result: [String: AMQPFieldValue] = [:]
        for index in 0..<Int(table.num_entries) {
            let entry = table.entries[index]
            let key = String(amqpBytes: entry.key)
            let value = entry.value
            switch value.kind {
            case UInt8(AMQP_FIELD_KIND_UTF8.rawValue), UInt8(AMQP_FIELD_KIND_BYTES.rawValue):
                result[key] = .string(String(amqpBytes: value.value.bytes))
            case UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue): result[key] = .bool(value.value.boolean != 0)
            case UInt8(AMQP_FIELD_KIND_I8.rawValue): result[key] = .int(Int64(value.value.i8))
            case UInt8(AMQP_FIELD_KIND_U8.rawValue): result[key] = .int(Int64(value.value.u8))
            case UInt8(AMQP_FIELD_KIND_I16.rawValue): result[key] = .int(Int64(value.value.i16))
            case UInt8(AMQP_FIELD_KIND_U16.rawValue): result[key] = .int(Int64(value.value.u16))
            case UInt8(AMQP_FIELD_KIND_I32.rawValue): result[key] = .int(Int64(value.value.i32))
            case UInt8(AMQP_FIELD_KIND_U32.rawValue): result[key] = .int(Int64(value.value.u32))
            case UInt8(AMQP_FIELD_KIND_I64.rawValue): result[key] = .int(value.value.i64)
            case UInt8(AMQP_FIELD_KIND_U64.rawValue), UInt8(AMQP_FIELD_KIND_TIMESTAMP.rawValue):
                result[key] = .int(Int64(truncatingIfNeeded: value.value.u64))
            default:
                continue  // tables, arrays, decimals: nothing Dealer CRM reads from headers
            }
        }
        return result
    }

    /// Lends rabbitmq-c a C view of these properties for the duration of `body`.
    func withBasicProperties<Result>(_ body: (UnsafePointer<amqp_basic_properties_t>) -> Result) -> Result {
        var properties = amqp_basic_properties_t()
        var keepAlive: [UnsafeMutablePointer<CChar>] = []
        defer { keepAlive.forEach { free($0) } }
        func bytes(_ text: String) -> amqp_bytes_t {
            let copy = strdup(text)!
            keepAlive.append(copy)
            return amqp_bytes_t(len: strlen(copy), bytes: UnsafeMutableRawPointer(copy))
        }
        if let contentType { properties._flags |= CRM_BASIC_CONTENT_TYPE_FLAG; properties.content_type = bytes(contentType) }
        if let messageID { properties._flags |= CRM_BASIC_MESSAGE_ID_FLAG; properties.message_id = bytes(messageID) }
        if let type { properties._flags |= CRM_BASIC_TYPE_FLAG; properties.type = bytes(type) }
        if let appID { properties._flags |= CRM_BASIC_APP_ID_FLAG; properties.app_id = bytes(appID) }
        if let timestamp {
            properties._flags |= CRM_BASIC_TIMESTAMP_FLAG
            properties.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970))
        }
        properties._flags |= CRM_BASIC_DELIVERY_MODE_FLAG
        properties.delivery_mode = persistent ? 2 : 1
        if headers.isEmpty {
            return body(&properties)
        }
        return withAMQPTable(headers) { table in
            properties._flags |= CRM_BASIC_HEADERS_FLAG
            properties.headers = table
            return body(&properties)
        }
    }
}

/// A message to publish.
public struct OutgoingMessage: Sendable {
    public var routingKey: String
    public var properties: MessageProperties
    public var body: Data

    public init(routingKey: String, properties: MessageProperties, body: Data) {
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }
}

/// A message as the broker handed it over.
public struct ReceivedMessage: Sendable {
    public var properties: MessageProperties
    public var body: Data
}

/// A message delivered to a consumer, to be acknowledged by its tag.
public struct Delivery: Sendable {
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var message: ReceivedMessage

    /// How many times a quorum queue has handed this message out before (`x-delivery-count`).
    public var previousDeliveries: Int {
        if case .int(let count)? = message.properties.headers["x-delivery-count"] { return Int(count) }
        return 0
    }
}

// MARK: - C memory helpers

/// Builds an `amqp_table_t` whose memory lives exactly as long as `body` runs.
func withAMQPTable<Result>(_ fields: [String: AMQPFieldValue], _ body: (amqp_table_t) -> Result) -> Result {
    if fields.isEmpty { return body(amqp_empty_table) }
    let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: fields.count)
    var strings: [UnsafeMutablePointer<CChar>] = []
    defer {
        strings.forEach { free($0) }
        entries.deallocate()
    }
    func bytes(_ text: String) -> amqp_bytes_t {
        let copy = strdup(text)!
        strings.append(copy)
        return amqp_bytes_t(len: strlen(copy), bytes: UnsafeMutableRawPointer(copy))
    }
    for (index, (key, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(text)
        case .int(let number):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = number
        case .bool(let flag):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = flag ? 1 : 0
        }
        entries[index] = amqp_table_entry_t(key: bytes(key), value: field)
    }
    return body(amqp_table_t(num_entries: Int32(fields.count), entries: entries))
}

extension String {
    /// Lends rabbitmq-c the UTF-8 bytes of this string, which it does not copy.
    func withAMQPBytes<Result>(_ body: (amqp_bytes_t) -> Result) -> Result {
        var copy = self
        return copy.withUTF8 { buffer in
            body(amqp_bytes_t(len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress)))
        }
    }

    init(amqpBytes bytes: amqp_bytes_t) {
        guard let base = bytes.bytes, bytes.len > 0 else { self = ""; return }
        self = String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }
}

extension Data {
    init(amqpBytes bytes: amqp_bytes_t) {
        guard let base = bytes.bytes, bytes.len > 0 else { self = Data(); return }
        self = Data(bytes: base, count: bytes.len)
    }
}
