import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// The public pool (客户公海, P8): prospects nobody follows up, released by a leader or because
/// their follow-up went overdue, waiting to be claimed (分配给我) or assigned. Taking a prospect
/// that belonged to another team needs that team's leader's approval (客户公海审核).
///
/// Releasing and taking change who follows a prospect up, so both announce the prospects
/// (`prospects.prospect.changed.v1`) in the caller's transaction.
struct PublicPool {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory
    let outbox: Outbox

    private var prospects: ProspectStore { ProspectStore(connection: connection, logger: logger, directory: directory) }

    /// Releases the prospects: their consultant and team are remembered, their task stops.
    func release(_ ids: [UUID], at now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await connection.query("""
            UPDATE prospects.prospect p SET in_public_pool = true, released_at = \(now), previous_consultant_id = p.consultant_id,
                previous_team_id = (SELECT team_id FROM prospects.directory_user u WHERE u.id = p.consultant_id),
                consultant_id = NULL, assigned_at = NULL, updated_at = now()
            WHERE p.id = ANY(\(ids))
            """, logger: logger)
        try await connection.query("""
            UPDATE prospects.prospect_task SET state = 'cancelled', done_at = now() WHERE prospect_id = ANY(\(ids)) AND state = 'open'
            """, logger: logger)
        try await prospects.announceChanges(of: ids, to: outbox)
    }

    /// Releases the store's prospects whose open task is more than the store's allowance
    /// overdue, unless a leader extended their deadline past today. Returns how many.
    func releaseOverdue(store: UUID, now: Date, today: String) async throws -> Int {
        let settings = try await ProspectSettings.read(store: store, on: connection, logger: logger)
        guard settings.publicPool else { return 0 }
        let ids = try await connection.query("""
            SELECT p.id FROM prospects.prospect p JOIN prospects.prospect_task t ON t.prospect_id = p.id AND t.state = 'open'
            WHERE p.store_id = \(store) AND p.state = 'active' AND p.consultant_id IS NOT NULL AND NOT p.in_public_pool
              AND p.deleted_at IS NULL AND (p.keep_until IS NULL OR p.keep_until < \(today)::date)
              AND t.due_on < \(today)::date - \(settings.poolOverdueDays)::int
            ORDER BY p.id FOR UPDATE OF p SKIP LOCKED
            """, logger: logger).decode(UUID.self).all()
        try await release(ids, at: now)
        return ids.count
    }

    /// Gives a pool prospect to `consultant`: out of the pool, a task today, the taking recorded
    /// for the claim rules.
    func take(_ prospect: UUID, store: UUID, for consultant: UUID, at now: Date, today: String) async throws {
        try await connection.query("""
            UPDATE prospects.prospect SET in_public_pool = false, consultant_id = \(consultant), assigned_at = \(now), updated_at = now()
            WHERE id = \(prospect)
            """, logger: logger)
        try await prospects.openTask(prospect, store: store, consultant: consultant, dueOn: today)
        try await connection.query("""
            INSERT INTO prospects.pool_taking (prospect_id, store_id, user_id, taken_at) VALUES (\(prospect), \(store), \(consultant), \(now))
            """, logger: logger)
        try await prospects.announceChanges(of: [prospect], to: outbox)
    }

    /// Why `consultant` may not claim `prospect` now, by the store's claim rules; nil if they may.
    func claimRefusal(_ prospect: ProspectView, by consultant: UUID, settings: ProspectSettings, now: Date, startOfToday: Date) async throws -> String? {
        let claimedToday = try await connection.query("""
            SELECT (SELECT count(*) FROM prospects.pool_taking WHERE store_id = \(prospect.storeId) AND user_id = \(consultant) AND taken_at >= \(startOfToday))
                 + (SELECT count(*) FROM prospects.pool_claim WHERE store_id = \(prospect.storeId) AND claimant_id = \(consultant)
                        AND state = 'pending' AND created_at >= \(startOfToday))
            """, logger: logger).decode(Int.self).all().first ?? 0
        if claimedToday >= settings.claimDailyCap {
            return "you have claimed \(claimedToday) prospects today; the store allows \(settings.claimDailyCap) a day"
        }
        if prospect.previousConsultantId == consultant, let released = prospect.releasedAt,
           now.timeIntervalSince(released) < Double(settings.reclaimBlockDays) * 86400
        {
            return "you had this prospect until \(RFC3339.string(from: released)); the store lets a former consultant claim it again after \(settings.reclaimBlockDays) days"
        }
        return nil
    }

    /// Whether taking the prospect for `consultant` needs the former team leader's approval:
    /// it belonged to a team, and not to the consultant's.
    func needsApproval(_ prospect: UUID, for consultant: UUID) async throws -> (needed: Bool, team: UUID?) {
        let row = try await connection.query("""
            SELECT p.previous_team_id, (SELECT team_id FROM prospects.directory_user WHERE id = \(consultant))
            FROM prospects.prospect p WHERE p.id = \(prospect)
            """, logger: logger).decode((UUID?, UUID?).self).all().first
        guard let (previousTeam, team) = row, let previousTeam else { return (false, nil) }
        return (previousTeam != team, previousTeam)
    }

    /// Files a claim for the former team leader to decide.
    func fileClaim(_ prospect: ProspectView, for consultant: UUID, team: UUID?, at now: Date) async throws -> UUID {
        let id = UUID()
        try await connection.query("""
            INSERT INTO prospects.pool_claim (id, store_id, prospect_id, claimant_id, team_id, state, created_at)
            VALUES (\(id), \(prospect.storeId), \(prospect.id), \(consultant), \(team), 'pending', \(now))
            """, logger: logger)
        return id
    }

    func hasPendingClaim(_ prospect: UUID) async throws -> Bool {
        try await connection.query("""
            SELECT 1 FROM prospects.pool_claim WHERE prospect_id = \(prospect) AND state = 'pending'
            """, logger: logger).decode(Int.self).all().first != nil
    }
}

/// Releases overdue prospects to the public pool every few minutes, for every store whose pool
/// is switched on.
struct PublicPoolSweeper: Service {
    let environment: ServiceEnvironment
    var interval: Duration = .seconds(300)

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "the public-pool sweep", every: interval, deadline: .seconds(60), logger: environment.logger
        ) { try await sweep() }
    }

    func sweep() async throws {
        let stores = try await environment.database.withTransaction { connection in
            try await connection.query("SELECT store_id FROM prospects.prospect_setting WHERE public_pool", logger: environment.logger)
                .decode(UUID.self).all()
        }
        for store in stores {
            let released = try await environment.database.withTransaction { connection in
                let day = try await environment.storeDay(store, on: connection)
                return try await PublicPool(
                    connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox)
                    .releaseOverdue(store: store, now: day.now, today: day.today)
            }
            if released > 0 { environment.logger.info("released overdue prospects to the public pool", metadata: ["store": "\(store)", "count": "\(released)"]) }
        }
    }
}
