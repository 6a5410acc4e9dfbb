import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The store's campaigns in `aftersales.campaign` (and the cars of imported lists in
/// `campaign_listed_vehicle`): drafts written, replaced and deleted, published, listed.
struct CampaignStore {
    let connection: PostgresConnection
    let logger: Logger

    private static let columns = """
        c.id, c.kind, c.name, c.starts_on::text, c.ends_on::text, c.contact_methods, c.description, c.target_mode,
        c.conditions::text, (SELECT count(*)::int FROM aftersales.campaign_listed_vehicle l WHERE l.campaign_id = c.id),
        c.assignment, c.assignees, c.state, c.published_at, c.goes_live_at, c.ends_at, c.went_live_at, c.ended_at,
        c.created_at, c.updated_at
        """

    func create(id: UUID, store: UUID, fields: CampaignFields, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO aftersales.campaign (
                id, store_id, kind, name, starts_on, ends_on, contact_methods, description, target_mode, conditions,
                assignment, assignees, state, created_by)
            VALUES (
                \(id), \(store), \(fields.kind), \(fields.name), \(fields.startsOn)::date, \(fields.endsOn)::date, \(fields.contactMethods),
                \(fields.description), \(fields.targets.rawValue), \(try Self.json(fields.conditions))::jsonb, \(fields.assignment.rawValue),
                \(fields.assigneeIds), 'draft', \(user))
            """, logger: logger)
    }

    /// Replaces a draft's fields.
    func replace(_ id: UUID, fields: CampaignFields) async throws {
        try await connection.query("""
            UPDATE aftersales.campaign SET kind = \(fields.kind), name = \(fields.name), starts_on = \(fields.startsOn)::date,
                ends_on = \(fields.endsOn)::date, contact_methods = \(fields.contactMethods), description = \(fields.description),
                target_mode = \(fields.targets.rawValue), conditions = \(try Self.json(fields.conditions))::jsonb,
                assignment = \(fields.assignment.rawValue), assignees = \(fields.assigneeIds), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
        if fields.targets == .conditions {
            try await connection.query("DELETE FROM aftersales.campaign_listed_vehicle WHERE campaign_id = \(id)", logger: logger)
        }
    }

    /// Deletes a draft and its list.
    func delete(_ id: UUID) async throws {
        try await connection.query("DELETE FROM aftersales.campaign WHERE id = \(id) AND state = 'draft'", logger: logger)
    }

    /// The campaign if it belongs to `store`; `forUpdate` locks it for the rest of the
    /// transaction (edit, delete, publish and go-live each read, check and write it).
    func campaign(_ id: UUID, store: UUID, forUpdate: Bool = false) async throws -> CampaignView? {
        try await views("""
            SELECT \(Self.columns) FROM aftersales.campaign c WHERE c.id = $1 AND c.store_id = $2 \(forUpdate ? "FOR UPDATE" : "")
            """, binds: [id, store]).first
    }

    /// The store's campaigns, newest first, optionally of one state.
    func list(store: UUID, state: String?, page: PageRequest) async throws -> Page<CampaignView> {
        var sql = QueryBuilder(" FROM aftersales.campaign c WHERE c.store_id = ")
        sql.append("", bind: store)
        if let state { sql.append(" AND c.state = ", bind: state) }
        let total = try await sql.count(on: connection, logger: logger)
        let select = sql.ordered(by: "c.created_at DESC, c.id", page).build(prefix: "SELECT " + Self.columns)
        return Page(items: try await views(select), request: page, total: total)
    }

    /// Publishes a draft: it goes live at `goesLiveAt` and ends at `endsAt`.
    func publish(_ id: UUID, at now: Date, by user: UUID, goesLiveAt: Date, endsAt: Date) async throws {
        try await connection.query("""
            UPDATE aftersales.campaign SET state = 'published', published_at = \(now), published_by = \(user),
                goes_live_at = \(goesLiveAt), ends_at = \(endsAt), updated_at = now()
            WHERE id = \(id) AND state = 'draft'
            """, logger: logger)
    }

    /// Replaces a list campaign's cars with `vehicles`.
    func replaceList(_ id: UUID, vehicles: [UUID]) async throws {
        try await connection.query("DELETE FROM aftersales.campaign_listed_vehicle WHERE campaign_id = \(id)", logger: logger)
        try await connection.query("""
            INSERT INTO aftersales.campaign_listed_vehicle (campaign_id, vehicle_id)
            SELECT \(id), unnest(\(vehicles)::uuid[]) ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// The store's files of these VINs and plates, for a list import.
    func matcher(store: UUID, vins: [String], plates: [String]) async throws -> CampaignListMatcher {
        var matcher = CampaignListMatcher(vehicleByVIN: [:], vehiclesByPlate: [:])
        let byVIN = try await connection.query("""
            SELECT id, vin FROM aftersales.vehicle WHERE store_id = \(store) AND vin = ANY(\(Array(Set(vins))))
            """, logger: logger)
        for try await (id, vin) in byVIN.decode((UUID, String).self) { matcher.vehicleByVIN[vin] = id }
        let byPlate = try await connection.query("""
            SELECT id, plate FROM aftersales.vehicle WHERE store_id = \(store) AND plate = ANY(\(Array(Set(plates))))
            """, logger: logger)
        for try await (id, plate) in byPlate.decode((UUID, String).self) { matcher.vehiclesByPlate[plate, default: []].append(id) }
        return matcher
    }

    // MARK: Rows

    /// The owners of the cars a campaign's tasks were made for (it went live), at most `limit`.
    func taskOwners(campaign: UUID, limit: Int) async throws -> [CampaignTargetsAnswer.Target] {
        try await owners("""
            SELECT v.owner_mobile, v.owner_name, v.plate FROM aftersales.campaign_task t JOIN aftersales.vehicle v ON v.id = t.vehicle_id
            WHERE t.campaign_id = \(campaign) ORDER BY v.plate, v.id LIMIT \(limit)
            """)
    }

    /// The owners of the cars `selection` (`CampaignTargets.query`) selects, at most `limit`.
    func owners(of selection: QueryBuilder, limit: Int) async throws -> [CampaignTargetsAnswer.Target] {
        var query = selection
        query.append(" ORDER BY v.plate, v.id LIMIT ", bind: limit)
        return try await owners(query.build(prefix: "SELECT v.owner_mobile, v.owner_name, v.plate"))
    }

    private func owners(_ query: PostgresQuery) async throws -> [CampaignTargetsAnswer.Target] {
        var owners: [CampaignTargetsAnswer.Target] = []
        for try await (mobile, name, plate) in try await connection.query(query, logger: logger).decode((String, String, String?).self) {
            owners.append(CampaignTargetsAnswer.Target(mobile: mobile, name: name, plate: plate))
        }
        return owners
    }

    private func views(_ sql: String, binds values: [UUID]) async throws -> [CampaignView] {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return try await views(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    private func views(_ query: PostgresQuery) async throws -> [CampaignView] {
        var views: [CampaignView] = []
        let rows = try await connection.query(query, logger: logger)
        for try await row in rows {
            var cells = RowCells(row)
            let id = try cells.next(UUID.self), kind = try cells.next(String.self), name = try cells.next(String.self)
            let startsOn = try cells.next(String.self), endsOn = try cells.next(String.self)
            let methods = try cells.next([String].self), description = try cells.next(String?.self)
            let mode = try cells.next(String.self), conditions = try cells.next(String.self), listed = try cells.next(Int.self)
            let assignment = try cells.next(String.self), assignees = try cells.next([UUID].self), state = try cells.next(String.self)
            let publishedAt = try cells.next(Date?.self), goesLiveAt = try cells.next(Date?.self), endsAt = try cells.next(Date?.self)
            let wentLiveAt = try cells.next(Date?.self), endedAt = try cells.next(Date?.self)
            let createdAt = try cells.next(Date.self), updatedAt = try cells.next(Date.self)
            views.append(CampaignView(
                id: id, kind: kind, name: name, startsOn: startsOn, endsOn: endsOn, contactMethods: methods, description: description,
                targets: CampaignTargetMode(rawValue: mode) ?? .conditions,
                conditions: try JSONDecoder().decode(CampaignConditions.self, from: Data(conditions.utf8)), listedVehicles: listed,
                assignment: CampaignAssignment(rawValue: assignment) ?? .currentServiceAdvisor, assigneeIds: assignees, state: state,
                publishedAt: publishedAt, goesLiveAt: goesLiveAt, endsAt: endsAt, wentLiveAt: wentLiveAt, endedAt: endedAt,
                createdAt: createdAt, updatedAt: updatedAt))
        }
        return views
    }

    private static func json(_ conditions: CampaignConditions) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(conditions), as: UTF8.self)
    }
}
