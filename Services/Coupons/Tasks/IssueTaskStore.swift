import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Issuing tasks in `coupons.issue_task` and their listed customers in `issue_task_recipient`.
struct IssueTaskStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        t.id, t.number, t.kind, t.name, t.definition_id, d.number, d.name, t.mode, t.per_person, t.state,
        (SELECT count(*)::int FROM coupons.issue_task_recipient r WHERE r.task_id = t.id),
        (SELECT r.mobile FROM coupons.issue_task_recipient r WHERE r.task_id = t.id AND t.kind = 'quick' LIMIT 1),
        (SELECT r.name FROM coupons.issue_task_recipient r WHERE r.task_id = t.id AND t.kind = 'quick' LIMIT 1), t.conditions::text,
        t.claim_token,
        CASE WHEN t.mode = 'claim' THEN (SELECT count(DISTINCT c.mobile)::int FROM coupons.coupon c WHERE c.task_id = t.id) ELSE t.customers_issued END,
        CASE WHEN t.mode = 'claim' THEN (SELECT count(*)::int FROM coupons.coupon c WHERE c.task_id = t.id) ELSE t.coupons_issued END,
        t.customers_skipped,
        (SELECT count(*)::int FROM coupons.coupon c WHERE c.task_id = t.id AND c.state = 'used'),
        t.created_by, t.created_at, t.published_at, t.decided_by, t.decided_at, t.rejection_reason, t.issued_at
        """
    private static let from = " FROM coupons.issue_task t JOIN coupons.coupon_definition d ON d.id = t.definition_id"

    func create(id: UUID, number: String, store: UUID, fields: IssueTaskFields, name: String, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO coupons.issue_task (
                id, number, store_id, kind, name, definition_id, mode, per_person, conditions, state, created_by, updated_by)
            VALUES (\(id), \(number), \(store), \(fields.kind.rawValue), \(name), \(fields.definitionID), \(fields.mode.rawValue),
                    \(fields.perPerson), \(try Self.json(fields.conditions))::jsonb, 'draft', \(user), \(user))
            """, logger: logger)
        try await replaceRecipient(id, fields.recipient)
    }

    func replace(_ id: UUID, fields: IssueTaskFields, name: String, by user: UUID, kindChanged: Bool) async throws {
        try await connection.query("""
            UPDATE coupons.issue_task SET kind = \(fields.kind.rawValue), name = \(name), definition_id = \(fields.definitionID),
                mode = \(fields.mode.rawValue), per_person = \(fields.perPerson), conditions = \(try Self.json(fields.conditions))::jsonb,
                state = 'draft', rejection_reason = NULL, updated_by = \(user), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
        // An imported task keeps its uploaded list; any other kind, or a change of kind, starts afresh.
        if fields.kind != .imported || kindChanged { try await replaceRecipient(id, fields.recipient) }
    }

    static func json(_ conditions: CouponConditions) throws -> String {
        String(decoding: try JSONEncoder().encode(conditions), as: UTF8.self)
    }

    private func replaceRecipient(_ id: UUID, _ recipient: CouponRecipient?) async throws {
        try await connection.query("DELETE FROM coupons.issue_task_recipient WHERE task_id = \(id)", logger: logger)
        if let recipient {
            try await connection.query("""
                INSERT INTO coupons.issue_task_recipient (task_id, mobile, name) VALUES (\(id), \(recipient.mobile), \(recipient.name))
                """, logger: logger)
        }
    }

    /// Replaces an imported task's list with `recipients` (distinct mobiles).
    func replaceRecipients(_ id: UUID, _ recipients: [CouponRecipient]) async throws {
        try await connection.query("DELETE FROM coupons.issue_task_recipient WHERE task_id = \(id)", logger: logger)
        try await connection.query("""
            INSERT INTO coupons.issue_task_recipient (task_id, mobile, name)
            SELECT \(id), mobile, NULLIF(name, '')
            FROM unnest(\(recipients.map(\.mobile))::text[], \(recipients.map { $0.name ?? "" })::text[]) AS r(mobile, name)
            """, logger: logger)
    }

    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM coupons.issue_task WHERE id = \(id)", logger: logger)
    }

    /// The listed customers of a task (quick: one; imported: the list), in the order given.
    func recipients(of id: UUID) async throws -> [CouponRecipient] {
        var recipients: [CouponRecipient] = []
        let rows = try await connection.query(
            "SELECT mobile, name FROM coupons.issue_task_recipient WHERE task_id = \(id) ORDER BY mobile", logger: logger)
        for try await (mobile, name) in rows.decode((String, String?).self) { recipients.append(CouponRecipient(mobile: mobile, name: name)) }
        return recipients
    }

    /// Whether `mobile` is on the task's list.
    func lists(_ mobile: String, task id: UUID) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT 1 FROM coupons.issue_task_recipient WHERE task_id = \(id) AND mobile = \(mobile)", logger: logger)
        return try await rows.decode(Int.self).all().first != nil
    }

    /// Who wrote, last edited and published the task: none of them may approve it.
    func writers(of id: UUID) async throws -> Set<UUID> {
        let rows = try await connection.query(
            "SELECT created_by, updated_by, published_by FROM coupons.issue_task WHERE id = \(id)", logger: logger)
        var writers = Set<UUID>()
        for try await (created, updated, published) in rows.decode((UUID, UUID, UUID?).self) {
            writers.formUnion([created, updated] + (published.map { [$0] } ?? []))
        }
        return writers
    }

    /// Sent for approval (the store's switch is on).
    func awaitApproval(_ id: UUID, by user: UUID, at now: Date) async throws {
        try await connection.query("""
            UPDATE coupons.issue_task SET state = 'awaiting_approval', published_by = \(user), published_at = \(now),
                decided_by = NULL, decided_at = NULL, rejection_reason = NULL, updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Records what a push issued; the task is done.
    func recordIssued(_ id: UUID, outcome: IssueOutcome, at now: Date) async throws {
        try await connection.query("""
            UPDATE coupons.issue_task SET state = 'issued', customers_issued = \(outcome.customersIssued),
                coupons_issued = \(outcome.couponsIssued), customers_skipped = \(outcome.skippedAtLimit.count), issued_at = \(now),
                published_at = coalesce(published_at, \(now)), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Opens a claim task's link.
    func openClaims(_ id: UUID, token: String, at now: Date) async throws {
        try await connection.query("""
            UPDATE coupons.issue_task SET state = 'claiming', claim_token = \(token), published_at = coalesce(published_at, \(now)),
                updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func recordDecision(_ id: UUID, by user: UUID, at now: Date, rejectionReason: String?) async throws {
        try await connection.query("""
            UPDATE coupons.issue_task SET decided_by = \(user), decided_at = \(now), rejection_reason = \(rejectionReason),
                state = CASE WHEN \(rejectionReason)::text IS NULL THEN state ELSE 'rejected' END, updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func close(_ id: UUID) async throws {
        try await connection.query("UPDATE coupons.issue_task SET state = 'closed', updated_at = now() WHERE id = \(id)", logger: logger)
    }

    /// The task if it belongs to `store`; `lock` is `FOR UPDATE` for a change of state. (A claim
    /// reads it `FOR SHARE` and never writes it — a claim task's figures are counted from its
    /// coupons — so claims run side by side and closing the link waits for them.)
    func task(_ id: UUID, store: UUID, lock: String = "") async throws -> (view: IssueTaskView, storeID: UUID)? {
        try await views("SELECT \(Self.columns), t.store_id \(Self.from) WHERE t.id = $1 AND t.store_id = $2 \(lock.isEmpty ? "" : lock + " OF t")",
                        binds: [id, store]).first
    }

    /// What a claim needs of the task whose link carries `token`, read `FOR SHARE` (a claim
    /// never writes the task; closing the link waits for claims in flight).
    struct ClaimedTask: Sendable {
        var id: UUID
        var number: String
        var name: String
        var storeID: UUID
        var kind: String
        var state: String
        var definitionID: UUID
        var perPerson: Int
        var conditions: CouponConditions
    }

    func task(claimToken token: String) async throws -> ClaimedTask? {
        let rows = try await connection.query("""
            SELECT id, number, name, store_id, kind, state, definition_id, per_person, conditions::text
            FROM coupons.issue_task WHERE claim_token = \(token) FOR SHARE
            """, logger: logger)
        for try await row in rows {
            var cells = RowCells(row)
            return ClaimedTask(
                id: try cells.next(UUID.self), number: try cells.next(String.self), name: try cells.next(String.self),
                storeID: try cells.next(UUID.self), kind: try cells.next(String.self), state: try cells.next(String.self),
                definitionID: try cells.next(UUID.self), perPerson: try cells.next(Int.self),
                conditions: try JSONDecoder().decode(CouponConditions.self, from: Data(try cells.next(String.self).utf8)))
        }
        return nil
    }

    /// The store's tasks, newest first, filtered by kind, mode and state.
    func list(store: UUID, kind: String?, mode: String?, state: String?, page: PageRequest) async throws -> Page<IssueTaskView> {
        var query = QueryBuilder(Self.from + " WHERE t.store_id = ")
        query.append("", bind: store)
        if let kind { query.append(" AND t.kind = ", bind: kind) }
        if let mode { query.append(" AND t.mode = ", bind: mode) }
        if let state { query.append(" AND t.state = ", bind: state) }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "t.created_at DESC, t.id", page).build(prefix: "SELECT \(Self.columns), t.store_id"))
        return Page(items: items.map(\.view), request: page, total: total)
    }

    private func views(_ sql: String, binds values: [UUID]) async throws -> [(view: IssueTaskView, storeID: UUID)] {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return try await views(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    private func views(_ query: PostgresQuery) async throws -> [(view: IssueTaskView, storeID: UUID)] {
        var views: [(view: IssueTaskView, storeID: UUID)] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), number = try cells.next(String.self), kind = try cells.next(String.self)
            let name = try cells.next(String.self), definitionID = try cells.next(UUID.self), definitionNumber = try cells.next(String.self)
            let definitionName = try cells.next(String.self), mode = try cells.next(String.self), perPerson = try cells.next(Int.self)
            let state = try cells.next(String.self), recipients = try cells.next(Int.self)
            let recipientMobile = try cells.next(String?.self), recipientName = try cells.next(String?.self)
            let conditions = try JSONDecoder().decode(CouponConditions.self, from: Data(try cells.next(String.self).utf8))
            let token = try cells.next(String?.self), customersIssued = try cells.next(Int.self), couponsIssued = try cells.next(Int.self)
            let skipped = try cells.next(Int.self), used = try cells.next(Int.self), createdBy = try cells.next(UUID.self)
            let createdAt = try cells.next(Date.self), publishedAt = try cells.next(Date?.self), decidedBy = try cells.next(UUID?.self)
            let decidedAt = try cells.next(Date?.self), reason = try cells.next(String?.self), issuedAt = try cells.next(Date?.self)
            let storeID = try cells.next(UUID.self)
            let claimOpen = state == IssueTaskState.claiming.rawValue
            views.append((IssueTaskView(
                id: id, number: number, kind: kind, name: name, definitionId: definitionID, definitionNumber: definitionNumber,
                definitionName: definitionName, mode: mode, perPerson: perPerson, state: state, recipients: recipients,
                recipient: recipientMobile.map { IssueTaskView.Recipient(mobile: $0, name: recipientName) }, conditions: conditions,
                claimPath: claimOpen ? token.map { "/api/v1/public/coupons/claims/\($0)" } : nil,
                customersIssued: customersIssued, couponsIssued: couponsIssued, customersSkipped: skipped, couponsUsed: used,
                createdBy: createdBy, createdAt: createdAt, publishedAt: publishedAt, decidedBy: decidedBy, decidedAt: decidedAt,
                rejectionReason: reason, issuedAt: issuedAt), storeID))
        }
        return views
    }
}
