import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The store's prospect settings: `GET/PUT /api/v1/prospects/rules` (follow-up interval per
/// level) and `GET/PUT /api/v1/prospects/settings` (defeat approval, defeat pool, public pool).
struct ProspectSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        let rules = FollowUpRulesRoutes<ProspectLevel>(
            environment: environment, table: ProspectRules.table, read: .readProspects, configure: .configureProspects)
        group.get("prospects/rules", use: rules.rules)
        group.put("prospects/rules", use: rules.setRules)
        group.get("prospects/settings", use: settings)
        group.put("prospects/settings", use: setSettings)
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> ProspectSettings {
        let principal = try context.require(.readProspects)
        return try await environment.database.withTransaction { connection in
            try await ProspectSettings.read(store: principal.storeID, on: connection, logger: environment.logger)
        }
    }

    @Sendable func setSettings(_ request: Request, context: CRMRequestContext) async throws -> ProspectSettings {
        let principal = try context.require(.configureProspects)
        let body = try await request.decodeJSON(as: ProspectSettings.self, context: context)
        return try await environment.database.withTransaction { connection in
            let reasons = try await environment.directory.dictionary(
                DataDictionaries.defeatReason, store: principal.storeID, on: connection, logger: environment.logger)
            let settings = try body.validated(reasons: reasons)
            try await settings.save(store: principal.storeID, on: connection, logger: environment.logger)
            return try await ProspectSettings.read(store: principal.storeID, on: connection, logger: environment.logger)
        }
    }
}

extension ProspectSettings: ResponseEncodable {}
