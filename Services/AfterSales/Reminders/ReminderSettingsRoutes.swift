import Foundation
import Hummingbird
import ServiceKit

/// `GET/PUT /api/v1/after-sales/reminder-settings`: the caller's store's care-reminder rules
/// (`ReminderSettings`; seed §8.3). Who reads reminders may read them (they explain the lists);
/// changing them takes `aftersales.configure`. A PUT replaces the whole document and answers
/// the rules as saved, with each switch's `effectiveFrom`; bad fields are one 422 naming each.
struct ReminderSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/reminder-settings", use: settings)
        group.put("after-sales/reminder-settings", use: setSettings)
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> ReminderSettings {
        // Whoever may change the rules may read them, as the renewal rules.
        let principal = try context.requirePrincipal()
        if !principal.has(.configureAfterSales) { try principal.require(.readReminders) }
        return try await environment.database.withTransaction { connection in
            try await ReminderSettingsStore(connection: connection, logger: environment.logger).settings(store: principal.storeID)
        }
    }

    @Sendable func setSettings(_ request: Request, context: CRMRequestContext) async throws -> ReminderSettings {
        let principal = try context.require(.configureAfterSales)
        let body = try await request.decodeJSON(as: ReminderSettings.self, context: context)
        return try await environment.database.withTransaction { connection in
            let words = try await ReminderDictionaries.of(principal.storeID, in: environment, on: connection)
            let settings = try body.validated(methods: words.methods)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let store = ReminderSettingsStore(connection: connection, logger: environment.logger)
            try await store.save(settings, store: principal.storeID, tomorrow: ServiceClock.day(day.today, plus: 1))
            return try await store.settings(store: principal.storeID)
        }
    }
}
