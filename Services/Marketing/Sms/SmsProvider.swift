import Foundation
import ServiceKit

/// One message as a provider receives it (M5).
struct SmsOutgoing: Sendable {
    /// The idempotency key (阿里云 `OutId`): the same for every try of one recipient's message.
    var key: String
    var mobile: String
    /// The rendered text (what the file provider writes; the Aliyun provider sends the
    /// template code and `params` instead, and the provider renders its registered template).
    var content: String
    /// The template's code at the provider (阿里云 `TemplateCode`).
    var templateCode: String?
    /// The variables' values as a JSON object (阿里云 `TemplateParam`).
    var params: String
    /// A later try of a message whose earlier try may have reached the provider (a timeout, a
    /// 5xx, a dispatcher that died holding it): the Aliyun provider looks the key up first.
    var isRetry: Bool = false
    /// For a retry: the store day (`yyyy-MM-dd`) of the first try, where a lookup of the key starts.
    var firstTryDay: String? = nil
}

/// What a provider said to one try.
enum SmsProviderResult: Sendable, Equatable {
    /// Accepted: the provider's code (`OK`) and its id of the message (阿里云 `BizId`).
    case accepted(code: String, providerId: String?)
    /// Refused for good (a bad number, an unapproved template): the provider's code and message.
    case rejected(code: String, message: String)
    /// Not known to have arrived (a timeout, a 5xx, throttling): try again with the same key.
    case transient(code: String?, message: String)
}

/// An SMS gateway (M5: 短信平台's provider adapter). Implementations never throw: every
/// outcome is a `SmsProviderResult`, and a try that may have reached the provider is
/// `transient`, so that the dispatcher sends it again under the same key — the provider (or its
/// emulator) recognises the key and does not send the message twice.
protocol SmsProvider: Sendable {
    /// `aliyun` or `file`, for the log.
    var name: String { get }
    func send(_ message: SmsOutgoing) async -> SmsProviderResult
}

/// The SMS settings of crm-marketing, from its environment (M5):
///
/// | variable | meaning |
/// |---|---|
/// | `CRM_SMS_PROVIDER` | `aliyun` (Alibaba Cloud SMS, `SendSms` API 2017-05-25) or `file`; default `file` in development, required outside it |
/// | `CRM_SMS_ENDPOINT` | aliyun: the API's URL, default `https://dysmsapi.aliyuncs.com/` (tests point it at the emulator) |
/// | `CRM_SMS_ACCESS_KEY_ID`, `CRM_SMS_ACCESS_KEY_SECRET` | aliyun: the RAM user's AccessKey pair; required, the secret never a value this repository knows |
/// | `CRM_SMS_SIGN_NAME` | aliyun: the approved signature (短信签名), e.g. `华星汽车` |
/// | `CRM_SMS_REGION` | aliyun: `RegionId`, default `cn-hangzhou` |
/// | `CRM_SMS_FILE` | file: where messages are appended as JSON lines; default `$TMPDIR/crm-sms-messages.jsonl` |
/// | `CRM_SMS_CALLBACK_TOKEN` | the shared secret the provider's receipt and reply pushes carry (`?token=`); required outside development, at least 16 characters |
/// | `CRM_SMS_TIMEOUT_MS` | how long one try may take, default 10000 |
/// | `CRM_SMS_MAX_ATTEMPTS` | tries before a message fails, default 5 |
/// | `CRM_SMS_RETRY_MS` | the pause before a retry, default 30000 |
/// | `CRM_SMS_DISPATCH_MS` | how often the dispatcher looks for due messages, default 2000 |
struct SmsConfiguration: Sendable {
    enum ProviderKind: String, Sendable { case aliyun, file }

    var provider: ProviderKind
    var endpoint: URL
    var accessKeyId: String
    var accessKeySecret: String
    var signName: String
    var region: String
    var file: String
    var callbackToken: String
    var timeout: Duration
    var maxAttempts: Int
    var retryPause: Duration
    var interval: Duration

    /// Reads the settings; a missing or bad one throws `ConfigurationError` naming it.
    init(development: Bool, variables: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let text = variables[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func required(_ name: String) throws -> String {
            guard let text = value(name) else { throw ConfigurationError.invalid(name: name, reason: "is required with CRM_SMS_PROVIDER=aliyun") }
            return text
        }
        func milliseconds(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Duration {
            guard let text = value(name) else { return .milliseconds(fallback) }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError.invalid(name: name, reason: "expected whole milliseconds from \(range.lowerBound) to \(range.upperBound), got \(text)")
            }
            return .milliseconds(number)
        }
        switch value("CRM_SMS_PROVIDER")?.lowercased() {
        case "aliyun": provider = .aliyun
        case "file": provider = .file
        case nil where development: provider = .file
        case nil: throw ConfigurationError.invalid(name: "CRM_SMS_PROVIDER", reason: "is required (aliyun or file) outside CRM_ENVIRONMENT=development")
        case let other?: throw ConfigurationError.invalid(name: "CRM_SMS_PROVIDER", reason: "expected aliyun or file, got \(other)")
        }
        let endpointText = value("CRM_SMS_ENDPOINT") ?? "https://dysmsapi.aliyuncs.com/"
        guard let endpoint = URL(string: endpointText), ["http", "https"].contains(endpoint.scheme ?? "") else {
            throw ConfigurationError.invalid(name: "CRM_SMS_ENDPOINT", reason: "expected an http(s) URL, got \(endpointText)")
        }
        self.endpoint = endpoint
        region = value("CRM_SMS_REGION") ?? "cn-hangzhou"
        if provider == .aliyun {
            accessKeyId = try required("CRM_SMS_ACCESS_KEY_ID")
            accessKeySecret = try required("CRM_SMS_ACCESS_KEY_SECRET")
            signName = try required("CRM_SMS_SIGN_NAME")
            if !development, KnownSecrets.contains(accessKeySecret) {
                throw ConfigurationError.invalid(name: "CRM_SMS_ACCESS_KEY_SECRET", reason: "is a value written in the Dealer CRM repository; set this installation's own")
            }
        } else {
            accessKeyId = ""; accessKeySecret = ""; signName = value("CRM_SMS_SIGN_NAME") ?? "经销商CRM"
        }
        file = value("CRM_SMS_FILE") ?? FileManager.default.temporaryDirectory.appendingPathComponent("crm-sms-messages.jsonl").path
        if let token = value("CRM_SMS_CALLBACK_TOKEN") {
            if !development, token.count < 16 || KnownSecrets.contains(token) {
                throw ConfigurationError.invalid(name: "CRM_SMS_CALLBACK_TOKEN", reason: "must be at least 16 characters of this installation's own")
            }
            callbackToken = token
        } else if development {
            callbackToken = "development-sms-callback-token"
        } else {
            throw ConfigurationError.invalid(name: "CRM_SMS_CALLBACK_TOKEN", reason: "is required (no default outside CRM_ENVIRONMENT=development)")
        }
        timeout = try milliseconds("CRM_SMS_TIMEOUT_MS", default: 10_000, range: 100...120_000)
        maxAttempts = Int(try value("CRM_SMS_MAX_ATTEMPTS").map { text -> Int in
            guard let number = Int(text), (1...20).contains(number) else {
                throw ConfigurationError.invalid(name: "CRM_SMS_MAX_ATTEMPTS", reason: "expected a whole number from 1 to 20, got \(text)")
            }
            return number
        } ?? 5)
        retryPause = try milliseconds("CRM_SMS_RETRY_MS", default: 30_000, range: 10...3_600_000)
        interval = try milliseconds("CRM_SMS_DISPATCH_MS", default: 2000, range: 50...600_000)
    }

    /// The provider the settings name.
    func makeProvider() -> any SmsProvider {
        switch provider {
        case .aliyun:
            AliyunSmsProvider(
                endpoint: endpoint, accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, signName: signName, region: region,
                timeout: timeout)
        case .file:
            FileSmsProvider(path: file, signName: signName)
        }
    }
}

/// The development provider (`CRM_SMS_PROVIDER=file`, what `./crm up` uses): appends each
/// message to a file as one JSON line — key, mobile, text (with the signature, 【…】), time —
/// and accepts it; a key already in the file is accepted again without a second line.
actor FileSmsProvider: SmsProvider {
    nonisolated let name = "file"
    let path: String
    let signName: String
    private var written: Set<String>?

    init(path: String, signName: String) {
        self.path = path
        self.signName = signName
    }

    func send(_ message: SmsOutgoing) async -> SmsProviderResult {
        if written == nil {
            let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            written = Set(existing.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["key"] as? String
            })
        }
        if written!.contains(message.key) { return .accepted(code: "OK", providerId: "file-\(message.key)") }
        let line: [String: String] = [
            "key": message.key, "mobile": message.mobile, "text": "【\(signName)】\(message.content)",
            "templateCode": message.templateCode ?? "", "params": message.params, "at": ISO8601DateFormatter().string(from: Date()),
        ]
        do {
            let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) + Data("\n".utf8)
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } catch {
            return .transient(code: nil, message: "could not write \(path): \(error)")
        }
        written!.insert(message.key)
        return .accepted(code: "OK", providerId: "file-\(message.key)")
    }
}
