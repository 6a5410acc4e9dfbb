import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Prospects, their traffic, tasks and follow-ups in the `prospects` schema. `today` is always
/// the store's day (`yyyy-MM-dd`) from the service clock.
struct ProspectStore {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    // MARK: reading

    static let columns = """
        SELECT p.id, p.store_id, p.name, p.mobile, p.landline, p.gender, p.province, p.city, p.district, p.category, p.source,
               p.brand, p.series, p.model, p.plate, p.level, p.state, p.consultant_id, u.display_name, p.assigned_at, p.lead_id,
               p.defeat_reason, p.defeat_note, p.defeated_at, p.defeat_pool_since, p.in_public_pool, p.released_at,
               p.previous_consultant_id, to_char(p.keep_until, 'YYYY-MM-DD'), p.deleted_at, p.note,
               (SELECT to_char(t.due_on, 'YYYY-MM-DD') FROM prospects.prospect_task t WHERE t.prospect_id = p.id AND t.state = 'open'),
               p.created_at, p.updated_at, p.referrer_mobile
        """

    /// Prospects not in the recycle bin.
    static func from() -> QueryBuilder {
        QueryBuilder(" FROM prospects.prospect p LEFT JOIN prospects.directory_user u ON u.id = p.consultant_id WHERE p.deleted_at IS NULL")
    }

    /// Every prospect, the recycle bin's included.
    static func fromAll() -> QueryBuilder {
        QueryBuilder(" FROM prospects.prospect p LEFT JOIN prospects.directory_user u ON u.id = p.consultant_id WHERE true")
    }

    func list(_ filter: ProspectFilter, principal: Principal, page: PageRequest) async throws -> (items: [ProspectView], total: Int) {
        var sql = Self.from()
        sql.restrict(to: principal, storeColumn: "p.store_id", ownerColumn: "p.consultant_id", directory: directory.schema)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        return (try await rows(sql.ordered(by: "p.created_at DESC, p.id", page).build(prefix: Self.columns)), total)
    }

    /// The prospect if the caller may see it (not in the recycle bin); `forUpdate` locks it.
    func prospect(_ id: UUID, principal: Principal, forUpdate: Bool = false) async throws -> ProspectView? {
        var sql = Self.from()
        sql.append(" AND p.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "p.store_id", ownerColumn: "p.consultant_id", directory: directory.schema)
        if forUpdate { sql.append(" FOR UPDATE OF p") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    /// The prospect by id alone, whoever owns it and wherever it is (for the system's own reads).
    func prospect(_ id: UUID, forUpdate: Bool = false) async throws -> ProspectView? {
        var sql = Self.fromAll()
        sql.append(" AND p.id = ", bind: id)
        if forUpdate { sql.append(" FOR UPDATE OF p") }
        return try await rows(sql.build(prefix: Self.columns)).first
    }

    func rows(_ query: PostgresQuery) async throws -> [ProspectView] {
        var prospects: [ProspectView] = []
        for try await r in try await connection.query(query, logger: logger).decode((
            UUID, UUID, String, String, String?, String?, String?, String?, String?, String, String,
            String?, String?, String?, String?, String, String, UUID?, String?, Date?, UUID?,
            String?, String?, Date?, Date?, Bool, Date?, UUID?, String?, Date?, String?, String?, Date, Date, String?).self)
        {
            prospects.append(ProspectView(
                id: r.0, storeId: r.1, name: r.2, mobile: r.3, landline: r.4, gender: r.5, province: r.6, city: r.7, district: r.8,
                category: r.9, source: r.10,
                brand: r.11, series: r.12, model: r.13, plate: r.14, level: ProspectLevel(rawValue: r.15) ?? .B, state: r.16,
                consultantId: r.17, consultantName: r.18, assignedAt: r.19, leadId: r.20, referrerMobile: r.34,
                defeatReason: r.21, defeatNote: r.22, defeatedAt: r.23, defeatPoolSince: r.24, inPublicPool: r.25, releasedAt: r.26,
                previousConsultantId: r.27, keepUntil: r.28, deletedAt: r.29, note: r.30, nextFollowUpOn: r.31, createdAt: r.32, updatedAt: r.33))
        }
        return prospects
    }

    // MARK: tasks (P4)

    /// Closes the prospect's open task, if any: `done` after a follow-up, `cancelled` otherwise.
    func closeOpenTask(_ prospect: UUID, as state: String = "cancelled") async throws {
        try await connection.query("""
            UPDATE prospects.prospect_task SET state = \(state), done_at = now() WHERE prospect_id = \(prospect) AND state = 'open'
            """, logger: logger)
    }

    /// Opens the prospect's next task, replacing the open one.
    func openTask(
        _ prospect: UUID, store: UUID, consultant: UUID?, dueOn: String, planned: String? = nil, plannedMethod: String? = nil
    ) async throws {
        try await closeOpenTask(prospect)
        try await connection.query("""
            INSERT INTO prospects.prospect_task (id, store_id, prospect_id, consultant_id, due_on, planned, planned_method, state)
            VALUES (\(UUID()), \(store), \(prospect), \(consultant), \(dueOn)::date, \(planned), \(plannedMethod), 'open')
            """, logger: logger)
    }

    // MARK: assignment (P3)

    /// Gives the prospects to `consultant`: their open tasks go along, and one without a task
    /// gets its first follow-up today.
    func assign(_ prospects: [UUID], to consultant: UUID, at now: Date, today: String) async throws {
        try await connection.query("""
            UPDATE prospects.prospect SET consultant_id = \(consultant), assigned_at = \(now), in_public_pool = false, updated_at = now()
            WHERE id = ANY(\(prospects))
            """, logger: logger)
        try await connection.query("""
            UPDATE prospects.prospect_task SET consultant_id = \(consultant) WHERE prospect_id = ANY(\(prospects)) AND state = 'open'
            """, logger: logger)
        try await connection.query("""
            INSERT INTO prospects.prospect_task (id, store_id, prospect_id, consultant_id, due_on, state)
            SELECT gen_random_uuid(), p.store_id, p.id, \(consultant), \(today)::date, 'open' FROM prospects.prospect p
            WHERE p.id = ANY(\(prospects)) AND p.state IN ('active', 'ordered', 'defeat_pending')
              AND NOT EXISTS (SELECT 1 FROM prospects.prospect_task t WHERE t.prospect_id = p.id AND t.state = 'open')
            """, logger: logger)
    }

    // MARK: defeat and re-activation (P7)

    /// Defeated for good: tasks stop; into the defeat pool when the store's pool takes the reason.
    func defeat(_ prospect: UUID, store: UUID, at now: Date) async throws {
        let settings = try await ProspectSettings.read(store: store, on: connection, logger: logger)
        try await connection.query("""
            UPDATE prospects.prospect SET state = 'defeated', defeated_at = \(now),
                defeat_pool_since = CASE WHEN \(settings.defeatPool) AND defeat_reason = ANY(\(settings.defeatPoolReasons)) THEN \(now) END,
                defeat_pool_taken_by = NULL, updated_at = now()
            WHERE id = \(prospect)
            """, logger: logger)
        try await closeOpenTask(prospect)
    }

    /// 激活: level H, active, a task due today; unassigned unless `consultant` takes it on.
    func activate(_ prospect: UUID, store: UUID, consultant: UUID?, at now: Date, today: String) async throws {
        try await connection.query("""
            UPDATE prospects.prospect SET state = 'active', level = 'H', consultant_id = \(consultant),
                assigned_at = CASE WHEN \(consultant)::uuid IS NULL THEN NULL ELSE \(now)::timestamptz END,
                defeat_reason = NULL, defeat_note = NULL, defeat_requested_by = NULL, defeated_at = NULL,
                defeat_pool_since = NULL, defeat_pool_taken_by = NULL, in_public_pool = false,
                deleted_at = NULL, deleted_by = NULL, updated_at = now()
            WHERE id = \(prospect)
            """, logger: logger)
        try await openTask(prospect, store: store, consultant: consultant, dueOn: today)
    }
}

/// The filters of the prospect list and its export. The coded ones are codes of the caller's
/// store's dictionaries (`prospectState`, `prospectLevel`, `prospectCategory`, `prospectSource`),
/// disabled ones included: old records keep them.
struct ProspectFilter: Sendable {
    static let dictionarySets = [
        DataDictionaries.prospectState, DataDictionaries.prospectLevel, DataDictionaries.prospectCategory, DataDictionaries.prospectSource,
    ]

    var state: String?
    var level: String?
    var consultantID: UUID?
    var unassigned: Bool?
    var category: String?
    var source: String?
    var mobile: String?
    var name: String?
    var from: Date?
    var to: Date?

    init(_ request: Request, dictionaries: StoreDictionaries) throws {
        var query = QueryReader(request)
        consultantID = query.uuid("consultantId")
        unassigned = query.bool("unassigned")
        mobile = query.mobile("mobile")
        name = query.string("name", maxLength: 50)
        from = query.date("from")
        to = query.date("to")
        let codes = (state: query.code("state"), level: query.code("level"), category: query.code("category"), source: query.code("source"))
        var check = query.validator
        state = check.filterCode("state", codes.state, in: dictionaries[DataDictionaries.prospectState])
        level = check.filterCode("level", codes.level, in: dictionaries[DataDictionaries.prospectLevel])
        category = check.filterCode("category", codes.category, in: dictionaries[DataDictionaries.prospectCategory])
        source = check.filterCode("source", codes.source, in: dictionaries[DataDictionaries.prospectSource])
        try check.throwIfInvalid()
    }

    /// The filters of `request`, checked against the caller's store's dictionaries.
    static func read(_ request: Request, store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> ProspectFilter {
        try ProspectFilter(request, dictionaries: try await ProspectDictionaries.load(
            dictionarySets, store: store, directory: directory, on: connection, logger: logger))
    }

    func apply(to sql: inout QueryBuilder) {
        if let state { sql.append(" AND p.state = ", bind: state) }
        if let level { sql.append(" AND p.level = ", bind: level) }
        if let consultantID { sql.append(" AND p.consultant_id = ", bind: consultantID) }
        if let unassigned { sql.append(unassigned ? " AND p.consultant_id IS NULL" : " AND p.consultant_id IS NOT NULL") }
        if let category { sql.append(" AND p.category = ", bind: category) }
        if let source { sql.append(" AND p.source = ", bind: source) }
        if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
        if let name { sql.append(" AND p.name ILIKE ", bind: SearchText.containing(name)) }
        if let from { sql.append(" AND p.created_at >= ", bind: from) }
        if let to { sql.append(" AND p.created_at < ", bind: to) }
    }
}
