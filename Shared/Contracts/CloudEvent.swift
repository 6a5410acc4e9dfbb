import Foundation

/// A payload that travels on the bus. Its `eventType` is both the CloudEvents `type` and the
/// AMQP routing key: `<context>.<entity>.<past-tense verb>.v<N>`.
public protocol EventPayload: Codable, Sendable {
    static var eventType: String { get }
}

/// A CloudEvents 1.0 event in structured JSON mode, with Dealer CRM's extension attributes.
///
/// The attribute names are the CloudEvents wire names, so this type encodes to exactly the JSON
/// an outside publisher sends (`application/cloudevents+json`).
public struct CloudEvent<Payload: Codable & Sendable>: Codable, Sendable {
    public var specversion: String
    public var id: String
    public var source: String
    public var type: String
    public var time: Date
    public var subject: String?
    public var datacontenttype: String
    public var data: Payload
    /// Extension attributes (lower-case letters and digits only, as CloudEvents requires).
    public var storeid: String?
    public var correlationid: String?
    public var causationid: String?
    public var traceparent: String?

    public init(
        id: String = UUID.random().uuidString.lowercased(),
        source: String,
        type: String,
        time: Date = Date(),
        subject: String? = nil,
        data: Payload,
        storeid: String? = nil,
        correlationid: String? = nil,
        causationid: String? = nil,
        traceparent: String? = nil
    ) {
        self.specversion = "1.0"
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.datacontenttype = "application/json"
        self.data = data
        self.storeid = storeid
        self.correlationid = correlationid
        self.causationid = causationid
        self.traceparent = traceparent
    }
}

extension CloudEvent where Payload: EventPayload {
    /// An event whose `type` is the payload's own event type.
    public init(
        id: String = UUID.random().uuidString.lowercased(),
        source: String,
        time: Date = Date(),
        subject: String? = nil,
        data: Payload,
        storeid: String? = nil,
        correlationid: String? = nil,
        causationid: String? = nil,
        traceparent: String? = nil
    ) {
        self.init(
            id: id, source: source, type: Payload.eventType, time: time, subject: subject, data: data,
            storeid: storeid, correlationid: correlationid, causationid: causationid, traceparent: traceparent
        )
    }
}

/// The JSON coding every event uses: RFC 3339 times (fractional seconds accepted), sorted keys
/// so that the same event always has the same bytes.
public enum EventCoding {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 timestamp, got \(text)")
            }
            return date
        }
        return decoder
    }
}

/// RFC 3339 timestamps, always written in UTC with milliseconds; read with or without them and
/// with any offset, since outside publishers write both.
public enum RFC3339 {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()

    public static func string(from date: Date) -> String {
        withFraction.format(date)
    }

    public static func date(from text: String) -> Date? {
        if let date = try? withFraction.parse(text) { return date }
        if let date = try? withoutFraction.parse(text) { return date }
        // Offsets such as +08:00, which the format styles above may not read on every platform.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".")
            ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
