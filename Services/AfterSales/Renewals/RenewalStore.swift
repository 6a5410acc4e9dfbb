import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Renewal tasks, their follow-ups and renewed policies in `aftersales.renewal_task`,
/// `aftersales.renewal_follow_up` and `aftersales.insurance_renewal` (SPEC AS6): every statement
/// of the feature. Days are `yyyy-MM-dd` on the store's calendar, which the caller works out
/// (`StoreDay`); instants are UTC.
///
/// Locks, so that the background pass, staff and the ERP never deadlock: a renewal locks the
/// car's file (`FOR NO KEY UPDATE`, which lets new tasks reference it) before its task; a
/// follow-up locks only its task; the pass takes a per-store advisory lock and updates tasks.
struct RenewalStore {
    let connection: PostgresConnection
    let logger: Logger

    /// What a write needs to know of a task.
    struct TaskState: Sendable {
        var id: UUID
        var storeID: UUID
        var vehicleID: UUID
        /// The last day of the policy the task is about, `yyyy-MM-dd`.
        var insuranceExpiry: String
        var stage: RenewalStage
        var state: RenewalState
        var assigneeID: UUID?
    }

    /// A row that does not read as the migration made it: a programming error.
    struct Unexpected: Error, CustomStringConvertible {
        var what: String
        var description: String { "unexpected value in the renewal tables: \(what)" }
    }

    // MARK: - Reading tasks

    private static let viewColumns = """
        SELECT t.id, t.store_id, t.vehicle_id, t.vin, v.plate, v.brand, v.series, v.model, v.owner_name, v.owner_mobile,
            to_char(t.insurance_expiry, 'YYYY-MM-DD'), t.stage, t.state, t.assignee_id, u.display_name, t.assigned_at,
            to_char(t.created_on, 'YYYY-MM-DD'), to_char(t.next_follow_up_on, 'YYYY-MM-DD'), t.last_follow_up_at,
            t.defeat_reason, t.closed_at, t.created_at, t.updated_at,
            r.id, r.insurer, r.policy_no, r.premium::text, to_char(r.new_expiry, 'YYYY-MM-DD'),
            to_char(r.issued_on, 'YYYY-MM-DD'), r.source, r.recorded_by, r.recorded_at
        """

    private static let from = """
        FROM aftersales.renewal_task t JOIN aftersales.vehicle v ON v.id = t.vehicle_id
        LEFT JOIN aftersales.directory_user u ON u.id = t.assignee_id
        LEFT JOIN aftersales.insurance_renewal r ON r.task_id = t.id
        WHERE true
        """

    /// One page of the tasks `principal` may see (the store's, or with the `own` scope those
    /// assigned to them) matching `filter`, the soonest expiry first.
    func list(_ filter: RenewalFilter, principal: Principal, directory: SQLIdentifier, page: PageRequest) async throws -> Page<RenewalTaskView> {
        var sql = QueryBuilder(Self.from)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory)
        filter.apply(to: &sql)
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "t.insurance_expiry, t.id", page)
        return Page(items: try await views(select.build(prefix: Self.viewColumns)), request: page, total: total)
    }

    /// The task with its follow-ups, if `principal` may see it.
    func task(_ id: UUID, principal: Principal, directory: SQLIdentifier) async throws -> RenewalTaskView? {
        var sql = QueryBuilder(Self.from)
        sql.append(" AND t.id = ", bind: id)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory)
        guard var task = try await views(sql.build(prefix: Self.viewColumns)).first else { return nil }
        task.followUps = try await followUps(of: id)
        return task
    }

    /// The task's follow-ups, oldest first.
    func followUps(of task: UUID) async throws -> [RenewalFollowUpView] {
        let rows = try await connection.query("""
            SELECT f.id, f.stage, f.author_id, u.display_name, f.recorded_at, f.note, f.defeat_reason,
                to_char(f.next_follow_up_on, 'YYYY-MM-DD')
            FROM aftersales.renewal_follow_up f LEFT JOIN aftersales.directory_user u ON u.id = f.author_id
            WHERE f.task_id = \(task) ORDER BY f.recorded_at, f.id
            """, logger: logger)
        var followUps: [RenewalFollowUpView] = []
        for try await (id, stage, author, name, recordedAt, note, reason, next) in rows.decode(
            (UUID, String, UUID, String?, Date, String, String?, String?).self)
        {
            guard let stage = RenewalStage(rawValue: stage) else { throw Unexpected(what: "stage \(stage)") }
            followUps.append(RenewalFollowUpView(
                id: id, stage: stage, authorId: author, authorName: name, recordedAt: recordedAt, note: note,
                defeatReason: reason, nextFollowUpOn: next))
        }
        return followUps
    }

    private func views(_ query: PostgresQuery) async throws -> [RenewalTaskView] {
        var views: [RenewalTaskView] = []
        for try await row in try await connection.query(query, logger: logger) {
            var cells = RowCells(row)
            func next<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value { try cells.next(type) }
            let (id, store, vehicle, vin) = (try next(UUID.self), try next(UUID.self), try next(UUID.self), try next(String.self))
            let (plate, brand, series, model) = (try next(String?.self), try next(String?.self), try next(String?.self), try next(String?.self))
            let (ownerName, ownerMobile, expiry) = (try next(String.self), try next(String.self), try next(String.self))
            let stageCode = try next(String.self), stateCode = try next(String.self)
            guard let stage = RenewalStage(rawValue: stageCode), let state = RenewalState(rawValue: stateCode) else {
                throw Unexpected(what: "stage \(stageCode), state \(stateCode)")
            }
            let (assignee, assigneeName, assignedAt) = (try next(UUID?.self), try next(String?.self), try next(Date?.self))
            let (createdOn, nextFollowUpOn, lastFollowUpAt) = (try next(String.self), try next(String?.self), try next(Date?.self))
            let (defeatReason, closedAt, createdAt, updatedAt) = (try next(String?.self), try next(Date?.self), try next(Date.self), try next(Date.self))
            var renewal: InsuranceRenewalView?
            let renewalID = try next(UUID?.self)
            let (insurer, policyNo, premium) = (try next(String?.self), try next(String?.self), try next(String?.self))
            let (newExpiry, issuedOn, source) = (try next(String?.self), try next(String?.self), try next(String?.self))
            let (recordedBy, recordedAt) = (try next(UUID?.self), try next(Date?.self))
            if let renewalID, let insurer, let policyNo, let premium = Money.amount(premium), let newExpiry, let issuedOn,
               let source, let recordedAt
            {
                renewal = InsuranceRenewalView(
                    id: renewalID, insurer: insurer, policyNo: policyNo, premium: premium, newExpiry: newExpiry,
                    issuedOn: issuedOn, source: source, recordedBy: recordedBy, recordedAt: recordedAt)
            }
            views.append(RenewalTaskView(
                id: id, storeId: store, vehicleId: vehicle, vin: vin, plate: plate, brand: brand, series: series, model: model,
                ownerName: ownerName, ownerMobile: ownerMobile, insuranceExpiry: expiry, stage: stage, state: state,
                assigneeId: assignee, assigneeName: assigneeName, assignedAt: assignedAt, createdOn: createdOn,
                nextFollowUpOn: nextFollowUpOn, lastFollowUpAt: lastFollowUpAt, defeatReason: defeatReason, closedAt: closedAt,
                createdAt: createdAt, updatedAt: updatedAt, renewal: renewal, followUps: nil))
        }
        return views
    }

    // MARK: - Writes by staff

    /// The task's car, if `principal` may see the task: what a renewal locks first.
    func vehicle(ofTask id: UUID, principal: Principal, directory: SQLIdentifier) async throws -> UUID? {
        var sql = QueryBuilder("FROM aftersales.renewal_task t WHERE t.id = ")
        sql.append("", bind: id)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory)
        return try await connection.query(sql.build(prefix: "SELECT t.vehicle_id"), logger: logger).decode(UUID.self).all().first
    }

    /// Locks the car's file until the transaction ends (a renewal changes its expiry).
    func lockVehicle(_ id: UUID) async throws {
        try await connection.query("SELECT id FROM aftersales.vehicle WHERE id = \(id) FOR NO KEY UPDATE", logger: logger)
    }

    /// The car's VIN.
    func vin(ofVehicle id: UUID) async throws -> String {
        guard let vin = try await connection.query("SELECT vin FROM aftersales.vehicle WHERE id = \(id)", logger: logger)
            .decode(String.self).all().first
        else { throw Unexpected(what: "no vehicle \(id)") }
        return vin
    }

    /// The task, locked until the transaction ends, if `principal` may see it (the assignee
    /// scope applies: a specialist writes only to their own tasks).
    func lockedTask(_ id: UUID, principal: Principal, directory: SQLIdentifier) async throws -> TaskState? {
        var sql = QueryBuilder("FROM aftersales.renewal_task t WHERE t.id = ")
        sql.append("", bind: id)
        sql.restrict(to: principal, storeColumn: "t.store_id", ownerColumn: "t.assignee_id", directory: directory)
        sql.append(" FOR UPDATE OF t")
        return try await taskStates(sql.build(prefix: Self.stateColumns)).first
    }

    private static let stateColumns = """
        SELECT t.id, t.store_id, t.vehicle_id, to_char(t.insurance_expiry, 'YYYY-MM-DD'), t.stage, t.state, t.assignee_id
        """

    private func taskStates(_ query: PostgresQuery) async throws -> [TaskState] {
        var tasks: [TaskState] = []
        for try await (id, store, vehicle, expiry, stage, state, assignee) in try await connection.query(query, logger: logger)
            .decode((UUID, UUID, UUID, String, String, String, UUID?).self)
        {
            guard let stageValue = RenewalStage(rawValue: stage), let stateValue = RenewalState(rawValue: state) else {
                throw Unexpected(what: "stage \(stage), state \(state)")
            }
            tasks.append(TaskState(
                id: id, storeID: store, vehicleID: vehicle, insuranceExpiry: expiry, stage: stageValue, state: stateValue,
                assigneeID: assignee))
        }
        return tasks
    }

    /// Gives the task to `assignee`.
    func assign(_ task: UUID, to assignee: UUID, at now: Date) async throws {
        try await connection.query("""
            UPDATE aftersales.renewal_task SET assignee_id = \(assignee), assigned_at = \(now), updated_at = now() WHERE id = \(task)
            """, logger: logger)
    }

    /// Records a follow-up of an open task by `author` at its current stage; one with a
    /// defeat reason ends the task as defeated.
    func recordFollowUp(_ followUp: RenewalFollowUp, on task: TaskState, by author: UUID, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO aftersales.renewal_follow_up
                (id, task_id, store_id, stage, author_id, recorded_at, note, defeat_reason, next_follow_up_on)
            VALUES (\(UUID()), \(task.id), \(task.storeID), \(task.stage.rawValue), \(author), \(now), \(followUp.note),
                \(followUp.defeatReason), \(followUp.nextFollowUpOn)::date)
            """, logger: logger)
        if let reason = followUp.defeatReason {
            try await connection.query("""
                UPDATE aftersales.renewal_task SET state = 'defeated', defeat_reason = \(reason), closed_at = \(now),
                    last_follow_up_at = \(now), next_follow_up_on = NULL, updated_at = now()
                WHERE id = \(task.id)
                """, logger: logger)
        } else {
            try await connection.query("""
                UPDATE aftersales.renewal_task SET last_follow_up_at = \(now), next_follow_up_on = \(followUp.nextFollowUpOn)::date,
                    updated_at = now()
                WHERE id = \(task.id)
                """, logger: logger)
        }
    }

    // MARK: - Renewed policies

    /// A car's file by store and VIN, locked until the transaction ends: its id and insurance
    /// expiry (`yyyy-MM-dd`, if any).
    func lockedVehicle(vin: String, store: UUID) async throws -> (id: UUID, insuranceExpiry: String?)? {
        try await connection.query("""
            SELECT id, to_char(insurance_expiry, 'YYYY-MM-DD') FROM aftersales.vehicle
            WHERE store_id = \(store) AND vin = \(vin) FOR NO KEY UPDATE
            """, logger: logger).decode((UUID, String?).self).all().first.map { ($0.0, $0.1) }
    }

    /// The car's task a policy issued on `issuedOn` and ending on `expiresOn` saves, locked
    /// until the transaction ends: open — or expired by a pass before the ERP's event came —
    /// with its policy ending on or after `issuedOn` and before `expiresOn`.
    func lockedTaskSaved(byPolicyIssuedOn issuedOn: String, expiring expiresOn: String, vehicle: UUID) async throws -> TaskState? {
        try await taskStates("""
            \(unescaped: Self.stateColumns) FROM aftersales.renewal_task t
            WHERE t.vehicle_id = \(vehicle) AND t.state IN ('open', 'expired')
              AND t.insurance_expiry >= \(issuedOn)::date AND t.insurance_expiry < \(expiresOn)::date
            ORDER BY t.insurance_expiry LIMIT 1 FOR UPDATE
            """).first
    }

    /// Records a renewed policy of the car; false, changing nothing, if the store has this
    /// insurer's policy number already (the ERP sent it again). `task`: the task it succeeds.
    func recordPolicy(
        _ policy: InsurancePolicy, store: UUID, vehicle: UUID, vin: String, task: UUID?, issuedOn: String,
        source: String, by author: UUID?, at now: Date
    ) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO aftersales.insurance_renewal
                (id, store_id, vehicle_id, vin, task_id, insurer, policy_no, premium, new_expiry, issued_on, source, recorded_by, recorded_at)
            VALUES (\(UUID()), \(store), \(vehicle), \(vin), \(task), \(policy.insurer), \(policy.policyNo),
                \(Money.text(policy.premium))::numeric, \(policy.newExpiry)::date, \(issuedOn)::date, \(source), \(author), \(now))
            ON CONFLICT (store_id, insurer, policy_no) DO NOTHING
            RETURNING id
            """, logger: logger)
        return try await rows.collect().count == 1
    }

    /// The task succeeded (续保成功): open, or expired by a pass before the ERP's event of a
    /// policy issued in time came.
    func markRenewed(_ task: UUID, at now: Date) async throws {
        try await connection.query("""
            UPDATE aftersales.renewal_task SET state = 'renewed', closed_at = \(now), next_follow_up_on = NULL, updated_at = now()
            WHERE id = \(task) AND state IN ('open', 'expired')
            """, logger: logger)
    }

    /// Moves the car's insurance expiry to `newExpiry` if that is later (a policy never moves
    /// it back): the next cycle's task opens from it.
    func extendInsurance(ofVehicle vehicle: UUID, to newExpiry: String) async throws {
        try await connection.query("""
            UPDATE aftersales.vehicle SET insurance_expiry = \(newExpiry)::date, updated_at = now()
            WHERE id = \(vehicle) AND (insurance_expiry IS NULL OR insurance_expiry < \(newExpiry)::date)
            """, logger: logger)
    }

    // MARK: - The background pass

    /// The stores the pass looks at: every store the directory knows.
    func stores() async throws -> [UUID] {
        try await connection.query("SELECT id FROM aftersales.directory_store ORDER BY id", logger: logger).decode(UUID.self).all()
    }


    /// Fails the store's open tasks whose policy ended before `today`; how many.
    func expire(store: UUID, today: String, at now: Date) async throws -> Int {
        try await connection.query("""
            UPDATE aftersales.renewal_task SET state = 'expired', closed_at = \(now), next_follow_up_on = NULL, updated_at = now()
            WHERE store_id = \(store) AND state = 'open' AND insurance_expiry < \(today)::date
            RETURNING id
            """, logger: logger).collect().count
    }

    /// Opens a task for every car of the store whose insurance ends within `level1Days` of
    /// `today` (and not before it) and has none for that expiry yet — at stage 2 if within
    /// `level2Days`; how many. The unique key (car, expiry) makes it once, whoever runs it.
    func open(store: UUID, today: String, settings: RenewalSettings, at now: Date) async throws -> Int {
        try await connection.query("""
            INSERT INTO aftersales.renewal_task (id, store_id, vehicle_id, vin, insurance_expiry, stage, state, created_on, created_at, updated_at)
            SELECT gen_random_uuid(), v.store_id, v.id, v.vin, v.insurance_expiry,
                CASE WHEN v.insurance_expiry - \(settings.level2Days)::int <= \(today)::date THEN 'level2' ELSE 'level1' END,
                'open', \(today)::date, \(now), \(now)
            FROM aftersales.vehicle v
            WHERE v.store_id = \(store) AND v.insurance_expiry >= \(today)::date
              AND v.insurance_expiry - \(settings.level1Days)::int <= \(today)::date
            ORDER BY v.insurance_expiry, v.id
            ON CONFLICT (vehicle_id, insurance_expiry) DO NOTHING
            RETURNING id
            """, logger: logger).collect().count
    }

    /// Moves the store's open stage-1 tasks whose expiry is within `level2Days` of `today` to
    /// stage 2; how many.
    func advance(store: UUID, today: String, settings: RenewalSettings) async throws -> Int {
        try await connection.query("""
            UPDATE aftersales.renewal_task SET stage = 'level2', updated_at = now()
            WHERE store_id = \(store) AND state = 'open' AND stage = 'level1'
              AND insurance_expiry - \(settings.level2Days)::int <= \(today)::date
            RETURNING id
            """, logger: logger).collect().count
    }

    /// The store's open tasks nobody can follow up, the soonest expiry first: unassigned, or
    /// assigned to someone who is no longer an active renewal specialist of the store (left,
    /// moved store, changed role) — their tasks go to the others rather than wait unseen.
    func unassigned(store: UUID) async throws -> [UUID] {
        try await connection.query("""
            SELECT t.id FROM aftersales.renewal_task t
            WHERE t.store_id = \(store) AND t.state = 'open'
              AND NOT EXISTS (
                  SELECT 1 FROM aftersales.directory_user u
                  WHERE u.id = t.assignee_id AND u.active AND t.store_id = ANY(u.store_ids) AND u.role = \(RenewalScheduler.specialistRole))
            ORDER BY t.insurance_expiry, t.id
            """, logger: logger).decode(UUID.self).all()
    }

    /// How many open tasks of the store each of `users` has.
    func openTaskCounts(store: UUID, of users: [UUID]) async throws -> [UUID: Int] {
        var counts = Dictionary(uniqueKeysWithValues: users.map { ($0, 0) })
        let rows = try await connection.query("""
            SELECT assignee_id, count(*)::int FROM aftersales.renewal_task
            WHERE store_id = \(store) AND state = 'open' AND assignee_id = ANY(\(users))
            GROUP BY assignee_id
            """, logger: logger)
        for try await (user, count) in rows.decode((UUID, Int).self) { counts[user] = count }
        return counts
    }

    /// Gives each task of `tasks` to the user at the same place of `assignees`, unless someone
    /// was assigned meanwhile.
    func assign(_ tasks: [UUID], to assignees: [UUID], at now: Date) async throws {
        guard !tasks.isEmpty else { return }
        try await connection.query("""
            UPDATE aftersales.renewal_task t SET assignee_id = a.assignee, assigned_at = \(now), updated_at = now()
            FROM unnest(\(tasks)::uuid[], \(assignees)::uuid[]) AS a(id, assignee)
            WHERE t.id = a.id AND t.assignee_id IS NULL
            """, logger: logger)
    }
}
