import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Leads, their tasks and follow-ups in the `leads` schema. `today` is always the store's day
/// (`yyyy-MM-dd`) from the service clock.
struct LeadStore {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    // MARK: entering leads (L1, L4)

    /// Creates the lead, or — when the store has one with this mobile — records the duplicate
    /// and brings the existing lead's follow-up forward to today.
    func enter(_ draft: LeadDraft, store: UUID, by user: UUID?, today: String) async throws -> (outcome: String, leadID: UUID, duplicateID: UUID?) {
        let id = UUID()
        let inserted = try await connection.query("""
            INSERT INTO leads.lead (id, store_id, name, mobile, landline, gender, source, province, city, brand, series, model, level, state, note, created_by)
            VALUES (\(id), \(store), \(draft.name), \(draft.mobile), \(draft.landline), \(draft.gender), \(draft.source), \(draft.province),
                    \(draft.city), \(draft.brand), \(draft.series), \(draft.model), \(draft.level.rawValue), 'new', \(draft.note), \(user))
            ON CONFLICT (store_id, mobile) DO NOTHING RETURNING id
            """, logger: logger).decode(UUID.self).all()
        if !inserted.isEmpty { return ("created", id, nil) }

        guard let existing = try await connection.query("""
            SELECT id FROM leads.lead WHERE store_id = \(store) AND mobile = \(draft.mobile) FOR UPDATE
            """, logger: logger).decode(UUID.self).all().first
        else { throw ProblemDetails.conflict("the lead was removed while it was entered; try again") }
        let duplicateID = UUID()
        try await connection.query("""
            INSERT INTO leads.duplicate_lead (id, store_id, lead_id, name, mobile, source, reason, note, created_by)
            VALUES (\(duplicateID), \(store), \(existing), \(draft.name), \(draft.mobile), \(draft.source), 'exists', \(draft.note), \(user))
            """, logger: logger)
        try await followUpToday(existing, today: today)
        return ("duplicate", existing, duplicateID)
    }

    /// 重复录入会激活当天回访: the lead's open task is due today (a new one if it has none),
    /// unless the lead is defeated.
    private func followUpToday(_ lead: UUID, today: String) async throws {
        try await connection.query("""
            UPDATE leads.lead_task SET due_on = LEAST(due_on, \(today)::date) WHERE lead_id = \(lead) AND state = 'open'
            """, logger: logger)
        try await connection.query("""
            INSERT INTO leads.lead_task (id, store_id, lead_id, consultant_id, due_on, state)
            SELECT \(UUID()), store_id, id, consultant_id, \(today)::date, 'open' FROM leads.lead
            WHERE id = \(lead) AND state <> 'defeated'
              AND NOT EXISTS (SELECT 1 FROM leads.lead_task WHERE lead_id = \(lead) AND state = 'open')
            """, logger: logger)
    }

    // MARK: reading

    static let columns = """
        SELECT l.id, l.store_id, l.name, l.mobile, l.landline, l.gender, l.source, l.province, l.city, l.brand, l.series, l.model, l.level,
               l.state, l.consultant_id, u.display_name, l.assigned_at, l.defeat_reason, l.defeated_at, l.note,
               (SELECT to_char(t.due_on, 'YYYY-MM-DD') FROM leads.lead_task t WHERE t.lead_id = l.id AND t.state = 'open'),
               l.created_at
        """

    static func from() -> QueryBuilder {
        QueryBuilder(" FROM leads.lead l LEFT JOIN leads.directory_user u ON u.id = l.consultant_id WHERE true")
    }

    func list(_ filter: LeadFilter, principal: Principal, page: PageRequest) async throws -> (items: [LeadView], total: Int) {
        var sql = Self.from()
        sql.restrict(to: principal, storeColumn: "l.store_id", ownerColumn: "l.consultant_id", directory: directory.schema)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "l.created_at DESC, l.id", page)
        return (try await rows(select.build(prefix: Self.columns)), total)
    }

    /// The lead if the caller may see it; `forUpdate` locks it for the transaction.
    func lead(_ id: UUID, principal: Principal, forUpdate: Bool = false) async throws -> LeadView? {
        var sql = Self.from()
        sql.append(" AND l.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "l.store_id", ownerColumn: "l.consultant_id", directory: directory.schema)
        if forUpdate { sql.append(" FOR UPDATE OF l") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    private func rows(_ query: PostgresQuery) async throws -> [LeadView] {
        var leads: [LeadView] = []
        for try await r in try await connection.query(query, logger: logger).decode((
            UUID, UUID, String, String, String?, String?, String, String?, String?, String?, String?, String?, String,
            String, UUID?, String?, Date?, String?, Date?, String?, String?, Date).self)
        {
            leads.append(LeadView(
                id: r.0, storeId: r.1, name: r.2, mobile: r.3, landline: r.4, gender: r.5, source: r.6, province: r.7, city: r.8, brand: r.9,
                series: r.10, model: r.11, level: LeadLevel(rawValue: r.12) ?? .B, state: r.13, consultantId: r.14, consultantName: r.15,
                assignedAt: r.16, defeatReason: r.17, defeatedAt: r.18, note: r.19, nextFollowUpOn: r.20, createdAt: r.21))
        }
        return leads
    }

    // MARK: assignment (L5, L6)

    /// Gives the leads to `consultant`: their open tasks go with them, and a lead without one
    /// gets its first follow-up today.
    func assign(_ leads: [UUID], to consultant: UUID, at now: Date, today: String) async throws {
        try await connection.query("""
            UPDATE leads.lead SET consultant_id = \(consultant), assigned_at = \(now), state = 'assigned', updated_at = now()
            WHERE id = ANY(\(leads))
            """, logger: logger)
        try await connection.query("""
            UPDATE leads.lead_task SET consultant_id = \(consultant) WHERE lead_id = ANY(\(leads)) AND state = 'open'
            """, logger: logger)
        try await connection.query("""
            INSERT INTO leads.lead_task (id, store_id, lead_id, consultant_id, due_on, state)
            SELECT gen_random_uuid(), l.store_id, l.id, \(consultant), \(today)::date, 'open' FROM leads.lead l
            WHERE l.id = ANY(\(leads)) AND NOT EXISTS (SELECT 1 FROM leads.lead_task t WHERE t.lead_id = l.id AND t.state = 'open')
            """, logger: logger)
    }

    // MARK: follow-ups, defeat, re-activation (L6–L8)

    /// Records a follow-up, closes the open task and opens the next one: on `nextOn` if given,
    /// otherwise after the store's interval for the lead's (new) level.
    func recordFollowUp(
        lead: LeadView, by consultant: UUID, channel: String, content: String, level: LeadLevel, nextOn: String?, today: String
    ) async throws -> UUID {
        let interval = try await LeadRules(connection: connection, logger: logger).interval(for: level, store: lead.storeId)
        let next = nextOn ?? ServiceClock.day(today, plus: interval)
        let id = UUID()
        try await connection.query("""
            INSERT INTO leads.lead_follow_up (id, store_id, lead_id, consultant_id, channel, content, level, next_on)
            VALUES (\(id), \(lead.storeId), \(lead.id), \(consultant), \(channel), \(content), \(level.rawValue), \(next)::date)
            """, logger: logger)
        try await connection.query("""
            UPDATE leads.lead SET level = \(level.rawValue), updated_at = now() WHERE id = \(lead.id)
            """, logger: logger)
        try await connection.query("""
            UPDATE leads.lead_task SET state = 'done', done_at = now() WHERE lead_id = \(lead.id) AND state = 'open'
            """, logger: logger)
        try await connection.query("""
            INSERT INTO leads.lead_task (id, store_id, lead_id, consultant_id, due_on, state)
            VALUES (\(UUID()), \(lead.storeId), \(lead.id), \(lead.consultantId ?? consultant), \(next)::date, 'open')
            """, logger: logger)
        return id
    }

    func defeat(_ lead: UUID, reason: String, at now: Date) async throws {
        try await connection.query("""
            UPDATE leads.lead SET state = 'defeated', defeat_reason = \(reason), defeated_at = \(now), updated_at = now() WHERE id = \(lead)
            """, logger: logger)
        try await connection.query("""
            UPDATE leads.lead_task SET state = 'cancelled', done_at = now() WHERE lead_id = \(lead) AND state = 'open'
            """, logger: logger)
    }

    /// 激活: level H, a task due today, and back to the unassigned list until a manager assigns it.
    func activate(_ lead: UUID, store: UUID, today: String) async throws {
        try await connection.query("""
            UPDATE leads.lead SET state = 'new', level = 'H', consultant_id = NULL, assigned_at = NULL,
                defeat_reason = NULL, defeated_at = NULL, updated_at = now()
            WHERE id = \(lead)
            """, logger: logger)
        try await connection.query("""
            INSERT INTO leads.lead_task (id, store_id, lead_id, consultant_id, due_on, state)
            VALUES (\(UUID()), \(store), \(lead), NULL, \(today)::date, 'open')
            """, logger: logger)
    }
}

/// The filters of the lead list and its export. `state`, `level` and `source` are codes of the
/// caller's store's dictionaries (`leadState`, `leadLevel`, `leadSource`), disabled ones included:
/// old leads carry them.
struct LeadFilter: Sendable {
    var state: String?
    var level: String?
    var consultantID: UUID?
    var source: String?
    var mobile: String?
    var name: String?
    var from: Date?
    var to: Date?

    init(_ request: Request, dictionaries: LeadDictionaries) throws {
        var query = QueryReader(request)
        var check = FieldValidator()
        state = check.filterCode("state", query.code("state"), in: dictionaries.state)
        level = check.filterCode("level", query.code("level"), in: dictionaries.level)
        consultantID = query.uuid("consultantId")
        source = check.filterCode("source", query.code("source"), in: dictionaries.source)
        mobile = query.mobile("mobile")
        name = query.string("name", maxLength: 50)
        from = query.date("from")
        to = query.date("to")
        // Every bad parameter at once.
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    func apply(to sql: inout QueryBuilder) {
        if let state { sql.append(" AND l.state = ", bind: state) }
        if let level { sql.append(" AND l.level = ", bind: level) }
        if let consultantID { sql.append(" AND l.consultant_id = ", bind: consultantID) }
        if let source { sql.append(" AND l.source = ", bind: source) }
        if let mobile { sql.append(" AND l.mobile = ", bind: mobile) }
        if let name {
            sql.append(" AND l.name ILIKE ", bind: SearchText.containing(name))
        }
        if let from { sql.append(" AND l.created_at >= ", bind: from) }
        if let to { sql.append(" AND l.created_at < ", bind: to) }
    }
}
