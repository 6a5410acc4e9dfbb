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

    /// The signed form body of one try.
    func body(for message: SmsOutgoing, nonce: String = UUID().uuidString.lowercased(), at date: Date = Date()) -> String {
        let parameters: [String: String] = [
            "AccessKeyId": accessKeyId, "Action": "SendSms", "Format": "JSON", "RegionId": region,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce, "SignatureVersion": "1.0",
            "Timestamp": AliyunRPCSignature.timestamp(date), "Version": "2017-05-25",
            "PhoneNumbers": message.mobile, "SignName": signName, "TemplateCode": message.templateCode ?? "",
            "TemplateParam": message.params, "OutId": message.key,
        ]
        return AliyunRPCSignature.signedQuery(method: "POST", parameters: parameters, accessKeySecret: accessKeySecret)
    }

    func send(_ message: SmsOutgoing) async -> SmsProviderResult {
        guard let code = message.templateCode, !code.isEmpty else {
            return .rejected(code: "NoTemplateCode", message: SmsReason.noTemplateCode)
        }
        _ = code
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body(for: message)))
        let seconds = timeout.components.seconds, millis = timeout.components.attoseconds / 1_000_000_000_000_000
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(seconds * 1000 + millis))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
            let answer = json["Code"] as? String
            let text = json["Message"] as? String ?? ""
            if response.status.code >= 500 { return .transient(code: answer ?? "HTTP \(response.status.code)", message: text) }
            guard let answer else { return .transient(code: "HTTP \(response.status.code)", message: "an answer without Code") }
            if answer == "OK" { return .accepted(code: answer, providerId: json["BizId"] as? String) }
            if Self.isTransient(answer) { return .transient(code: answer, message: text) }
            return .rejected(code: answer, message: text)
        } catch {
            // A timeout may have reached the provider: the retry carries the same OutId.
            return .transient(code: nil, message: "\(error)".prefix(200).description)
        }
    }
}
