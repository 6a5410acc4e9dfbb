import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Campaign tasks and their follow-ups (`aftersales.campaign_task`, `campaign_follow_up`):
/// created at go-live in one statement from the campaign's targets, assigned, followed up,
/// defeated, and closed by the car's return or the campaign's end.
struct CampaignTaskStore {
    let connection: PostgresConnection
    let logger: Logger

    // MARK: Go-live and end

    /// Creates one task per car `targets` selects — the customer class and current SA as
    /// `targets` computes them — first due on `firstDay`, assigned by `assignment`; a car that
    /// has its task already is left alone. Returns how many tasks were created.
    ///
    /// `currentServiceAdvisor` gives a task to the store's active user whose display name is
    /// the car's current SA (one with the role `sa` first); `evenly` deals the cars out in VIN
    /// order over `advisors` (user id and display name), one after another.
    func createTasks(
        campaign: UUID, targets: QueryBuilder, firstDay: String, assignment: CampaignAssignment, advisors: [(id: UUID, name: String)],
        store: UUID
    ) async throws -> Int {
        // The targets' `FROM … WHERE …` holds the first binds; this statement's own values are
        // bound after them, and its text goes in front (`build(prefix:)`).
        var sql = targets
        let campaignID = sql.placeholder(for: campaign)
        let day = sql.placeholder(for: firstDay)
        let advisorIDs = sql.placeholder(for: advisors.map(\.id))
        let advisorNames = sql.placeholder(for: advisors.map(\.name))
        let storeID = sql.placeholder(for: store)
        let chosen: String
        switch assignment {
        case .currentServiceAdvisor:
            chosen = """
                (SELECT u.id FROM aftersales.directory_user u
                 WHERE u.active AND \(storeID) = ANY(u.store_ids) AND u.display_name = t.current_sa
                 ORDER BY u.role = 'sa' DESC, u.username LIMIT 1), t.current_sa
                """
        case .evenly:
            chosen = """
                CASE WHEN cardinality(\(advisorIDs)::uuid[]) > 0
                     THEN (\(advisorIDs)::uuid[])[(t.n - 1) % cardinality(\(advisorIDs)::uuid[]) + 1] END,
                CASE WHEN cardinality(\(advisorNames)::text[]) > 0
                     THEN (\(advisorNames)::text[])[(t.n - 1) % cardinality(\(advisorNames)::text[]) + 1] END
                """
        }
        let insert = """
            WITH created AS (
            INSERT INTO aftersales.campaign_task (
                id, campaign_id, store_id, vehicle_id, vin, customer_class, service_advisor_id, service_advisor_name, state, next_follow_up_on)
            SELECT gen_random_uuid(), \(campaignID), t.store_id, t.vehicle_id, t.vin, t.customer_class, \(chosen), 'open', \(day)::date
            FROM (
                SELECT v.store_id, v.id AS vehicle_id, v.vin, c.customer_class,
                       COALESCE(v.service_advisor, sa.service_advisor) AS current_sa, row_number() OVER (ORDER BY v.vin, v.id) AS n
            """
        sql.append(") t ON CONFLICT (campaign_id, vehicle_id) DO NOTHING RETURNING 1) SELECT count(*)::int FROM created")
        return try await connection.query(sql.build(prefix: insert), logger: logger).decode(Int.self).all().first ?? 0
    }

    /// Marks the campaign's open tasks `failed`: the campaign ended and their cars did not
    /// come back (招揽失败: 活动结束之前未回厂). Returns how many.
    func failOpenTasks(campaign: UUID, at now: Date) async throws -> Int {
        try await connection.query("""
            UPDATE aftersales.campaign_task SET state = 'failed', closed_at = \(now), next_follow_up_on = NULL
            WHERE campaign_id = \(campaign) AND state = 'open'
            RETURNING 1
            """, logger: logger).decode(Int.self).all().count
    }

    // MARK: Returns (招揽成功)

    /// Records the return of these cars: each of their tasks — in any live or ended campaign —
    /// whose car has a repair order opened from the campaign's go-live up to its end succeeds,
    /// with the first such order. Whatever order events arrive in and however often, a task
    /// succeeds once, with the same order: a task that succeeded is left alone, and an order
    /// that arrives late (the ERP's event after the end sweep failed the task, or after the SA
    /// gave up) still counts, since the car did come back in time. A car in two live campaigns
    /// is a success of both: each campaign's figures answer "did the cars it targeted come back".
    func recordReturns(_ cars: [(store: UUID, vin: String)]) async throws {
        guard !cars.isEmpty else { return }
        let stores = cars.map(\.store), vins = cars.map(\.vin)
        try await connection.query("""
            UPDATE aftersales.campaign_task done
            SET state = 'succeeded', returned_repair_order = back.order_id, returned_ro_no = back.ro_no, returned_at = back.opened_at,
                closed_at = now(), next_follow_up_on = NULL
            FROM (
                SELECT DISTINCT ON (t.id) t.id AS task_id, r.id AS order_id, r.ro_no, r.opened_at
                FROM aftersales.campaign_task t
                JOIN aftersales.campaign c ON c.id = t.campaign_id
                JOIN aftersales.repair_order r
                  ON r.store_id = t.store_id AND r.vin = t.vin AND r.opened_at >= c.goes_live_at AND r.opened_at < c.ends_at
                WHERE (t.store_id, t.vin) IN (SELECT * FROM unnest(\(stores)::uuid[], \(vins)::text[]))
                  AND t.state <> 'succeeded' AND c.state IN ('live', 'ended')
                ORDER BY t.id, r.opened_at, r.id
            ) back
            WHERE done.id = back.task_id
            """, logger: logger)
    }

    /// Records the returns of a campaign that has just gone live: cars whose repair order
    /// opened between 00:00 and the moment the scheduler created the tasks. Driven by the
    /// store's repair orders of that window (a few, at go-live) rather than by the tasks (all
    /// of the campaign's cars).
    func recordReturns(campaign: UUID) async throws {
        try await connection.query("""
            UPDATE aftersales.campaign_task done
            SET state = 'succeeded', returned_repair_order = back.order_id, returned_ro_no = back.ro_no, returned_at = back.opened_at,
                closed_at = now(), next_follow_up_on = NULL
            FROM (
                SELECT DISTINCT ON (t.id) t.id AS task_id, r.id AS order_id, r.ro_no, r.opened_at
                FROM aftersales.campaign c
                JOIN aftersales.repair_order r ON r.store_id = c.store_id AND r.opened_at >= c.goes_live_at AND r.opened_at < c.ends_at
                JOIN aftersales.campaign_task t ON t.campaign_id = c.id AND t.vin = r.vin
                WHERE c.id = \(campaign) AND t.state <> 'succeeded'
                ORDER BY t.id, r.opened_at, r.id
            ) back
            WHERE done.id = back.task_id
            """, logger: logger)
    }

    // MARK: Reading

    private static let columns = """
        t.id, t.campaign_id, c.name, t.vehicle_id, t.vin, v.plate, v.brand, v.series, v.model, v.owner_name, v.owner_mobile,
        t.customer_class, t.service_advisor_id, t.service_advisor_name, t.state, t.next_follow_up_on::text, t.follow_up_count,
        t.last_followed_up_at, t.defeat_reason, t.defeat_note, t.defeated_at, t.returned_ro_no, t.returned_at, t.created_at
        """
    private static let from = """
         FROM aftersales.campaign_task t JOIN aftersales.campaign c ON c.id = t.campaign_id
         JOIN aftersales.vehicle v ON v.id = t.vehicle_id WHERE t.store_id = 
        """

    /// The store's tasks matching `filter`, the next follow-up due first.
    func list(_ filter: CampaignTaskFilter, store: UUID, page: PageRequest) async throws -> Page<CampaignTaskView> {
        var sql = QueryBuilder(Self.from)
        sql.append("", bind: store)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "t.next_follow_up_on NULLS LAST, v.vin, t.id", page).build(prefix: "SELECT " + Self.columns)
        return Page(items: try await tasks(select), request: page, total: total)
    }

    /// The task if it belongs to `store`; `forUpdate` locks it.
    func task(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> CampaignTaskView? {
        var sql = QueryBuilder(Self.from)
        sql.append("", bind: store)
        sql.append(" AND t.id = ", bind: id)
        if forUpdate { sql.append(" FOR UPDATE OF t") }
        return try await tasks(sql.build(prefix: "SELECT " + Self.columns)).first
    }

    func followUps(of task: UUID) async throws -> [CampaignFollowUpView] {
        var followUps: [CampaignFollowUpView] = []
        let rows = try await connection.query("""
            SELECT id, task_id, method, content, result, note, next_follow_up_on::text, recorded_by, recorded_by_name, recorded_at
            FROM aftersales.campaign_follow_up WHERE task_id = \(task) ORDER BY recorded_at, id
            """, logger: logger)
        for try await row in rows {
            var cells = RowCells(row)
            followUps.append(CampaignFollowUpView(
                id: try cells.next(UUID.self), taskId: try cells.next(UUID.self), method: try cells.next(String.self),
                content: try cells.next(String.self), result: try cells.next(String.self), note: try cells.next(String?.self),
                nextFollowUpOn: try cells.next(String?.self), recordedBy: try cells.next(UUID.self),
                recordedByName: try cells.next(String.self), recordedAt: try cells.next(Date.self)))
        }
        return followUps
    }

    /// The campaign's figures (`CampaignStatistics`).
    func statistics(campaign: UUID) async throws -> CampaignStatistics {
        try await statistics(campaigns: [campaign])[campaign]!
    }

    /// The figures of each of `campaigns`, with one statement (a list export shows them all).
    func statistics(campaigns: [UUID]) async throws -> [UUID: CampaignStatistics] {
        var figures = Dictionary(uniqueKeysWithValues: campaigns.map {
            ($0, CampaignStatistics(campaignId: $0, targeted: 0, contacted: 0, back: 0, defeated: 0, failed: 0, open: 0, successRate: 0))
        })
        let rows = try await connection.query("""
            SELECT campaign_id, count(*)::int, count(*) FILTER (WHERE follow_up_count > 0)::int,
                   count(*) FILTER (WHERE state = 'succeeded')::int, count(*) FILTER (WHERE state = 'defeated')::int,
                   count(*) FILTER (WHERE state = 'failed')::int, count(*) FILTER (WHERE state = 'open')::int
            FROM aftersales.campaign_task WHERE campaign_id = ANY(\(campaigns)) GROUP BY campaign_id
            """, logger: logger)
        for try await (id, targeted, contacted, back, defeated, failed, open) in rows.decode((UUID, Int, Int, Int, Int, Int, Int).self) {
            figures[id] = CampaignStatistics(
                campaignId: id, targeted: targeted, contacted: contacted, back: back, defeated: defeated, failed: failed,
                open: open, successRate: Rate.of(back, targeted))
        }
        return figures
    }

    // MARK: Writing

    /// Gives the open tasks among `ids` of `store` to the SA; returns the ids changed.
    func assign(_ ids: [UUID], store: UUID, to advisor: (id: UUID, name: String)) async throws -> [UUID] {
        try await connection.query("""
            UPDATE aftersales.campaign_task SET service_advisor_id = \(advisor.id), service_advisor_name = \(advisor.name)
            WHERE id = ANY(\(ids)) AND store_id = \(store) AND state = 'open'
            RETURNING id
            """, logger: logger).decode(UUID.self).all()
    }

    /// Records a follow-up and moves the task's next follow-up to its day.
    func addFollowUp(_ followUp: CampaignFollowUpView) async throws {
        try await connection.query("""
            INSERT INTO aftersales.campaign_follow_up (
                id, task_id, method, content, result, note, next_follow_up_on, recorded_by, recorded_by_name, recorded_at)
            VALUES (
                \(followUp.id), \(followUp.taskId), \(followUp.method), \(followUp.content), \(followUp.result), \(followUp.note),
                \(followUp.nextFollowUpOn)::date, \(followUp.recordedBy), \(followUp.recordedByName), \(followUp.recordedAt))
            """, logger: logger)
        try await connection.query("""
            UPDATE aftersales.campaign_task SET follow_up_count = follow_up_count + 1, last_followed_up_at = \(followUp.recordedAt),
                next_follow_up_on = \(followUp.nextFollowUpOn)::date
            WHERE id = \(followUp.taskId)
            """, logger: logger)
    }

    /// Closes an open task as defeated.
    func defeat(_ id: UUID, reason: String, note: String?, by user: UUID, at now: Date) async throws {
        try await connection.query("""
            UPDATE aftersales.campaign_task SET state = 'defeated', defeat_reason = \(reason), defeat_note = \(note),
                defeated_by = \(user), defeated_at = \(now), closed_at = \(now), next_follow_up_on = NULL
            WHERE id = \(id) AND state = 'open'
            """, logger: logger)
    }

    // MARK: Rows

    private func tasks(_ query: PostgresQuery) async throws -> [CampaignTaskView] {
        var tasks: [CampaignTaskView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            tasks.append(CampaignTaskView(
                id: try cells.next(UUID.self), campaignId: try cells.next(UUID.self), campaignName: try cells.next(String.self),
                vehicleId: try cells.next(UUID.self), vin: try cells.next(String.self), plate: try cells.next(String?.self),
                brand: try cells.next(String?.self), series: try cells.next(String?.self), model: try cells.next(String?.self),
                ownerName: try cells.next(String.self), ownerMobile: try cells.next(String.self),
                customerClass: try cells.next(String.self), serviceAdvisorId: try cells.next(UUID?.self),
                serviceAdvisorName: try cells.next(String?.self), state: try cells.next(String.self),
                nextFollowUpOn: try cells.next(String?.self), followUpCount: try cells.next(Int.self),
                lastFollowedUpAt: try cells.next(Date?.self), defeatReason: try cells.next(String?.self),
                defeatNote: try cells.next(String?.self), defeatedAt: try cells.next(Date?.self),
                returnedRoNo: try cells.next(String?.self), returnedAt: try cells.next(Date?.self), createdAt: try cells.next(Date.self)))
        }
        return tasks
    }
}
