import Contracts
import Foundation

/// A CloudEvent as it arrived, before its data is decoded into a payload type.
///
/// Outside publishers use whichever content mode their SDK defaults to, so both are read:
/// - structured mode: the body is the whole event as JSON (`application/cloudevents+json`);
/// - binary mode: the attributes are AMQP headers (`cloudEvents:id`, `cloudEvents_id`, `ce-id`
///   or `ce_id`, depending on the SDK) and the body is the data.
public struct IncomingEvent: Sendable {
    public var id: String
    public var type: String
    public var source: String
    public var time: Date?
    public var subject: String?
    public var storeid: String?
    public var correlationid: String?
    public var causationid: String?
    public var traceparent: String?
    /// The event's `data` as JSON, or — in structured mode — the whole event, whose `data`
    /// member is decoded without copying it out first.
    public var data: Data
    private var dataIsInsideEnvelope = false

    /// Reads an event from a message; throws `EventDecodingError` saying what is wrong.
    public init(message: ReceivedMessage) throws {
        let headers = message.properties.headers
        if let attributes = Self.binaryModeAttributes(headers) {
            try self.init(attributes: attributes, data: message.body, fallbackTime: message.properties.timestamp)
        } else {
            let attributes: StructuredAttributes
            do {
                attributes = try JSONDecoder().decode(StructuredAttributes.self, from: message.body)
            } catch {
                throw EventDecodingError(reason: "the body is not a JSON object (structured CloudEvent expected, or ce- headers for binary mode)")
            }
            guard attributes.hasData else { throw EventDecodingError(reason: "the event has no data") }
            try self.init(attributes: attributes.values, data: message.body, fallbackTime: message.properties.timestamp)
            self.dataIsInsideEnvelope = true
        }
    }

    /// Reads a structured-mode event of `expectedType` and its data as `Payload` in one pass
    /// over the JSON — what a consumer does with nearly every delivery, since our publishers
    /// route each event by its type. The general path (`init(message:)`, then `decode`) parses
    /// the body twice: once for the attributes, once for the data.
    ///
    /// Returns nil when the message is not that: binary mode, another type, or anything that
    /// does not read. The caller then takes the general path, which says what is wrong.
    static func readStructured<Payload: Codable & Sendable>(
        _ message: ReceivedMessage, expectedType: String, as payload: Payload.Type
    ) -> (IncomingEvent, CloudEvent<Payload>)? {
        guard binaryModeAttributes(message.properties.headers) == nil,
              let structured = try? EventCoding.makeDecoder().decode(StructuredEvent<Payload>.self, from: message.body),
              let data = structured.data, structured.attributes["type"] == expectedType,
              var incoming = try? IncomingEvent(attributes: structured.attributes, data: message.body, fallbackTime: message.properties.timestamp)
        else { return nil }
        incoming.dataIsInsideEnvelope = true
        return (incoming, incoming.event(with: data))
    }

    /// Whether the message is a CloudEvents batch (`application/cloudevents-batch+json`: a
    /// JSON array of structured events, as `Outbox.appendAsBatch` writes them).
    static func isBatch(_ message: ReceivedMessage) -> Bool {
        message.properties.contentType?.lowercased().hasPrefix(CloudEventContentType.batch) ?? false
    }

    /// Reads a batch whose events are all of `expectedType`, each with its data as `Payload`,
    /// in one pass over the JSON; nil when it does not read that way (the caller then reads
    /// each element the general way, which says what is wrong).
    static func readStructuredBatch<Payload: Codable & Sendable>(
        _ message: ReceivedMessage, expectedType: String, as payload: Payload.Type
    ) -> [(IncomingEvent, CloudEvent<Payload>)]? {
        guard let elements = try? EventCoding.makeDecoder().decode([StructuredEvent<Payload>].self, from: message.body),
              !elements.isEmpty
        else { return nil }
        var read: [(IncomingEvent, CloudEvent<Payload>)] = []
        read.reserveCapacity(elements.count)
        for element in elements {
            guard let data = element.data, element.attributes["type"] == expectedType,
                  // The element's own data is not kept: its handler gets it decoded.
                  let incoming = try? IncomingEvent(attributes: element.attributes, data: Data(), fallbackTime: message.properties.timestamp)
            else { return nil }
            read.append((incoming, incoming.event(with: data)))
        }
        return read
    }

    /// The events of a batch as messages of one structured event each, for the general read.
    /// Throws `EventDecodingError` when the body is not a non-empty JSON array of objects.
    static func batchElements(_ message: ReceivedMessage) throws -> [ReceivedMessage] {
        guard let array = try? JSONSerialization.jsonObject(with: message.body) as? [Any], !array.isEmpty else {
            throw EventDecodingError(reason: "the body is not a non-empty JSON array (a CloudEvents batch, \(CloudEventContentType.batch), expected)")
        }
        var properties = message.properties
        properties.contentType = CloudEventContentType.structured
        return try array.enumerated().map { index, element in
            guard element is [String: Any] else { throw EventDecodingError(reason: "element \(index) of the batch is not a JSON object") }
            return ReceivedMessage(properties: properties, body: try JSONSerialization.data(withJSONObject: element))
        }
    }

    private init(attributes: [String: String], data: Data, fallbackTime: Date?) throws {
        var missing: [String] = []
        func required(_ name: String) -> String {
            guard let value = attributes[name], !value.isEmpty else { missing.append(name); return "" }
            return value
        }
        let specversion = required("specversion")
        id = required("id")
        type = required("type")
        source = required("source")
        guard missing.isEmpty else {
            throw EventDecodingError(reason: "missing CloudEvents attribute(s): \(missing.joined(separator: ", "))")
        }
        guard specversion == "1.0" else { throw EventDecodingError(reason: "unsupported specversion \(specversion); expected 1.0") }
        if let text = attributes["time"] {
            guard let parsed = RFC3339.date(from: text) else { throw EventDecodingError(reason: "time \(text) is not an RFC 3339 timestamp") }
            time = parsed
        } else {
            time = fallbackTime
        }
        if let contentType = attributes["datacontenttype"], !contentType.lowercased().contains("json") {
            throw EventDecodingError(reason: "datacontenttype \(contentType) is not JSON")
        }
        subject = attributes["subject"]
        storeid = attributes["storeid"]
        correlationid = attributes["correlationid"]
        causationid = attributes["causationid"]
        traceparent = attributes["traceparent"]
        self.data = data
    }

    /// The attributes of a binary-mode message, or `nil` if it is not one.
    private static func binaryModeAttributes(_ headers: [String: AMQPFieldValue]) -> [String: String]? {
        let prefixes = ["cloudEvents:", "cloudEvents_", "ce-", "ce_"]
        var attributes: [String: String] = [:]
        for (key, value) in headers {
            guard let prefix = prefixes.first(where: { key.hasPrefix($0) }) else { continue }
            let name = String(key.dropFirst(prefix.count)).lowercased()
            if name == "time", case .int(let seconds) = value {
                attributes[name] = RFC3339.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            } else {
                attributes[name] = value.text
            }
        }
        return attributes["specversion"] == nil ? nil : attributes
    }

    /// The event with its data decoded as `Payload`.
    public func decode<Payload: Codable & Sendable>(_ payload: Payload.Type) throws -> CloudEvent<Payload> {
        let decoded: Payload
        do {
            let decoder = EventCoding.makeDecoder()
            decoded = dataIsInsideEnvelope
                ? try decoder.decode(DataMember<Payload>.self, from: data).data
                : try decoder.decode(Payload.self, from: data)
        } catch let error as DecodingError {
            throw EventDecodingError(reason: "data does not match \(type): \(error.readableDescription)")
        }
        return event(with: decoded)
    }

    /// The event with these attributes and `data`.
    private func event<Payload: Codable & Sendable>(with data: Payload) -> CloudEvent<Payload> {
        CloudEvent(
            id: id, source: source, type: type, time: time ?? Date(), subject: subject, data: data,
            storeid: storeid, correlationid: correlationid, causationid: causationid, traceparent: traceparent)
    }
}

/// Any member name of a structured-mode event's JSON object.
private struct AttributeKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The string attributes of a structured-mode event, and whether it has `data`.
private struct StructuredAttributes: Decodable {
    var values: [String: String] = [:]
    var hasData = false

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AttributeKey.self)
        for key in container.allKeys {
            if key.stringValue == "data" {
                hasData = try !container.decodeNil(forKey: key)
            } else if let text = try? container.decode(String.self, forKey: key) {
                values[key.stringValue] = text
            }
        }
    }
}

/// A structured-mode event read in one pass: its string attributes and its `data` as `Payload`.
private struct StructuredEvent<Payload: Decodable>: Decodable {
    var attributes: [String: String] = [:]
    var data: Payload?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AttributeKey.self)
        for key in container.allKeys {
            if key.stringValue == "data" {
                data = try container.decode(Payload.self, forKey: key)
            } else if let text = try? container.decode(String.self, forKey: key) {
                attributes[key.stringValue] = text
            }
        }
    }
}

/// Reads only the `data` member of a structured-mode event.
private struct DataMember<Payload: Decodable>: Decodable {
    var data: Payload
}

/// Why a message is not an event this service can read. Such a message is dead-lettered at once:
/// retrying cannot make it readable.
public struct EventDecodingError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension DecodingError {
    /// "data.customer.mobile: value missing" rather than a dump of the coding path.
    var readableDescription: String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): value missing"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)): value is null"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(type)"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
