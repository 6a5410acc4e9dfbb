import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The defeat pool (战败池, P7): `GET /api/v1/prospects/defeat-pool` and
/// `POST /api/v1/prospects/defeat-pool/{id}/claim` (挖掘). A store sees its own pooled defeats at
/// once; 48 hours after the defeat (on the service clock) nobody of that store has taken it, and
/// the group's other stores see it too and may take the customer on as their own prospect.
struct DefeatPoolRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/defeat-pool", use: list)
        group.post("prospects/defeat-pool/:id/claim", use: claim)
    }

    struct Entry: Codable, Sendable {
        var prospect: ProspectView
        var storeName: String?
        /// When the group's other stores see it: 48 hours after it entered the pool.
        var offeredToGroupAt: Date
        /// The entry is another store's, offered to the group.
        var fromOtherStore: Bool
    }

    struct Claimed: Codable, Sendable, ResponseEncodable {
        /// `reactivated` (the store's own defeat, active again at H) or `taken_over` (a new
        /// prospect of the caller's store, from another store's pool).
        var outcome: String
        var prospect: ProspectView
    }

    /// The pool entries the caller's store sees at `now`.
    private func visible(_ sql: inout QueryBuilder, principal: Principal, now: Date) {
        let offeredSince = now.addingTimeInterval(-ProspectSettings.defeatPoolOfferDelay)
        sql.append(" AND p.state = 'defeated' AND p.defeat_pool_since IS NOT NULL AND p.defeat_pool_taken_by IS NULL")
        sql.append(" AND (p.store_id = \(sql.placeholder(for: principal.storeID))")
        sql.append(" OR (p.defeat_pool_since <= \(sql.placeholder(for: offeredSince))")
        sql.append(" AND p.store_id IN (SELECT id FROM prospects.directory_store WHERE group_id = \(sql.placeholder(for: principal.groupID)))))")
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<Entry> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let mobile = query.mobile("mobile")
        let otherStores = query.bool("otherStores")
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            let now = environment.configuration.clock.now()
            var sql = ProspectStore.from()
            visible(&sql, principal: principal, now: now)
            if let mobile { sql.append(" AND p.mobile = ", bind: mobile) }
            if let otherStores { sql.append(otherStores ? " AND p.store_id <> " : " AND p.store_id = ", bind: principal.storeID) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let prospects = try await store.rows(sql.ordered(by: "p.defeat_pool_since, p.id", page).build(prefix: ProspectStore.columns))
            var names: [UUID: String] = [:]
            for try await (id, name) in try await connection.query("SELECT id, name FROM prospects.directory_store", logger: environment.logger)
                .decode((UUID, String).self) { names[id] = name }
            let items = prospects.map { prospect in
                Entry(
                    prospect: prospect, storeName: names[prospect.storeId],
                    offeredToGroupAt: (prospect.defeatPoolSince ?? now).addingTimeInterval(ProspectSettings.defeatPoolOfferDelay),
                    fromOtherStore: prospect.storeId != principal.storeID)
            }
            return Page(items: items, request: page, total: total)
        }
    }

    @Sendable func claim(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<Claimed> {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let claimed = try await environment.database.withTransaction { connection in
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let (now, today) = (day.now, day.today)
            var sql = ProspectStore.from()
            sql.append(" AND p.id = ", bind: id)
            visible(&sql, principal: principal, now: now)
            sql.append(" FOR UPDATE OF p")
            guard let pooled = try await store.rows(sql.build(prefix: ProspectStore.columns)).first else {
                throw ProblemDetails.notFound("defeat-pool prospect \(id)")
            }
            if pooled.storeId == principal.storeID {
                try await store.activate(id, store: pooled.storeId, consultant: principal.userID, at: now, today: today)
                try await store.announceChanges(of: [id], to: environment.outbox)
                return Claimed(outcome: "reactivated", prospect: try await store.prospect(id)!)
            }
            // Another store's customer: a new prospect here, and the pool entry is gone.
            let newID = UUID()
            let inserted = try await connection.query("""
                INSERT INTO prospects.prospect (id, store_id, name, mobile, landline, gender, province, city, district, category, source,
                                                brand, series, model, plate, level, state, consultant_id, assigned_at, note, created_by)
                SELECT \(newID), \(principal.storeID), name, mobile, landline, gender, province, city, district, category, 'defeat_pool',
                       brand, series, model, plate, 'H', 'active', \(principal.userID), \(now), note, \(principal.userID)
                FROM prospects.prospect WHERE id = \(id)
                ON CONFLICT (store_id, mobile) DO NOTHING RETURNING id
                """, logger: environment.logger).decode(UUID.self).all()
            guard !inserted.isEmpty else {
                throw ProblemDetails.conflict("your store has a prospect with mobile \(pooled.mobile) already")
            }
            try await connection.query("""
                UPDATE prospects.prospect SET defeat_pool_taken_by = \(principal.storeID), updated_at = now() WHERE id = \(id)
                """, logger: environment.logger)
            try await store.openTask(newID, store: principal.storeID, consultant: principal.userID, dueOn: today)
            // The new prospect; of the pooled one only who took it changed, which readers do not keep.
            try await store.announceChanges(of: [newID], to: environment.outbox)
            return Claimed(outcome: "taken_over", prospect: try await store.prospect(newID)!)
        }
        return EditedResponse(status: .created, response: claimed)
    }
}
