import Foundation
import Hummingbird
import ServiceKit

/// `GET/PUT /api/v1/after-sales/renewal-settings`: the caller's store's renewal rules. Whoever
/// reads renewal tasks may read them (they say when a task opens and changes stage); changing
/// them takes `aftersales.configure`.
struct RenewalSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/renewal-settings", use: settings)
        group.put("after-sales/renewal-settings", use: setSettings)
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> RenewalSettings {
        let principal = try context.requirePrincipal()
        if !principal.has(.configureAfterSales) { try principal.require(.readRenewals) }
        return try await environment.database.withTransaction { connection in
            try await RenewalSettingsStore(connection: connection, logger: environment.logger).settings(store: principal.storeID)
        }
    }

    @Sendable func setSettings(_ request: Request, context: CRMRequestContext) async throws -> RenewalSettings {
        let principal = try context.require(.configureAfterSales)
        let settings = try await request.decodeJSON(as: RenewalSettings.self, context: context).validated()
        return try await environment.database.withTransaction { connection in
            let store = RenewalSettingsStore(connection: connection, logger: environment.logger)
            try await store.save(settings, store: principal.storeID)
            return try await store.settings(store: principal.storeID)
        }
    }
}
