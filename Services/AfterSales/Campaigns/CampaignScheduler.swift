import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// Puts published campaigns live at their `goes_live_at` (00:00 of the store's next day, seed
/// §5.1 "发布之后在第二天才会上线") and ends live ones after their last day, every
/// `ServiceConfiguration.schedulerInterval`.
///
/// Every replica of crm-aftersales runs it. Each campaign changes state in one transaction that
/// locks its row (`FOR UPDATE SKIP LOCKED`) and re-reads its state: a replica that finds a
/// campaign locked skips it, and one that comes after sees it live already — so tasks are
/// created exactly once however many replicas there are (`UNIQUE (campaign_id, vehicle_id)`
/// would refuse a second set anyway).
struct CampaignScheduler: Service {
    let environment: ServiceEnvironment

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "the campaign scheduler", every: environment.configuration.schedulerInterval, deadline: .seconds(600),
            logger: environment.logger
        ) { try await pass() }
    }

    /// Puts every due campaign live, then ends every campaign past its end.
    func pass() async throws {
        while try await goLiveNext() {}
        while try await endNext() {}
    }

    /// Puts the next due campaign live, if there is one nobody else is handling.
    private func goLiveNext() async throws -> Bool {
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            let due = try await connection.query("""
                SELECT id, store_id FROM aftersales.campaign WHERE state = 'published' AND goes_live_at <= \(now)
                ORDER BY goes_live_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: environment.logger).decode((UUID, UUID).self).all()
            guard let (id, store) = due.first else { return false }
            let started = ContinuousClock.now
            let created = try await CampaignGoLive(environment: environment, connection: connection).start(id, store: store, at: now)
            environment.logger.info("campaign went live", metadata: [
                "campaign": "\(id)", "tasks": "\(created)", "took": "\(ContinuousClock.now - started)",
            ])
            return true
        }
    }

    /// Ends the next live campaign past its end: its open tasks fail.
    private func endNext() async throws -> Bool {
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            let due = try await connection.query("""
                SELECT id FROM aftersales.campaign WHERE state = 'live' AND ends_at <= \(now)
                ORDER BY ends_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: environment.logger).decode(UUID.self).all()
            guard let id = due.first else { return false }
            let failed = try await CampaignTaskStore(connection: connection, logger: environment.logger).failOpenTasks(campaign: id, at: now)
            try await connection.query("""
                UPDATE aftersales.campaign SET state = 'ended', ended_at = \(now), updated_at = now() WHERE id = \(id)
                """, logger: environment.logger)
            environment.logger.info("campaign ended", metadata: ["campaign": "\(id)", "not back": "\(failed)"])
            return true
        }
    }
}

/// A campaign going live, in the transaction that locked it: its tasks from its targets as the
/// store's calendar has them now, assigned; the cars that came back since 00:00 already
/// succeed.
struct CampaignGoLive {
    let environment: ServiceEnvironment
    let connection: PostgresConnection

    /// Returns how many tasks were created.
    func start(_ id: UUID, store: UUID, at now: Date) async throws -> Int {
        let logger = environment.logger
        guard let campaign = try await CampaignStore(connection: connection, logger: logger).campaign(id, store: store) else { return 0 }
        let context = try await VehicleContext.of(store, in: environment, on: connection)
        let source: CampaignTargets.Source = campaign.targets == .list ? .list(campaign: id) : .conditions(campaign.conditions)
        let targets = CampaignTargets.query(
            source, store: store, calendar: context.calendar,
            yearStart: CampaignTargets.yearStart(now: context.calendar.now, timeZone: context.timeZone))
        let advisors = try await CampaignAdvisors(environment: environment, connection: connection)
            .evenlyOver(campaign.assigneeIds, store: store)
        let tasks = CampaignTaskStore(connection: connection, logger: logger)
        let created = try await tasks.createTasks(
            campaign: id, targets: targets, firstDay: context.today, assignment: campaign.assignment, advisors: advisors, store: store)
        try await tasks.recordReturns(campaign: id)
        try await connection.query("""
            UPDATE aftersales.campaign SET state = 'live', went_live_at = \(now), updated_at = now() WHERE id = \(id)
            """, logger: logger)
        return created
    }
}

/// The service advisors tasks are given to.
struct CampaignAdvisors {
    let environment: ServiceEnvironment
    let connection: PostgresConnection

    /// `chosen` (id and display name) that are still active users of the store, or — when none
    /// was chosen — the store's active users of the role `sa`, in user-name order.
    func evenlyOver(_ chosen: [UUID], store: UUID) async throws -> [(id: UUID, name: String)] {
        let users = try await environment.directory.activeUsers(inStore: store, on: connection, logger: environment.logger)
        let advisors = chosen.isEmpty ? users.filter { $0.role == "sa" } : users.filter { chosen.contains($0.id) }
        return advisors.map { ($0.id, $0.displayName) }
    }
}
