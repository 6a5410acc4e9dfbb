import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// One customer to issue coupons to, by mobile (the customer's identity in Coupons).
struct CouponRecipient: Sendable, Hashable {
    var mobile: String
    var name: String?
}

/// What one issue did: the customers and coupons issued, and the customers skipped because
/// they already hold as many coupons of the definition as its per-customer limit allows.
struct IssueOutcome: Sendable, Equatable {
    var customersIssued: Int
    var couponsIssued: Int
    var skippedAtLimit: [String]
    /// The codes issued, with their last day (the same for all).
    var codes: [String] = []
    var lastDay: String? = nil
}

/// Why coupons could not be issued. Each becomes a 409 in the store's words.
enum IssueRefusal: Error, Equatable {
    /// The definition is disabled.
    case disabled(number: String)
    /// Fewer coupons are left than the issue needs: it issued nothing.
    case soldOut(number: String, available: Int, needed: Int)
    /// The definition's fixed validity ended before today.
    case validityOver(number: String, lastDay: String)

    var problem: ProblemDetails {
        switch self {
        case .disabled(let number):
            return .conflict("coupon definition \(number) is disabled (已禁用) and issues no coupons; enable it first")
        case .soldOut(let number, let available, let needed):
            var problem = ProblemDetails.conflict(
                "sold out (已领完): \(number) has \(available) coupons left and this needs \(needed); nothing was issued")
            problem.title = "Sold out"
            return problem
        case .validityOver(let number, let lastDay):
            return .conflict("coupon definition \(number) was valid until \(lastDay); a coupon issued now would already be expired")
        }
    }
}

/// Issues coupons of one definition to customers — the one way coupons come into being, for
/// pushes, claims and referrals (C2, C6) — in the caller's transaction, all or nothing.
///
/// The caller has locked the definition's row (`DefinitionStore.definition(…forUpdate: true)`);
/// every issuing path takes that lock first, so the quantity left and each customer's holding
/// are exact while this runs, and two issues of one definition never interleave. The `issued ≤
/// quantity` CHECK of the table stands behind it.
struct CouponIssuer {
    let connection: PostgresConnection
    let logger: Logger
    let outbox: Outbox

    /// Where the coupons come from and when they are valid.
    struct Issue: Sendable {
        var definition: CouponDefinitionView
        var perPerson: Int
        var taskID: UUID?
        var taskNumber: String?
        var issuedBy: UUID?
        /// Now and today on the issuing store's clock.
        var day: StoreDay
        /// For coupons the referral rule gives (C6): the mobile of the referred customer.
        var referralOf: String? = nil
    }

    /// Issues `issue.perPerson` coupons to each recipient that stays within the per-customer
    /// limit (recipients are distinct by mobile; the first name given for a mobile is kept).
    /// Throws `IssueRefusal` — and issues nothing — when the definition is disabled, its
    /// validity is over, or fewer coupons are left than the recipients within the limit need.
    func issue(_ issue: Issue, to recipients: [CouponRecipient]) async throws -> IssueOutcome {
        let definition = issue.definition
        guard definition.enabled else { throw IssueRefusal.disabled(number: definition.number) }
        let validity = try Self.validity(of: definition, on: issue.day)

        var seen = Set<String>()
        let distinct = recipients.filter { seen.insert($0.mobile).inserted }
        let holdings = try await holdings(of: definition, mobiles: distinct.map(\.mobile))
        var fitting: [CouponRecipient] = []
        var skipped: [String] = []
        for recipient in distinct {
            if holdings[recipient.mobile, default: 0] + issue.perPerson <= definition.perCustomerLimit {
                fitting.append(recipient)
            } else {
                skipped.append(recipient.mobile)
            }
        }
        let needed = fitting.count * issue.perPerson
        guard needed > 0 else { return IssueOutcome(customersIssued: 0, couponsIssued: 0, skippedAtLimit: skipped) }
        guard needed <= definition.counts.available else {
            throw IssueRefusal.soldOut(number: definition.number, available: definition.counts.available, needed: needed)
        }

        var coupons: [NewCoupon] = []
        coupons.reserveCapacity(needed)
        // Time-ordered ids: PostgreSQL adds them at the right edge of the primary key's index.
        var ids = TimeOrderedUUIDs()
        var random = SystemRandomNumberGenerator()
        for recipient in fitting {
            for _ in 0..<issue.perPerson {
                coupons.append(NewCoupon(
                    id: ids.next(), code: CouponCode.random(using: &random).digits, mobile: recipient.mobile, name: recipient.name))
            }
        }
        // The events are encoded on the other cores while PostgreSQL inserts the coupons.
        let planned = coupons
        let encoding = Task { try await Outbox.encodeInParallel(Self.events(planned, issue: issue, validity: validity)) }
        let inserted: (coupons: [NewCoupon], redrawn: Bool)
        do {
            inserted = try await insert(coupons, issue: issue, validity: validity)
        } catch {
            encoding.cancel()
            throw error
        }
        try await connection.query("""
            UPDATE coupons.coupon_definition SET issued = issued + \(needed) WHERE id = \(definition.id)
            """, logger: logger)
        // A code drawn again after a clash changes its coupon's event: encode them all again then.
        let events = inserted.redrawn
            ? try Outbox.encode(Self.events(inserted.coupons, issue: issue, validity: validity))
            : try await encoding.value
        // As CloudEvents batches of up to 500 (asyncapi.yaml): a push of 100,000 is 200 rows and messages.
        try await outbox.appendAsBatch(events, on: connection, logger: logger)
        return IssueOutcome(
            customersIssued: fitting.count, couponsIssued: needed, skippedAtLimit: skipped, codes: inserted.coupons.map(\.code),
            lastDay: validity.lastDay)
    }

    /// One `coupons.coupon.issued.v1` per coupon.
    private static func events(
        _ coupons: [NewCoupon], issue: Issue, validity: (from: Date, lastDay: String, until: Date)
    ) -> [CloudEvent<CouponIssued>] {
        let definition = issue.definition
        let storeID = definition.storeId.uuidString.lowercased()
        return coupons.map { coupon in
            CloudEvent(
                source: "/crm/coupons", subject: coupon.id.uuidString.lowercased(),
                data: CouponIssued(
                    couponId: coupon.id, code: coupon.code, definitionId: definition.id, definitionNumber: definition.number,
                    name: definition.name, kind: definition.kind, faceValue: definition.faceValue, storeId: definition.storeId,
                    usableIn: definition.usableIn, mobile: coupon.mobile, customerName: coupon.name, taskId: issue.taskID,
                    taskNumber: issue.taskNumber, effectiveFrom: validity.from, lastDay: validity.lastDay,
                    effectiveUntil: validity.until, issuedAt: issue.day.now),
                storeid: storeID)
        }
    }

    /// When coupons issued on `day` are valid: from now (or the first day of a fixed period, if
    /// later) until 00:00 after the last day, on the issuing store's clock. `days_from_issue`
    /// counts the day of issue as the first day.
    static func validity(of definition: CouponDefinitionView, on day: StoreDay) throws -> (from: Date, lastDay: String, until: Date) {
        let lastDay: String
        var from = day.now
        switch CouponValidity(rawValue: definition.validity) {
        case .daysFromIssue:
            lastDay = ServiceClock.day(day.today, plus: (definition.validDays ?? 1) - 1)
        case .fixed, nil:
            lastDay = definition.validUntil ?? day.today
            guard lastDay >= day.today else { throw IssueRefusal.validityOver(number: definition.number, lastDay: lastDay) }
            if let first = definition.validFrom { from = max(from, day.start(of: first)) }
        }
        return (from, lastDay, day.start(of: ServiceClock.day(lastDay, plus: 1)))
    }

    private struct NewCoupon: Sendable {
        var id: UUID
        var code: String
        var mobile: String
        var name: String?
    }

    /// Inserts the coupons; them as inserted, and whether a code was drawn again. A code that
    /// happens to equal one already issued (1 in 10^15 per pair) is drawn again; the rest of
    /// the batch stands.
    private func insert(
        _ coupons: [NewCoupon], issue: Issue, validity: (from: Date, lastDay: String, until: Date)
    ) async throws -> (coupons: [NewCoupon], redrawn: Bool) {
        var pending = coupons
        var done: [NewCoupon] = []
        var redrawn = false
        for _ in 0..<5 {
            let inserted = try await connection.query("""
                WITH inserted AS (
                    INSERT INTO coupons.coupon (
                        id, code, definition_id, task_id, store_id, group_id, usable_in, mobile, customer_name,
                        effective_from, effective_until, last_day, state, issued_at, issued_by, referral_of)
                    SELECT id, code, \(issue.definition.id), \(issue.taskID), \(issue.definition.storeId), \(issue.definition.groupId),
                           \(issue.definition.usableIn), mobile, NULLIF(name, ''), \(validity.from), \(validity.until), \(validity.lastDay)::date,
                           'unused', \(issue.day.now), \(issue.issuedBy), \(issue.referralOf)::text
                    FROM unnest(\(pending.map(\.id))::uuid[], \(pending.map(\.code))::text[], \(pending.map(\.mobile))::text[],
                                \(pending.map { $0.name ?? "" })::text[]) AS new(id, code, mobile, name)
                    ON CONFLICT (code) DO NOTHING
                    RETURNING 1)
                SELECT count(*)::int FROM inserted
                """, logger: logger)
            let count = try await inserted.decode(Int.self).all().first ?? 0
            if count == pending.count { return (done + pending, redrawn) }
            // Some code clashed: keep those inserted, draw the others again.
            let stored = Set(try await connection.query("""
                SELECT id FROM coupons.coupon WHERE id = ANY(\(pending.map(\.id))::uuid[])
                """, logger: logger).decode(UUID.self).all())
            done += pending.filter { stored.contains($0.id) }
            pending = pending.filter { !stored.contains($0.id) }.map {
                NewCoupon(id: $0.id, code: CouponCode.random().digits, mobile: $0.mobile, name: $0.name)
            }
            redrawn = true
        }
        throw ProblemDetails.unavailable("could not draw unique coupon codes; try again")
    }

    /// How many coupons of the definition each of `mobiles` holds, in any state (a used or
    /// revoked coupon still counts toward the per-customer limit). Exact because the caller
    /// holds the definition's lock; nothing to read while the definition has issued none.
    private func holdings(of definition: CouponDefinitionView, mobiles: [String]) async throws -> [String: Int] {
        guard definition.counts.issued > 0 else { return [:] }
        var holdings: [String: Int] = [:]
        let rows = try await connection.query("""
            SELECT mobile, count(*)::int8 FROM coupons.coupon WHERE definition_id = \(definition.id) AND mobile = ANY(\(mobiles)::text[])
            GROUP BY mobile
            """, logger: logger)
        for try await (mobile, issued) in rows.decode((String, Int).self) { holdings[mobile] = issued }
        return holdings
    }
}
