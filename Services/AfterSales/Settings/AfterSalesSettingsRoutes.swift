import Foundation
import Hummingbird
import ServiceKit

/// `GET/PUT /api/v1/after-sales/settings`: the caller's store's after-sales rules (售后规则配置,
/// seed §8.3). Everyone who reads vehicle files may read them (they explain a car's class);
/// changing them takes `aftersales.configure`.
struct AfterSalesSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/settings", use: settings)
        group.put("after-sales/settings", use: setSettings)
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> AfterSalesSettings {
        let principal = try context.require(.readVehicles)
        return try await environment.database.withTransaction { connection in
            try await AfterSalesSettingsStore(connection: connection, logger: environment.logger).settings(store: principal.storeID)
        }
    }

    @Sendable func setSettings(_ request: Request, context: CRMRequestContext) async throws -> AfterSalesSettings {
        let principal = try context.require(.configureAfterSales)
        let settings = try await request.decodeJSON(as: AfterSalesSettings.self, context: context).validated()
        return try await environment.database.withTransaction { connection in
            let store = AfterSalesSettingsStore(connection: connection, logger: environment.logger)
            try await store.save(settings, store: principal.storeID)
            return try await store.settings(store: principal.storeID)
        }
    }
}
