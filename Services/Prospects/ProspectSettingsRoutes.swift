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
        group.get("prospects/rules", use: rules)
        group.put("prospects/rules", use: setRules)
        group.get("prospects/settings", use: settings)
        group.put("prospects/settings", use: setSettings)
    }

    struct Rules: Codable, Sendable, ResponseEncodable {
        var intervals: [ProspectRules.Interval]
    }

    @Sendable func rules(_ request: Request, context: CRMRequestContext) async throws -> Rules {
        let principal = try context.require(.readProspects)
        return try await environment.database.withTransaction { connection in
            Rules(intervals: try await ProspectRules(connection: connection, logger: environment.logger).intervals(store: principal.storeID))
        }
    }

    @Sendable func setRules(_ request: Request, context: CRMRequestContext) async throws -> Rules {
        let principal = try context.require(.configureProspects)
        let body = try await request.decodeJSON(as: Rules.self, context: context)
        var check = FieldValidator()
        for (index, interval) in body.intervals.enumerated() {
            check.range("intervals[\(index)].intervalDays", interval.intervalDays, 0...365)
        }
        check.require(Set(body.intervals.map(\.level)).count == body.intervals.count, "intervals", "name each level once")
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let rules = ProspectRules(connection: connection, logger: environment.logger)
            try await rules.set(body.intervals, store: principal.storeID)
            return Rules(intervals: try await rules.intervals(store: principal.storeID))
        }
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> ProspectSettings {
        let principal = try context.require(.readProspects)
        return try await environment.database.withTransaction { connection in
            try await ProspectSettings.read(store: principal.storeID, on: connection, logger: environment.logger)
        }
    }

    @Sendable func setSettings(_ request: Request, context: CRMRequestContext) async throws -> ProspectSettings {
        let principal = try context.require(.configureProspects)
        let settings = try await request.decodeJSON(as: ProspectSettings.self, context: context).validated()
        return try await environment.database.withTransaction { connection in
            try await settings.save(store: principal.storeID, on: connection, logger: environment.logger)
            return try await ProspectSettings.read(store: principal.storeID, on: connection, logger: environment.logger)
        }
    }
}

extension ProspectSettings: ResponseEncodable {}
