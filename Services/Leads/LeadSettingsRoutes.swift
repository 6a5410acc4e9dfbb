import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The store's lead settings: `GET/PUT /api/v1/leads/rules` (follow-up interval per level) and
/// `GET /api/v1/leads/consultants`, `PUT /api/v1/leads/consultants/{id}` (who takes automatic
/// assignments, and how many a day).
struct LeadSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        let rules = FollowUpRulesRoutes<LeadLevel>(environment: environment, table: LeadRules.table, read: .readLeads, configure: .configureLeads)
        group.get("leads/rules", use: rules.rules)
        group.put("leads/rules", use: rules.setRules)
        group.get("leads/consultants", use: consultants)
        group.put("leads/consultants/:id", use: setConsultant)
    }

    struct ConsultantSetting: Codable, Sendable, ResponseEncodable {
        var userId: UUID
        var displayName: String?
        var available: Bool
        /// Leads a day at most; absent for no cap.
        var dailyCap: Int?
    }

    struct ConsultantList: Codable, Sendable, ResponseEncodable {
        var items: [ConsultantSetting]
    }

    struct ConsultantChange: Decodable {
        var available: Bool
        var dailyCap: Int?
    }

    @Sendable func consultants(_ request: Request, context: CRMRequestContext) async throws -> ConsultantList {
        let principal = try context.require(.readLeads)
        return try await environment.database.withTransaction { connection in
            var items: [ConsultantSetting] = []
            for try await (user, name, available, cap) in try await connection.query("""
                SELECT c.user_id, u.display_name, c.available, c.daily_cap FROM leads.lead_consultant c
                LEFT JOIN leads.directory_user u ON u.id = c.user_id
                WHERE c.store_id = \(principal.storeID) ORDER BY u.display_name, c.user_id
                """, logger: environment.logger).decode((UUID, String?, Bool, Int?).self)
            {
                items.append(ConsultantSetting(userId: user, displayName: name, available: available, dailyCap: cap))
            }
            return ConsultantList(items: items)
        }
    }

    @Sendable func setConsultant(_ request: Request, context: CRMRequestContext) async throws -> ConsultantSetting {
        let principal = try context.require(.configureLeads)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: ConsultantChange.self, context: context)
        var check = FieldValidator()
        if let cap = body.dailyCap { check.range("dailyCap", cap, 0...10000) }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            guard let user = try await environment.directory.activeUser(id, inStore: principal.storeID, on: connection, logger: environment.logger) else {
                throw ProblemDetails.notFound("user \(id)")
            }
            try await connection.query("""
                INSERT INTO leads.lead_consultant (store_id, user_id, available, daily_cap) VALUES (\(principal.storeID), \(id), \(body.available), \(body.dailyCap))
                ON CONFLICT (store_id, user_id) DO UPDATE SET available = EXCLUDED.available, daily_cap = EXCLUDED.daily_cap
                """, logger: environment.logger)
            return ConsultantSetting(userId: id, displayName: user.displayName, available: body.available, dailyCap: body.dailyCap)
        }
    }
}
