import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Invitation tasks in `marketing.invitation_task` and their follow-ups in
/// `marketing.invitation_follow_up`.
struct InvitationStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        t.id, t.event_id, e.number, e.name, e.starts_at, t.mobile, t.name, t.prospect_id, t.consultant_id, u.display_name,
        t.result, t.follow_up_count, t.last_follow_up_at, t.next_follow_up_on::text, t.created_at
        """

    private static let tasks = """
         FROM marketing.invitation_task t JOIN marketing.marketing_event e ON e.id = t.event_id
         LEFT JOIN marketing.directory_user u ON u.id = t.consultant_id
        """

    /// How many tasks the event has.
    func count(event: UUID) async throws -> Int {
        try await connection.query("SELECT count(*)::int FROM marketing.invitation_task WHERE event_id = \(event)", logger: logger)
            .decode(Int.self).all().first ?? 0
    }

    /// Adds a task unless the mobile has one for the event; the existing task's id when it has.
    func add(id: UUID, event: UUID, store: UUID, mobile: String, name: String?, prospect: UUID?, consultant: UUID, by user: UUID) async throws -> UUID? {
        let rows = try await connection.query("""
            INSERT INTO marketing.invitation_task (id, event_id, store_id, mobile, name, prospect_id, consultant_id, created_by)
            VALUES (\(id), \(event), \(store), \(mobile), \(name), \(prospect), \(consultant), \(user))
            ON CONFLICT (event_id, mobile) DO NOTHING
            RETURNING id
            """, logger: logger)
        if try await rows.decode(UUID.self).all().first != nil { return nil }
        return try await connection.query(
            "SELECT id FROM marketing.invitation_task WHERE event_id = \(event) AND mobile = \(mobile)", logger: logger
        ).decode(UUID.self).all().first
    }

    /// Records a follow-up and makes its result the task's.
    func addFollowUp(_ task: UUID, id: UUID, method: String, content: String, result: String, note: String?, nextFollowUpOn: String?,
                     by user: UUID, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO marketing.invitation_follow_up (id, task_id, method, content, result, note, next_follow_up_on, recorded_by, recorded_at)
            VALUES (\(id), \(task), \(method), \(content), \(result), \(note), \(nextFollowUpOn)::date, \(user), \(now))
            """, logger: logger)
        try await connection.query("""
            UPDATE marketing.invitation_task SET result = \(result), follow_up_count = follow_up_count + 1,
                last_follow_up_at = \(now), next_follow_up_on = \(nextFollowUpOn)::date
            WHERE id = \(task)
            """, logger: logger)
    }

    /// The task if it is of `store`; `forUpdate` locks it (follow-ups are written one at a time).
    func task(_ id: UUID, store: UUID, timeZone: TimeZone, forUpdate: Bool = false) async throws -> InvitationTaskView? {
        var query = QueryBuilder(Self.tasks)
        query.append(" WHERE t.id = ", bind: id)
        query.append(" AND t.store_id = ", bind: store)
        if forUpdate { query.append(" FOR UPDATE OF t") }
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone).first
    }

    func tasks(_ ids: [UUID], timeZone: TimeZone) async throws -> [InvitationTaskView] {
        var query = QueryBuilder(Self.tasks)
        query.append(" WHERE t.id = ANY(\(query.placeholder(for: ids)))")
        query.append(" ORDER BY t.created_at, t.mobile")
        return try await views(query.build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone)
    }

    /// The tasks `principal` may see — a consultant's own (`own` scope), the store's for a
    /// manager — newest first; filtered by event, consultant, result (`open`: none yet) and text
    /// in the name or mobile.
    func list(for principal: Principal, event: UUID?, consultant: UUID?, result: String?, text: String?, timeZone: TimeZone,
              page: PageRequest, directory: SQLIdentifier) async throws -> Page<InvitationTaskView> {
        var query = QueryBuilder(Self.tasks + " WHERE true")
        query.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.consultant_id", directory: directory)
        if let event { query.append(" AND t.event_id = ", bind: event) }
        if let consultant { query.append(" AND t.consultant_id = ", bind: consultant) }
        if let result {
            if result == "open" { query.append(" AND t.result IS NULL") } else { query.append(" AND t.result = ", bind: result) }
        }
        if let text {
            let pattern = SearchText.containing(text)
            query.append(" AND (t.name ILIKE \(query.placeholder(for: pattern)) OR t.mobile LIKE \(query.placeholder(for: pattern)))")
        }
        let total = try await query.count(on: connection, logger: logger)
        let items = try await views(query.ordered(by: "t.created_at DESC, t.id", page).build(prefix: "SELECT \(Self.columns)"), timeZone: timeZone)
        return Page(items: items, request: page, total: total)
    }

    func followUps(of task: UUID) async throws -> [InvitationFollowUpView] {
        let rows = try await connection.query("""
            SELECT f.id, f.method, f.content, f.result, f.note, f.next_follow_up_on::text, f.recorded_by, u.display_name, f.recorded_at
            FROM marketing.invitation_follow_up f LEFT JOIN marketing.directory_user u ON u.id = f.recorded_by
            WHERE f.task_id = \(task) ORDER BY f.recorded_at, f.id
            """, logger: logger)
        var followUps: [InvitationFollowUpView] = []
        for try await (id, method, content, result, note, next, by, byName, at) in rows.decode(
            (UUID, String, String, String, String?, String?, UUID, String?, Date).self)
        {
            followUps.append(InvitationFollowUpView(
                id: id, method: method, content: content, result: result, note: note, nextFollowUpOn: next, recordedBy: by,
                recordedByName: byName, recordedAt: at))
        }
        return followUps
    }

    private func views(_ query: PostgresQuery, timeZone: TimeZone) async throws -> [InvitationTaskView] {
        var views: [InvitationTaskView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), event = try cells.next(UUID.self), number = try cells.next(String.self)
            let eventName = try cells.next(String.self), startsAt = try cells.next(Date.self), mobile = try cells.next(String.self)
            let name = try cells.next(String?.self), prospect = try cells.next(UUID?.self), consultant = try cells.next(UUID.self)
            let consultantName = try cells.next(String?.self), result = try cells.next(String?.self), count = try cells.next(Int.self)
            let last = try cells.next(Date?.self), next = try cells.next(String?.self), createdAt = try cells.next(Date.self)
            views.append(InvitationTaskView(
                id: id, eventId: event, eventNumber: number, eventName: eventName,
                eventStartsAtLocal: LocalDateTime(startsAt, in: timeZone).text, mobile: mobile, name: name, prospectId: prospect,
                consultantId: consultant, consultantName: consultantName, result: result, followUpCount: count, lastFollowUpAt: last,
                nextFollowUpOn: next, createdAt: createdAt))
        }
        return views
    }
}
