import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// Sends what is due (M5, seed §9.5 短信平台), every `SmsConfiguration.interval`, in every
/// replica of crm-marketing — each message exactly once:
///
/// 1. **Claim**, in one transaction: up to 50 due messages (`not_before` reached on the service
///    clock, held by nobody) locked `FOR UPDATE SKIP LOCKED`, so two replicas never take the
///    same row. A queued marketing message meets the rules here, on the store's clock:
///    on the opt-out list → `skipped` (已退订); outside 08:00–22:00 → stays queued with
///    `not_before` at the next 08:00 (免打扰时段); over the store's daily cap for the mobile
///    (counted under a (store, mobile) advisory lock) → `skipped` (超过每日上限). What passes is
///    marked `sending` with one attempt more and held for the try's timeout plus 30 s
///    (`held_until`, database time), and the transaction commits.
/// 2. **Call** the provider outside any transaction, with the message id as its key (阿里云
///    `OutId`), one message after the other — each first held afresh for the lease, and skipped
///    when another replica took it over after an earlier try of the batch ran long; a marketing
///    message whose turn comes after 22:00 is released to wait for 08:00.
/// 3. **Record**: accepted → `sent`; refused for good → `failed` with the provider's code and
///    reason; unknown (timeout, 5xx, throttling) → held for `retryPause`, then claimed again and
///    sent with the same key — again only within the quiet hours and not to an opted-out mobile
///    (the daily cap counted it once, at its first try); after
///    `maxAttempts` tries → `failed` (发送N次均失败). A replica that dies while holding a message
///    leaves it to the next claim once the hold runs out — again with the same key.
///
/// A retry never sends one message twice: the Aliyun provider looks the key up
/// (`QuerySendDetails` by `OutId`) before sending again, and the file provider (and the tests'
/// emulator) recognise a key they have already accepted.
struct SmsDispatcher: Service {
    let environment: ServiceEnvironment
    let settings: SmsConfiguration
    let provider: any SmsProvider

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "the SMS dispatcher", every: settings.interval, deadline: .seconds(600), logger: environment.logger
        ) {
            // Batch after batch while there is more — but not past a graceful shutdown, which
            // would otherwise wait for a large send to run out and then kill it mid-batch.
            while !Task.isShuttingDownGracefully, try await pass() > 0 {}
        }
    }

    /// One claim and its sends; returns how many messages it claimed.
    func pass() async throws -> Int {
        let now = environment.configuration.clock.now()
        let lease = settings.timeout + .seconds(30)
        let (claimed, toSend) = try await environment.database.withTransaction { connection -> (Int, [SmsDueMessage]) in
            let store = SmsSendStore(connection: connection, logger: environment.logger)
            let rules = SmsRulesStore(connection: connection, logger: environment.logger)
            let due = try await store.claimDue(now: now, limit: 50)
            var toSend: [SmsDueMessage] = []
            var days: [UUID: StoreDay] = [:]
            var caps: [UUID: Int] = [:]
            // By store and mobile: the cap's per-mobile locks are then taken in one order by every
            // dispatcher, so two of them never wait for each other.
            for message in due.sorted(by: { ($0.storeId.uuidString, $0.mobile) < ($1.storeId.uuidString, $1.mobile) }) {
                if days[message.storeId] == nil { days[message.storeId] = try await environment.storeDay(message.storeId, on: connection) }
                let day = days[message.storeId]!
                // Every try of a marketing message, a retry too, meets the opt-out list and the
                // quiet hours: a customer who replied TD meanwhile gets nothing more, and a retry
                // due after 22:00 waits for 08:00.
                if message.kind == .marketing {
                    if try await rules.isOptedOut(store: message.storeId, mobile: message.mobile) {
                        try await store.skip(message.id, reason: SmsReason.optedOut)
                        continue
                    }
                    if let opening = SmsQuietHours.nextOpening(after: day.now, in: day.timeZone) {
                        try await store.postpone(message.id, until: opening, reason: SmsReason.quietHours)
                        continue
                    }
                }
                // The cap counts a message once: when it is first sent.
                if !message.resumed, message.kind == .marketing {
                    if caps[message.storeId] == nil { caps[message.storeId] = try await rules.settings(store: message.storeId).dailyCap }
                    let cap = caps[message.storeId]!
                    if try await store.countedToday(store: message.storeId, mobile: message.mobile, day: day.today, except: message.id) >= cap {
                        try await store.skip(message.id, reason: SmsReason.overCap(cap))
                        continue
                    }
                }
                try await store.hold(message.id, day: day.today, lease: lease)
                toSend.append(message)
            }
            return (due.count, toSend)
        }
        for message in toSend {
            // The batch's earlier tries may have taken a while: hold this one afresh, unless another
            // dispatcher took it over meanwhile.
            let held = try await environment.database.withConnection { connection in
                try await SmsSendStore(connection: connection, logger: environment.logger).renew(message.id, attempt: message.attempts + 1, lease: lease)
            }
            guard held else { continue }
            // The batch's earlier tries may have run past 22:00: a marketing message then waits
            // for 08:00, as if it had not been claimed.
            if message.kind == .marketing {
                let day = try await environment.database.withConnection { try await environment.storeDay(message.storeId, on: $0) }
                if let opening = SmsQuietHours.nextOpening(after: day.now, in: day.timeZone) {
                    try await environment.database.withConnection { connection in
                        try await SmsSendStore(connection: connection, logger: environment.logger).release(
                            message.id, attempt: message.attempts + 1, until: opening, reason: SmsReason.quietHours)
                    }
                    continue
                }
            }
            let result = await provider.send(SmsOutgoing(
                key: message.key, mobile: message.mobile, content: message.content, templateCode: message.templateCode, params: message.params,
                isRetry: message.resumed, firstTryDay: message.firstTryDay))
            try await record(result, for: message)
        }
        return claimed
    }

    private func record(_ result: SmsProviderResult, for message: SmsDueMessage) async throws {
        let attempts = message.attempts + 1
        try await environment.database.withTransaction { connection in
            let store = SmsSendStore(connection: connection, logger: environment.logger)
            switch result {
            case .accepted(let code, let providerId):
                try await store.markSent(message.id, code: code, providerId: providerId, at: environment.configuration.clock.now())
            case .rejected(let code, let text):
                try await store.markFailed(message.id, code: code, reason: SmsReason.rejected(code, text))
            case .transient(let code, let text):
                let what = [code, text].compactMap { $0 }.joined(separator: " ")
                if attempts >= settings.maxAttempts {
                    try await store.markFailed(message.id, code: code, reason: SmsReason.gaveUp(attempts, what))
                } else {
                    try await store.retryLater(message.id, code: code, reason: SmsReason.retrying(what), pause: settings.retryPause)
                }
            }
        }
        environment.logger.debug("SMS try", metadata: [
            "message": "\(message.id)", "provider": "\(provider.name)", "attempt": "\(attempts)", "result": "\(result)",
        ])
    }
}

/// The quiet hours of marketing messages (M5): none goes before 08:00 or from 22:00 on on the
/// store's clock.
enum SmsQuietHours {
    static let opens = 8
    static let closes = 22

    /// Nil when `now` is inside 08:00–22:00 in `timeZone`; otherwise the next 08:00 there (today's
    /// before 08:00, tomorrow's from 22:00).
    static func nextOpening(after now: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let hour = calendar.component(.hour, from: now)
        if hour >= opens && hour < closes { return nil }
        let day = hour >= closes ? calendar.date(byAdding: .day, value: 1, to: now)! : now
        return calendar.date(bySettingHour: opens, minute: 0, second: 0, of: day)
    }
}
