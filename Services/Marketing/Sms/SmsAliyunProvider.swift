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

    /// Whether Aliyun already has the message of `key` for `mobile`: `QuerySendDetails` (which
    /// asks about one day, Beijing time) for each day from the first try's (`since`, `yyyy-MM-dd`;
    /// nil: today) to today — a try that timed out at 23:59 may be on either side of midnight —
    /// every page of each, matched by `OutId`. Nil when a lookup itself failed.
    func alreadySent(key: String, mobile: String, since: String?, now: Date = Date()) async -> Bool? {
        let beijing = TimeZone(identifier: "Asia/Shanghai")!
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = beijing
        format.dateFormat = "yyyy-MM-dd"
        let today = format.string(from: now)
        var day = min(since ?? today, today)
        // At most a week back: Aliyun keeps the details of the last 30 days, and a retry is minutes late.
        if let first = format.date(from: day), now.timeIntervalSince(first) > 7 * 86_400 { day = format.string(from: now.addingTimeInterval(-7 * 86_400)) }
        var days: [String] = []
        while day <= today, days.count < 9 {
            days.append(day)
            day = ServiceClock.day(day, plus: 1)
        }
        for day in days {
            var page = 1
            while true {
                do {
                    let (status, json) = try await call(action: "QuerySendDetails", [
                        "PhoneNumber": mobile, "SendDate": day.replacingOccurrences(of: "-", with: ""), "PageSize": "50",
                        "CurrentPage": String(page),
                    ])
                    guard status < 300, json["Code"] as? String == "OK" else { return nil }
                    let details = (json["SmsSendDetailDTOs"] as? [String: Any])?["SmsSendDetailDTO"] as? [[String: Any]] ?? []
                    if details.contains(where: { $0["OutId"] as? String == key }) { return true }
                    let total = Int(json["TotalCount"] as? String ?? "") ?? (json["TotalCount"] as? Int) ?? 0
                    guard page * 50 < total, page < 20 else { break }
                    page += 1
                } catch {
                    return nil
                }
            }
        }
        return false
    }

    func send(_ message: SmsOutgoing) async -> SmsProviderResult {
        guard let code = message.templateCode, !code.isEmpty else {
            return .rejected(code: "NoTemplateCode", message: SmsReason.noTemplateCode)
        }
        if message.isRetry {
            switch await alreadySent(key: message.key, mobile: message.mobile, since: message.firstTryDay) {
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
