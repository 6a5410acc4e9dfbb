import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceKit

/// Alibaba Cloud Short Message Service (阿里云短信服务), the provider for production
/// (`CRM_SMS_PROVIDER=aliyun`, M5): its `SendSms` operation, API version 2017-05-25, RPC style.
///
/// Each try is `POST <endpoint>` with a form body (`application/x-www-form-urlencoded`) of the
/// common parameters (`AccessKeyId`, `Action=SendSms`, `Format=JSON`, `RegionId`,
/// `SignatureMethod=HMAC-SHA1`, `SignatureNonce` — new per try —, `SignatureVersion=1.0`,
/// `Timestamp` in UTC, `Version=2017-05-25`, `Signature` — `AliyunRPCSignature`) and the
/// operation's: `PhoneNumbers` (one mobile), `SignName`, `TemplateCode`, `TemplateParam` (the
/// variables as JSON) and `OutId` — the message's idempotency key, the same on every retry; the
/// provider echoes it in its delivery receipt (`out_id`), which is how a receipt finds its message.
///
/// The answer is JSON: `{"Code":"OK","Message":"OK","BizId":"…","RequestId":"…"}` when accepted;
/// another `Code` (`isv.MOBILE_NUMBER_ILLEGAL`, `isv.TEMPLATE_MISSING_PARAMETERS` …) refuses the
/// message for good, except throttling and system errors (`isv.BUSINESS_LIMIT_CONTROL`,
/// `isp.SYSTEM_ERROR`, `Throttling*`, `ServiceUnavailable`, `InternalError`) and any 5xx, timeout
/// or broken connection, which are tried again with the same `OutId`.
///
/// Aliyun itself does not promise to refuse a second `SendSms` with an `OutId` it has seen, so a
/// retry after a try whose outcome is unknown first asks `QuerySendDetails` (`PhoneNumber`,
/// `SendDate` — the day in Beijing time —, `PageSize=50`, `CurrentPage=1`) for the mobile's
/// messages of the day: one whose `OutId` is the key means the first try got through, and the
/// message counts as sent without a second `SendSms`. A lookup that fails leaves the message
/// for a later retry rather than sending blind.
struct AliyunSmsProvider: SmsProvider {
    let name = "aliyun"
    let endpoint: URL
    let accessKeyId: String
    let accessKeySecret: String
    let signName: String
    let region: String
    let timeout: Duration

    /// Provider codes that say "not now" rather than "never".
    static func isTransient(_ code: String) -> Bool {
        code == "isv.BUSINESS_LIMIT_CONTROL" || code == "isp.SYSTEM_ERROR" || code.hasPrefix("Throttling")
            || code == "ServiceUnavailable" || code == "InternalError"
    }

    /// The signed form body of one call of `action` with its own `parameters`.
    func body(action: String, _ parameters: [String: String], nonce: String = UUID().uuidString.lowercased(), at date: Date = Date()) -> String {
        var all = parameters
        all.merge([
            "AccessKeyId": accessKeyId, "Action": action, "Format": "JSON", "RegionId": region,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce, "SignatureVersion": "1.0",
            "Timestamp": AliyunRPCSignature.timestamp(date), "Version": "2017-05-25",
        ]) { _, common in common }
        return AliyunRPCSignature.signedQuery(method: "POST", parameters: all, accessKeySecret: accessKeySecret)
    }

    /// One call: the HTTP status and the JSON answer; throws on a timeout or a broken connection.
    private func call(action: String, _ parameters: [String: String]) async throws -> (status: UInt, json: [String: Any]) {
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body(action: action, parameters)))
        let seconds = timeout.components.seconds, millis = timeout.components.attoseconds / 1_000_000_000_000_000
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(seconds * 1000 + millis))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        return (response.status.code, json)
    }

    /// Whether Aliyun already has the message of `key` for `mobile` today (Beijing time):
    /// `QuerySendDetails`, matched by `OutId`. Nil when the lookup itself failed.
    func alreadySent(key: String, mobile: String, now: Date = Date()) async -> Bool? {
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "Asia/Shanghai")
        day.dateFormat = "yyyyMMdd"
        do {
            let (status, json) = try await call(action: "QuerySendDetails", [
                "PhoneNumber": mobile, "SendDate": day.string(from: now), "PageSize": "50", "CurrentPage": "1",
            ])
            guard status < 300, json["Code"] as? String == "OK" else { return nil }
            let details = (json["SmsSendDetailDTOs"] as? [String: Any])?["SmsSendDetailDTO"] as? [[String: Any]] ?? []
            return details.contains { $0["OutId"] as? String == key }
        } catch {
            return nil
        }
    }

    func send(_ message: SmsOutgoing) async -> SmsProviderResult {
        guard let code = message.templateCode, !code.isEmpty else {
            return .rejected(code: "NoTemplateCode", message: SmsReason.noTemplateCode)
        }
        if message.isRetry {
            switch await alreadySent(key: message.key, mobile: message.mobile) {
            case true?: return .accepted(code: "OK", providerId: nil)
            case nil: return .transient(code: nil, message: "QuerySendDetails did not answer; not sending blind")
            case false?: break
            }
        }
        do {
            let (status, json) = try await call(action: "SendSms", [
                "PhoneNumbers": message.mobile, "SignName": signName, "TemplateCode": code, "TemplateParam": message.params,
                "OutId": message.key,
            ])
            let answer = json["Code"] as? String
            let text = json["Message"] as? String ?? ""
            if status >= 500 { return .transient(code: answer ?? "HTTP \(status)", message: text) }
            guard let answer else { return .transient(code: "HTTP \(status)", message: "an answer without Code") }
            if answer == "OK" { return .accepted(code: answer, providerId: json["BizId"] as? String) }
            if Self.isTransient(answer) { return .transient(code: answer, message: text) }
            return .rejected(code: answer, message: text)
        } catch {
            // A timeout may have reached the provider: the retry looks the OutId up first.
            return .transient(code: nil, message: "\(error)".prefix(200).description)
        }
    }
}
