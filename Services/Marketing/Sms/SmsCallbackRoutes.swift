import Contracts
import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// What the SMS provider pushes back (M5), under the public prefix — the provider calls without
/// a token, the gateway rate-limits it — in Alibaba Cloud SMS's HTTP push formats (HTTP批量推送):
///
/// - `POST /api/v1/public/marketing/sms/receipts?token=…` — delivery receipts (SmsReport): a
///   JSON array of `{"phone_number", "send_time", "report_time", "success", "err_code",
///   "err_msg", "sms_size", "biz_id", "out_id"}`. `out_id` is the message's key: the message
///   becomes `delivered` (`success` true) or `failed` with `err_code` and the reason 未送达, once;
///   a delivered message is announced as `marketing.sms.delivered.v1`. A receipt naming no
///   message of ours is ignored (and counted in the answer).
/// - `POST /api/v1/public/marketing/sms/replies?token=…` — the customers' replies (SmsUp): a JSON
///   array of `{"phone_number", "send_time", "content", "sign_name", "dest_code", "sequence_id"}`.
///   A reply of `TD`, `T`, `退订` or `N` (any case, spaces ignored) puts the mobile on the opt-out
///   list of every store that has messaged it (回复TD退订).
///
/// Both answer `{"code": 0, "msg": "接收成功"}` as the provider expects. The provider is
/// authenticated by the shared secret it was configured with in the callback URL
/// (`CRM_SMS_CALLBACK_TOKEN`; Aliyun's push carries no signature of its own): a missing or
/// wrong token is 401 (a body that is not JSON is 400 before that), JSON that is not such an array
/// is 422 naming `body`.
struct SmsCallbackRoutes: Sendable {
    let environment: ServiceEnvironment
    let settings: SmsConfiguration

    /// The replies that mean "unsubscribe".
    static let optOutWords: Set<String> = ["TD", "T", "退订", "N"]

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("sms/receipts", use: receipts)
        group.post("sms/replies", use: replies)
    }

    /// The answer Aliyun's push expects.
    struct Acknowledgement: Codable, Sendable, ResponseEncodable {
        var code: Int
        var msg: String
        /// Items that changed a message or the opt-out list.
        var applied: Int
        /// Items that named nothing of ours, or repeated what was already recorded.
        var ignored: Int
    }

    private func authenticate(_ request: Request) throws {
        var query = QueryReader(request)
        let token = query.string("token", maxLength: 200) ?? ""
        let expected = Array(settings.callbackToken.utf8), given = Array(token.utf8)
        // Constant time in the token's content.
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in 0..<expected.count { difference |= expected[index] ^ (index < given.count ? given[index] : 0) }
        if difference != 0 { throw ProblemDetails.unauthorized("the SMS provider's callback token is missing or wrong") }
    }

    /// The push's items: 413 over 1 MiB, 400 for a body that is not JSON, then 401 for a wrong
    /// token, then 422 for JSON that is not an array.
    private func items(_ request: Request) async throws -> [[String: Any]] {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 1 << 20)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "a push may be at most 1 MiB")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]) else {
            throw ProblemDetails.malformedBody("the body is not JSON")
        }
        try authenticate(request)
        guard let array = json as? [Any] else {
            throw ProblemDetails.validation([.init(field: "body", message: "must be a JSON array of the provider's push items")])
        }
        return array.compactMap { $0 as? [String: Any] }
    }

    @Sendable func receipts(_ request: Request, context: CRMRequestContext) async throws -> Acknowledgement {
        let items = try await items(request)
        let now = environment.configuration.clock.now()
        let applied = try await environment.database.withTransaction { connection -> Int in
            var applied = 0
            let store = SmsSendStore(connection: connection, logger: environment.logger)
            for item in items {
                guard let key = item["out_id"] as? String, let id = SmsDueMessage.id(fromKey: key) else { continue }
                let success = (item["success"] as? Bool) ?? ((item["success"] as? String)?.lowercased() == "true")
                let code = (item["err_code"] as? String) ?? (success ? "DELIVERED" : "UNKNOWN")
                let text = (item["err_msg"] as? String) ?? ""
                let providerId = item["biz_id"] as? String
                guard let delivered = try await store.receipt(
                    id, delivered: success, code: code, reason: success ? nil : SmsReason.notDelivered(code, text), providerId: providerId, at: now)
                else { continue }
                applied += 1
                guard success else { continue }
                try await environment.outbox.append(CloudEvent(
                    source: "/crm/marketing", subject: delivered.id.uuidString.lowercased(),
                    data: MarketingSmsDelivered(
                        messageId: delivered.id, sendId: delivered.sendId, templateId: delivered.templateId, storeId: delivered.storeId,
                        kind: delivered.kind, mobile: delivered.mobile, providerId: providerId, deliveredAt: now),
                    storeid: delivered.storeId.uuidString.lowercased()), on: connection, logger: environment.logger)
            }
            return applied
        }
        return Acknowledgement(code: 0, msg: "接收成功", applied: applied, ignored: items.count - applied)
    }

    @Sendable func replies(_ request: Request, context: CRMRequestContext) async throws -> Acknowledgement {
        let items = try await items(request)
        let now = environment.configuration.clock.now()
        let applied = try await environment.database.withTransaction { connection -> Int in
            var applied = 0
            let rules = SmsRulesStore(connection: connection, logger: environment.logger)
            for item in items {
                guard let phone = item["phone_number"] as? String, let mobile = ChineseMobile.normalise(phone),
                      let content = item["content"] as? String
                else { continue }
                let word = content.replacingOccurrences(of: " ", with: "").trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
                guard Self.optOutWords.contains(word) else { continue }
                if try await rules.optOutByReply(mobile: mobile, at: now) > 0 { applied += 1 }
            }
            return applied
        }
        return Acknowledgement(code: 0, msg: "接收成功", applied: applied, ignored: items.count - applied)
    }
}
