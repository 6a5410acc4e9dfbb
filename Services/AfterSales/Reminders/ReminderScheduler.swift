import Foundation
import ServiceKit
import ServiceLifecycle

/// The daily pass of care reminders (AS7): every `interval` (`CRM_REMINDER_PASS_SECONDS`,
/// default 300 s, 1–86,400), for each store with a kind switched on, generates the reminders
/// due from the store's today to each kind's days ahead (`ReminderStore.generate`), one
/// transaction per store.
///
/// Running often is what makes it daily: the first pass after midnight on the store's clock
/// generates the new day's reminders, later passes of the same day find them there. Every
/// crm-aftersales process runs it; the reminder table's unique key makes each reminder exist
/// once whatever the number of processes and passes; a store's pass also takes a transaction
/// lock that another process's pass of the same store skips (`StorePasses`).
///
/// A day without any pass (every process down) is caught up by the next: a reminder whose day
/// is still ahead within its kind's days ahead is generated then, listed on that day; one whose
/// day has passed is not.
struct ReminderScheduler: Service {
    let environment: ServiceEnvironment
    var interval: Duration

    /// The pass interval from `CRM_REMINDER_PASS_SECONDS`; a value that is no whole number
    /// from 1 to 86,400 stops the service at start, naming the setting.
    static func interval(from variables: [String: String] = ProcessInfo.processInfo.environment) throws -> Duration {
        try ServiceConfiguration.seconds("CRM_REMINDER_PASS_SECONDS", default: 300, range: 1...86_400, in: variables)
    }

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "the care-reminder pass", every: interval, deadline: .seconds(120), logger: environment.logger
        ) { try await pass() }
    }

    /// One pass over every store with reminders switched on.
    func pass() async throws {
        let stores = try await environment.database.withTransaction { connection in
            try await ReminderStore(connection: connection, logger: environment.logger).storesWithRemindersOn()
        }
        let created = await StorePasses.run("aftersales.reminder_pass", stores: stores, in: environment) { store, connection in
            let reminders = ReminderStore(connection: connection, logger: environment.logger)
            let day = try await environment.storeDay(store, on: connection)
            let settings = try await ReminderSettingsStore(connection: connection, logger: environment.logger).settings(store: store)
            let passDay = ReminderStore.PassDay(now: day.now, today: day.today, timeZone: day.timeZone.identifier)
            var created = 0
            for kind in ReminderKind.allCases where settings.switches[kind].enabled {
                created += try await reminders.generate(kind, store: store, day: passDay, settings: settings)
            }
            return created
        }
        for (store, count) in created where count > 0 {
            environment.logger.info("generated care reminders", metadata: ["store": "\(store)", "count": "\(count)"])
        }
    }
}
