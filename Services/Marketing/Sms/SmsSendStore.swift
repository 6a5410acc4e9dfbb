import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A message ready to be written: one recipient's rendered text and state.
struct SmsMessageDraft: Sendable {
    var id: UUID
    var mobile: String
    var name: String?
    var content: String
    /// The variables' values as JSON (阿里云 `TemplateParam`).
    var params: String
    var state: SmsMessageState
    var reason: String?
}

/// Sends and their messages in `marketing.sms_send` and `marketing.sms_message` (M5): writing a
/// send, the send log, and what the dispatcher and the provider's receipts change.
struct SmsSendStore {
    let connection: PostgresConnection
    let logger: Logger

    // MARK: sends

    func createSend(
        id: UUID, store: UUID, template: SmsTemplateView, kind: SmsKind, audience: SmsAudienceKind, event: UUID?, campaign: UUID?,
        sendAt: Date, by user: UUID
    ) async throws {
        try await connection.query("""
            INSERT INTO marketing.sms_send (id, store_id, template_id, template_name, kind, audience, event_id, campaign_id, send_at, created_by)
            VALUES (\(id), \(store), \(template.id), \(template.name), \(kind.rawValue), \(audience.rawValue), \(event), \(campaign),
                    \(sendAt), \(user))
            """, logger: logger)
    }

    /// Writes the send's messages; a mobile already in the send is not written twice.
    func addMessages(_ messages: [SmsMessageDraft], send: UUID, store: UUID, kind: SmsKind, templateCode: String?, notBefore: Date) async throws {
        for start in stride(from: 0, to: messages.count, by: 5000) {
            let chunk = messages[start..<min(messages.count, start + 5000)]
            try await connection.query("""
                INSERT INTO marketing.sms_message (id, send_id, store_id, kind, mobile, name, content, template_code, params, state, reason, not_before)
                SELECT m.id, \(send), \(store), \(kind.rawValue), m.mobile, NULLIF(m.name, ''), m.content, \(templateCode), m.params::jsonb, m.state,
                       NULLIF(m.reason, ''), \(notBefore)
                FROM unnest(\(chunk.map(\.id))::uuid[], \(chunk.map(\.mobile))::text[], \(chunk.map { $0.name ?? "" })::text[],
                            \(chunk.map(\.content))::text[], \(chunk.map(\.params))::text[], \(chunk.map(\.state.rawValue))::text[],
                            \(chunk.map { $0.reason ?? "" })::text[]) AS m(id, mobile, name, content, params, state, reason)
                ON CONFLICT (send_id, mobile) DO NOTHING
                """, logger: logger)
        }
    }

    private static let sendColumns = """
        s.id, s.template_id, s.template_name, s.kind, s.audience, s.event_id, s.campaign_id, s.send_at, s.created_by, s.created_at,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id)::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'queued')::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'sending')::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'sent')::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'delivered')::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'failed')::int,
        (SELECT count(*) FROM marketing.sms_message m WHERE m.send_id = s.id AND m.state = 'skipped')::int
        """

    /// The send if `store` made it.
    func send(_ id: UUID, store: UUID) async throws -> SmsSendView? {
        var query = QueryBuilder(" FROM marketing.sms_send s WHERE s.id = ")
        query.append("", bind: id)
        query.append(" AND s.store_id = ", bind: store)
        return try await sends(query.build(prefix: "SELECT \(Self.sendColumns)")).first
    }

    /// The store's sends, newest first.
    func listSends(store: UUID, page: PageRequest) async throws -> Page<SmsSendView> {
        var query = QueryBuilder(" FROM marketing.sms_send s WHERE s.store_id = ")
        query.append("", bind: store)
        let total = try await query.count(on: connection, logger: logger)
        let items = try await sends(query.ordered(by: "s.created_at DESC, s.id", page).build(prefix: "SELECT \(Self.sendColumns)"))
        return Page(items: items, request: page, total: total)
    }

    private func sends(_ query: PostgresQuery) async throws -> [SmsSendView] {
        var views: [SmsSendView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, template, templateName, kind, audience, event, campaign, sendAt, createdBy, createdAt, total, queued, sending, sent,
                       delivered, failed, skipped)
            in rows.decode((UUID, UUID, String, String, String, UUID?, UUID?, Date, UUID, Date, Int, Int, Int, Int, Int, Int, Int).self) {
            views.append(SmsSendView(
                id: id, templateId: template, templateName: templateName, kind: kind, audience: audience, eventId: event, campaignId: campaign,
                sendAt: sendAt,
                createdBy: createdBy, createdAt: createdAt,
                counts: SmsSendCounts(
                    total: total, queued: queued, sending: sending, sent: sent, delivered: delivered, failed: failed, skipped: skipped)))
        }
        return views
    }

    // MARK: audiences

    /// The store's prospects that `filters` pick (`CustomerStore.selection`, as the customer list
    /// filters them), by name then id.
    func customers(store: UUID, filters: CustomerFilters) async throws -> [SmsRecipient] {
        var query = CustomerStore.selection(store: store, filters: filters)
        query.append(" ORDER BY p.name, p.prospect_id")
        let rows = try await connection.query(query.build(prefix: "SELECT p.mobile, p.name"), logger: logger)
        var recipients: [SmsRecipient] = []
        for try await (mobile, name) in rows.decode((String, String).self) { recipients.append(SmsRecipient(mobile: mobile, name: name)) }
        return recipients
    }

    /// The registrants of `event` (of `store`), by registration time; `checkedIn` filters.
    func registrants(event: UUID, store: UUID, checkedIn: Bool?) async throws -> [SmsRecipient] {
        let rows = try await connection.query("""
            SELECT r.mobile, r.name FROM marketing.event_registration r
            WHERE r.event_id = \(event) AND r.store_id = \(store)
              AND (\(checkedIn)::boolean IS NULL OR (r.checked_in_at IS NOT NULL) = \(checkedIn))
            ORDER BY r.registered_at, r.id
            """, logger: logger)
        var recipients: [SmsRecipient] = []
        for try await (mobile, name) in rows.decode((String, String).self) { recipients.append(SmsRecipient(mobile: mobile, name: name)) }
        return recipients
    }

    /// The name of `event` if `store` runs it.
    func eventName(_ event: UUID, store: UUID) async throws -> String? {
        try await connection.query("""
            SELECT name FROM marketing.marketing_event WHERE id = \(event) AND store_id = \(store)
            """, logger: logger).decode(String.self).all().first
    }

    // MARK: the send log

    private static let messageColumns = """
        m.id, m.send_id, m.kind, m.mobile, m.name, m.content, m.state, m.reason, m.provider_code, m.provider_id, m.attempts,
        m.not_before, m.sent_at, m.delivered_at, m.created_at, m.updated_at
        """

    /// The store's messages, newest first, by send, state, mobile and creation time (`from`
    /// inclusive, `to` exclusive).
    func messages(store: UUID, filters: SmsMessageFilters, page: PageRequest) async throws -> Page<SmsMessageView> {
        var query = QueryBuilder(" FROM marketing.sms_message m WHERE m.store_id = ")
        query.append("", bind: store)
        if let send = filters.sendId { query.append(" AND m.send_id = ", bind: send) }
        if let state = filters.state { query.append(" AND m.state = ", bind: state.rawValue) }
        if let mobile = filters.mobile { query.append(" AND m.mobile = ", bind: mobile) }
        if let from = filters.from { query.append(" AND m.created_at >= ", bind: from) }
        if let to = filters.to { query.append(" AND m.created_at < ", bind: to) }
        let total = try await query.count(on: connection, logger: logger)
        let rows = try await connection.query(
            query.ordered(by: "m.created_at DESC, m.id", page).build(prefix: "SELECT \(Self.messageColumns)"), logger: logger)
        var items: [SmsMessageView] = []
        for try await (id, send, kind, mobile, name, content, state, reason, code, providerId, attempts, notBefore, sentAt, deliveredAt, createdAt, updatedAt)
            in rows.decode((UUID, UUID, String, String, String?, String, String, String?, String?, String?, Int, Date, Date?, Date?, Date, Date).self) {
            items.append(SmsMessageView(
                id: id, sendId: send, kind: kind, mobile: mobile, name: name, content: content, state: state,
                stateLabel: SmsMessageState(rawValue: state)?.label ?? state, reason: reason, providerCode: code, providerId: providerId,
                attempts: attempts, notBefore: notBefore, sentAt: sentAt, deliveredAt: deliveredAt, createdAt: createdAt, updatedAt: updatedAt))
        }
        return Page(items: items, request: page, total: total)
    }

    // MARK: the dispatcher

    /// Locks up to `limit` messages due at `now` (service clock) that no dispatcher holds —
    /// queued ones, and ones being sent whose holder's lease ran out or whose retry pause is
    /// over — skipping rows another transaction has locked.
    func claimDue(now: Date, limit: Int) async throws -> [SmsDueMessage] {
        let rows = try await connection.query("""
            SELECT id, send_id, store_id, kind, mobile, content, template_code, params::text, state, attempts,
                   to_char(sent_day, 'YYYY-MM-DD')
            FROM marketing.sms_message
            WHERE state IN ('queued', 'sending') AND not_before <= \(now) AND (held_until IS NULL OR held_until < now())
            ORDER BY not_before, id LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """, logger: logger)
        var due: [SmsDueMessage] = []
        for try await (id, send, store, kind, mobile, content, code, params, state, attempts, firstTryDay)
            in rows.decode((UUID, UUID, UUID, String, String, String, String?, String, String, Int, String?).self) {
            due.append(SmsDueMessage(
                id: id, sendId: send, storeId: store, kind: SmsKind(rawValue: kind) ?? .marketing, mobile: mobile, content: content,
                templateCode: code, params: params, resumed: state == SmsMessageState.sending.rawValue, attempts: attempts,
                firstTryDay: firstTryDay))
        }
        return due
    }

    /// Marketing messages to `mobile` that count against the store's cap on `day`, besides `except`.
    /// Takes the (store, mobile) lock for the rest of the transaction first, so that two
    /// dispatchers never both see room for one more.
    func countedToday(store: UUID, mobile: String, day: String, except: UUID) async throws -> Int {
        try await connection.query("""
            SELECT pg_advisory_xact_lock(hashtext('marketing.sms_cap'), hashtext(\(store.uuidString.lowercased() + mobile)))
            """, logger: logger)
        return try await connection.query("""
            SELECT count(*)::int FROM marketing.sms_message
            WHERE store_id = \(store) AND mobile = \(mobile) AND sent_day = \(day)::date AND kind = 'marketing'
              AND state IN ('sending', 'sent', 'delivered') AND id <> \(except)
            """, logger: logger).decode(Int.self).all().first ?? 0
    }

    /// A message that will not go: `skipped` with the reason.
    func skip(_ id: UUID, reason: String) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET state = 'skipped', reason = \(reason), held_until = NULL, updated_at = now() WHERE id = \(id)
            """, logger: logger)
    }

    /// A message that waits for `until` (08:00 after quiet hours): queued, or a retry to come.
    func postpone(_ id: UUID, until: Date, reason: String) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET not_before = \(until), reason = \(reason), held_until = NULL, updated_at = now() WHERE id = \(id)
            """, logger: logger)
    }

    /// Undoes this dispatcher's `hold` of a message it did not try after all (its turn came in
    /// quiet hours): the attempt it counted is taken back — a first try is queued again and no
    /// longer counted on the day — and it waits for `until`.
    func release(_ id: UUID, attempt: Int, until: Date, reason: String) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET attempts = attempts - 1,
                state = CASE WHEN attempts - 1 = 0 THEN 'queued' ELSE state END,
                sent_day = CASE WHEN attempts - 1 = 0 THEN NULL ELSE sent_day END,
                not_before = \(until), reason = \(reason), held_until = NULL, updated_at = now()
            WHERE id = \(id) AND state = 'sending' AND attempts = \(attempt)
            """, logger: logger)
    }

    /// A message this dispatcher is about to send: `sending`, one attempt more, held for `lease`
    /// (database time); counted on the store day `day`.
    func hold(_ id: UUID, day: String, lease: Duration) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET state = 'sending', attempts = attempts + 1, sent_day = coalesce(sent_day, \(day)::date),
                held_until = now() + make_interval(secs => \(Double(lease.components.seconds))), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Renews this dispatcher's hold on a message just before its try: held for `lease` again,
    /// if it is still `sending` at the attempt this dispatcher counted (another dispatcher that
    /// took it over after the hold ran out counted one more). False: leave it to that one.
    func renew(_ id: UUID, attempt: Int, lease: Duration) async throws -> Bool {
        try await connection.query("""
            UPDATE marketing.sms_message SET held_until = now() + make_interval(secs => \(Double(lease.components.seconds))), updated_at = now()
            WHERE id = \(id) AND state = 'sending' AND attempts = \(attempt)
            RETURNING 1
            """, logger: logger).decode(Int.self).all().first != nil
    }

    /// The provider accepted the message: `sent` (unless a receipt already said delivered or failed).
    func markSent(_ id: UUID, code: String, providerId: String?, at: Date) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET state = 'sent', provider_code = \(code), provider_id = coalesce(\(providerId), provider_id),
                sent_at = \(at), reason = NULL, held_until = NULL, updated_at = now()
            WHERE id = \(id) AND state = 'sending'
            """, logger: logger)
    }

    /// The provider refused it for good, or the attempts ran out: `failed` with the reason.
    func markFailed(_ id: UUID, code: String?, reason: String) async throws {
        try await connection.query("""
            UPDATE marketing.sms_message SET state = 'failed', provider_code = coalesce(\(code), provider_code), reason = \(reason),
                held_until = NULL, updated_at = now()
            WHERE id = \(id) AND state = 'sending'
            """, logger: logger)
    }

    /// A try that may have reached the provider or not (a timeout, a 5xx): tried again with the
    /// same key after `pause` (database time).
    func retryLater(_ id: UUID, code: String?, reason: String, pause: Duration) async throws {
        let seconds = Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18
        try await connection.query("""
            UPDATE marketing.sms_message SET provider_code = coalesce(\(code), provider_code), reason = \(reason),
                held_until = now() + make_interval(secs => \(seconds)), updated_at = now()
            WHERE id = \(id) AND state = 'sending'
            """, logger: logger)
    }

    // MARK: receipts

    /// A delivery receipt for the message `id`: `delivered` or `failed` — once, from `sending` or
    /// `sent`, or `delivered` for one failed after tries that got no answer. Returns the message when this receipt changed it (to announce a delivery).
    func receipt(_ id: UUID, delivered: Bool, code: String, reason: String?, providerId: String?, at: Date) async throws -> SmsDeliveredMessage? {
        let rows = try await connection.query("""
            UPDATE marketing.sms_message m SET state = \(delivered ? "delivered" : "failed"), provider_code = \(code),
                reason = \(reason), provider_id = coalesce(\(providerId), provider_id),
                delivered_at = CASE WHEN \(delivered) THEN \(at) END, sent_at = coalesce(sent_at, \(at)), held_until = NULL, updated_at = now()
            FROM marketing.sms_send s
            WHERE m.id = \(id) AND s.id = m.send_id
              AND (m.state IN ('sending', 'sent')
                   -- Given up after tries without an answer, and delivered after all: the log says so.
                   OR (\(delivered) AND m.state = 'failed' AND m.reason LIKE '发送%次均失败%'))
            RETURNING m.id, m.send_id, s.template_id, m.store_id, m.mobile, m.kind
            """, logger: logger)
        for try await (id, send, template, store, mobile, kind) in rows.decode((UUID, UUID, UUID, UUID, String, String).self) {
            return SmsDeliveredMessage(id: id, sendId: send, templateId: template, storeId: store, mobile: mobile, kind: kind)
        }
        return nil
    }
}

/// A message a dispatcher locked.
struct SmsDueMessage: Sendable {
    var id: UUID
    var sendId: UUID
    var storeId: UUID
    var kind: SmsKind
    var mobile: String
    var content: String
    var templateCode: String?
    var params: String
    /// Held before (a lease that ran out, a retry): the rules were applied already, and the
    /// provider may have it — it goes again with the same key, without the rules.
    var resumed: Bool
    var attempts: Int
    /// The store day of the first try (`yyyy-MM-dd`), nil before it: where a retry's lookup starts.
    var firstTryDay: String?

    /// The idempotency key sent to the provider (阿里云 `OutId`): the message id without dashes.
    var key: String { Self.key(id) }

    static func key(_ id: UUID) -> String { id.uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    /// The message id a key names, or nil.
    static func id(fromKey key: String) -> UUID? {
        let hex = key.lowercased()
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return UUID(uuidString: key) }
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return UUID(uuidString: parts.joined(separator: "-"))
    }
}

/// A message a receipt said was delivered.
struct SmsDeliveredMessage: Sendable {
    var id: UUID
    var sendId: UUID
    var templateId: UUID
    var storeId: UUID
    var mobile: String
    var kind: String
}
