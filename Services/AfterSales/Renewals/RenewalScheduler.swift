import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// The renewal tasks' background pass (SPEC AS6), every `CRM_RENEWAL_PASS_SECONDS` (default
/// 300; 1–86400) in every crm-aftersales process. For each store the directory knows, on the
/// store's clock (service clock, store time zone) and its renewal rules, in one transaction:
///
/// 1. open tasks whose policy ended before today fail (`expired`);
/// 2. every car whose insurance expiry is today or later and at most `level1Days` away gets its
///    task for that expiry, at stage 2 already if at most `level2Days` away (a pass that comes
///    late — the service was down — still opens it, as long as the policy has not ended);
/// 3. open stage-1 tasks within `level2Days` move to stage 2;
/// 4. open tasks nobody is assigned are spread evenly over the store's active renewal
///    specialists (续保专员, role `renewal`): each goes to whoever has the fewest open tasks then
///    (ties by user name), the soonest expiry first. A store without specialists keeps them
///    unassigned, for the director to assign — or for the next pass once a specialist exists.
///
/// Exactly once with several processes: a process that cannot take the store's advisory lock
/// leaves the store to the one that holds it, and the unique key (car, expiry) refuses a
/// second task for the same policy in any case.
struct RenewalScheduler: Service {
    /// The role code of renewal specialists (续保专员).
    static let specialistRole = "renewal"

    let environment: ServiceEnvironment
    /// The pause between passes (`interval(from:)`).
    let interval: Duration

    /// `CRM_RENEWAL_PASS_SECONDS`, or 300 seconds; anything but a whole number of seconds from
    /// 1 to 86400 is a `ConfigurationError` naming the variable (the service exits 78 at start).
    static func interval(from variables: [String: String] = ProcessInfo.processInfo.environment) throws -> Duration {
        try ServiceConfiguration.seconds("CRM_RENEWAL_PASS_SECONDS", default: 300, range: 1...86_400, in: variables)
    }

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "the renewal pass", every: interval, deadline: .seconds(120), logger: environment.logger
        ) { try await pass() }
    }

    /// One pass over every store.
    func pass() async throws {
        let stores = try await environment.database.withTransaction { connection in
            try await RenewalStore(connection: connection, logger: environment.logger).stores()
        }
        let counts = await StorePasses.run("aftersales.renewal_pass", stores: stores, in: environment) { store, connection in
            try await pass(store: store, on: connection)
        }
        for (store, counts) in counts where counts.expired + counts.opened + counts.advanced + counts.assigned > 0 {
            environment.logger.info("renewal pass", metadata: [
                "store": "\(store)", "expired": "\(counts.expired)", "opened": "\(counts.opened)",
                "advanced": "\(counts.advanced)", "assigned": "\(counts.assigned)",
            ])
        }
    }

    /// The store's pass, in the transaction that holds its lock (`StorePasses`).
    func pass(store: UUID, on connection: PostgresConnection) async throws -> (expired: Int, opened: Int, advanced: Int, assigned: Int) {
        let logger = environment.logger
        let tasks = RenewalStore(connection: connection, logger: logger)
        let day = try await environment.storeDay(store, on: connection)
        let settings = try await RenewalSettingsStore(connection: connection, logger: logger).settings(store: store)
        let expired = try await tasks.expire(store: store, today: day.today, at: day.now)
        let opened = try await tasks.open(store: store, today: day.today, settings: settings, at: day.now)
        let advanced = try await tasks.advance(store: store, today: day.today, settings: settings)
        let unassigned = try await tasks.unassigned(store: store)
        guard !unassigned.isEmpty else { return (expired, opened, advanced, 0) }
        let specialists = try await environment.directory.activeUsers(inStore: store, on: connection, logger: logger)
            .filter { $0.role == Self.specialistRole }
        guard !specialists.isEmpty else { return (expired, opened, advanced, 0) }
        var load = try await tasks.openTaskCounts(store: store, of: specialists.map(\.id))
        var assignees: [UUID] = []
        for _ in unassigned {
            // The fewest open tasks; among equals, the first by user name.
            let next = specialists.min { (load[$0.id] ?? 0, $0.username) < (load[$1.id] ?? 0, $1.username) }!
            assignees.append(next.id)
            load[next.id, default: 0] += 1
        }
        try await tasks.assign(unassigned, to: assignees, at: day.now)
        return (expired, opened, advanced, unassigned.count)
    }
}
