import Contracts
import Foundation
import Logging

public enum LogFormat: String, Sendable {
    case json
    case text
}

/// Sets up swift-log once per process: JSON lines for containers, readable text for terminals.
public enum LoggingSetup {
    public static func bootstrap(format: LogFormat, level: Logger.Level, service: String) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label, service: service)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// One JSON object per line on standard output: `time`, `level`, `service`, `logger`, `message`
/// and every metadata field (request id, store id, trace id …) at the top level.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let service: String
    private static let output = FileHandle.standardOutput
    private static let lock = NSLock()

    public init(label: String, service: String) {
        self.label = label
        self.service = service
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
        source: String, file: String, function: String, line: UInt
    ) {
        var fields: [String: Any] = [
            "time": RFC3339.string(from: Date()), "level": level.rawValue, "service": service,
            "logger": label, "message": message.description,
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = Self.plain(value)
        }
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.lock.lock()
        Self.output.write(data)
        Self.lock.unlock()
    }

    private static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(plain)
        case .dictionary(let values): return values.mapValues(plain)
        }
    }
}
