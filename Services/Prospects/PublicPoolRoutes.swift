import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/prospects/public-pool` and `/api/v1/prospects/pool-claims` (P8): list the pool,
/// release to it, claim from it (分配给我), assign from it (分配 / 直接分配), and the former team
/// leader's approval of claims (待审核客户公海).
struct PublicPoolRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/public-pool", use: list)
        group.post("prospects/public-pool/release", use: release)
        group.post("prospects/public-pool/release-overdue", use: releaseOverdue)
        group.post("prospects/public-pool/assign", use: assign)
        group.post("prospects/public-pool/:id/claim", use: claim)
        group.get("prospects/pool-claims", use: claims)
        group.post("prospects/pool-claims/:id/approve", use: approve)
        group.post("prospects/pool-claims/:id/reject", use: reject)
    }

    struct ReleaseRequest: Decodable {
        var prospectIds: [UUID]
    }

    struct PoolAssignRequest: Decodable {
        var prospectIds: [UUID]
        var consultantId: UUID
        /// 直接分配: no approval by the former team leader (needs prospects.pool.assign-directly).
        var direct: Bool?
    }

    /// What a claim or an assignment out of the pool came to.
    struct Taking: Codable, Sendable, ResponseEncodable {
        var prospectId: UUID
        /// `assigned` (the consultant has it now), `pending_approval` (the former team leader
        /// decides), or `rejected` (the leader said no; the prospect stays in the pool).
        var outcome: String
        var claimId: UUID?
    }

    struct TakingList: Codable, Sendable, ResponseEncodable {
        var items: [Taking]
    }

    struct Released: Codable, Sendable, ResponseEncodable {
        var released: Int
    }

    struct ClaimView: Codable, Sendable {
        var id: UUID
        var prospectId: UUID
        var prospectName: String
        var mobile: String
        var claimantId: UUID
        var claimantName: String?
        var teamId: UUID?
        var state: String
        var decidedBy: UUID?
        var decidedAt: Date?
        var createdAt: Date
    }

    // MARK: helpers

    private func context(_ connection: PostgresConnection) -> (ProspectStore, PublicPool) {
        (ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory),
         PublicPool(connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox))
    }

    /// The pool prospect, locked; 404 unless it is a prospect of the caller's store.
    private func lockPoolProspect(_ id: UUID, principal: Principal, store: ProspectStore) async throws -> ProspectView {
        guard let prospect = try await store.prospect(id, principal: principal.widened(to: .store), forUpdate: true),
              prospect.storeId == principal.storeID
        else {
            throw ProblemDetails.notFound("prospect \(id)")
        }
        return prospect
    }

    // MARK: routes

    /// The pool is open to everyone of the store who works prospects: nobody owns these.
    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ProspectView> {
        let principal = try context.require(.readProspects)
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            let filter = try await ProspectFilter.read(request, store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
            let store = ProspectStore(connection: connection, logger: environment.logger, directory: environment.directory)
            var sql = ProspectStore.from()
            sql.append(" AND p.in_public_pool")
            sql.restrict(to: principal, storeColumn: "p.store_id", ownerColumn: nil, directory: environment.directory.schema)
            filter.apply(to: &sql)
            let total = try await sql.count(on: connection, logger: environment.logger)
            let items = try await store.rows(sql.ordered(by: "p.released_at, p.id", page).build(prefix: ProspectStore.columns))
            return Page(items: items, request: page, total: total)
        }
    }

    @Sendable func release(_ request: Request, context: CRMRequestContext) async throws -> Released {
        let principal = try context.require(.assignProspects)
        let body = try await request.decodeJSON(as: ReleaseRequest.self, context: context)
        return try await environment.database.withTransaction { connection in
            let (store, pool) = self.context(connection)
            guard try await ProspectSettings.read(store: principal.storeID, on: connection, logger: environment.logger).publicPool else {
                throw ProblemDetails.conflict("the store's public pool is switched off (prospects/settings)")
            }
            let prospects = try await ProspectRoutes.lockSelection(body.prospectIds, field: "prospectIds", store: store, principal: principal)
            if let other = prospects.first(where: { $0.state != "active" || $0.inPublicPool }) {
                throw ProblemDetails.conflict("only active prospects someone follows up are released; \(other.name) is \(other.inPublicPool ? "in the pool" : other.state)")
            }
            try await pool.release(prospects.map(\.id), at: environment.configuration.clock.now())
            return Released(released: prospects.count)
        }
    }

    @Sendable func releaseOverdue(_ request: Request, context: CRMRequestContext) async throws -> Released {
        let principal = try context.require(.assignProspects)
        return try await environment.database.withTransaction { connection in
            let (_, pool) = self.context(connection)
            let clock = try await environment.storeDay(principal.storeID, on: connection)
            return Released(released: try await pool.releaseOverdue(store: principal.storeID, now: clock.now, today: clock.today))
        }
    }

    /// 分配给我: the first claim wins; the prospect's row lock makes concurrent claims take turns.
    @Sendable func claim(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<Taking> {
        let principal = try context.require(.writeProspects)
        let id = try context.parameters.uuid("id")
        let taking = try await environment.database.withTransaction { connection in
            let (store, pool) = self.context(connection)
            let prospect = try await lockPoolProspect(id, principal: principal, store: store)
            guard prospect.inPublicPool else { throw ProblemDetails.conflict("the prospect is not in the public pool (someone has it)") }
            guard try await !pool.hasPendingClaim(id) else { throw ProblemDetails.conflict("another claim of this prospect waits for approval") }
            let settings = try await ProspectSettings.read(store: prospect.storeId, on: connection, logger: environment.logger)
            let clock = try await environment.storeDay(prospect.storeId, on: connection)
            if let refusal = try await pool.claimRefusal(prospect, by: principal.userID, settings: settings, now: clock.now, startOfToday: clock.startOfToday) {
                throw ProblemDetails.conflict(refusal)
            }
            let approval = try await pool.needsApproval(id, for: principal.userID)
            if approval.needed {
                let claim = try await pool.fileClaim(prospect, for: principal.userID, team: approval.team, at: clock.now)
                return Taking(prospectId: id, outcome: "pending_approval", claimId: claim)
            }
            try await pool.take(id, store: prospect.storeId, for: principal.userID, at: clock.now, today: clock.today)
            return Taking(prospectId: id, outcome: "assigned", claimId: nil)
        }
        return EditedResponse(status: taking.outcome == "assigned" ? .ok : .accepted, response: taking)
    }

    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> TakingList {
        let principal = try context.require(.assignProspects)
        let body = try await request.decodeJSON(as: PoolAssignRequest.self, context: context)
        let direct = body.direct ?? false
        if direct { _ = try context.require(.assignProspectsDirectly) }
        var check = FieldValidator()
        check.require(!body.prospectIds.isEmpty && body.prospectIds.count <= 1000, "prospectIds", "must name 1 to 1000 prospects")
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let (store, pool) = self.context(connection)
            try await environment.directory.requireActiveUser(
                body.consultantId, inStore: principal.storeID, field: "consultantId", on: connection, logger: environment.logger)
            let clock = try await environment.storeDay(principal.storeID, on: connection)
            var items: [Taking] = []
            for (index, id) in body.prospectIds.enumerated() where !items.contains(where: { $0.prospectId == id }) {
                guard let prospect = try await store.prospect(id, principal: principal.widened(to: .store), forUpdate: true),
                      prospect.inPublicPool, prospect.storeId == principal.storeID
                else {
                    throw ProblemDetails.validation([.init(field: "prospectIds[\(index)]", message: "is not in the store's public pool")])
                }
                guard try await !pool.hasPendingClaim(id) else { throw ProblemDetails.conflict("a claim of \(prospect.name) waits for approval") }
                let approval = try await pool.needsApproval(id, for: body.consultantId)
                if approval.needed && !direct {
                    let claim = try await pool.fileClaim(prospect, for: body.consultantId, team: approval.team, at: clock.now)
                    items.append(Taking(prospectId: id, outcome: "pending_approval", claimId: claim))
                } else {
                    try await pool.take(id, store: prospect.storeId, for: body.consultantId, at: clock.now, today: clock.today)
                    items.append(Taking(prospectId: id, outcome: "assigned", claimId: nil))
                }
            }
            return TakingList(items: items)
        }
    }

    /// The claims a leader decides: those of their own team's former prospects (all of the
    /// store's for a manager).
    private func restrictClaims(_ sql: inout QueryBuilder, principal: Principal) {
        sql.restrict(to: principal, storeColumn: "c.store_id", ownerColumn: nil, directory: environment.directory.schema)
        switch principal.scope {
        case .team, .own:
            if let team = principal.teamID { sql.append(" AND c.team_id = ", bind: team) } else { sql.append(" AND false") }
        case .store, .group:
            break
        }
    }

    @Sendable func claims(_ request: Request, context: CRMRequestContext) async throws -> Page<ClaimView> {
        let principal = try context.require(.approveProspects)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        enum State: String, CaseIterable { case pending, approved, rejected }
        let state = query.oneOf("state", State.self)
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            var sql = QueryBuilder("""
                 FROM prospects.pool_claim c JOIN prospects.prospect p ON p.id = c.prospect_id
                 LEFT JOIN prospects.directory_user u ON u.id = c.claimant_id WHERE true
                """)
            restrictClaims(&sql, principal: principal)
            if let state { sql.append(" AND c.state = ", bind: state.rawValue) }
            let total = try await sql.count(on: connection, logger: environment.logger)
            let select = sql.ordered(by: "c.created_at DESC, c.id", page).build(prefix: """
                SELECT c.id, c.prospect_id, p.name, p.mobile, c.claimant_id, u.display_name, c.team_id, c.state, c.decided_by, c.decided_at, c.created_at
                """)
            var items: [ClaimView] = []
            for try await r in try await connection.query(select, logger: environment.logger).decode((
                UUID, UUID, String, String, UUID, String?, UUID?, String, UUID?, Date?, Date).self)
            {
                items.append(ClaimView(
                    id: r.0, prospectId: r.1, prospectName: r.2, mobile: r.3, claimantId: r.4, claimantName: r.5, teamId: r.6,
                    state: r.7, decidedBy: r.8, decidedAt: r.9, createdAt: r.10))
            }
            return Page(items: items, request: page, total: total)
        }
    }

    private func decide(_ request: Request, context: CRMRequestContext, approve: Bool) async throws -> Taking {
        let principal = try context.require(.approveProspects)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            let (_, pool) = self.context(connection)
            var sql = QueryBuilder(" FROM prospects.pool_claim c WHERE c.id = ")
            sql.append("", bind: id)
            restrictClaims(&sql, principal: principal)
            sql.append(" FOR UPDATE")
            guard let (prospectID, claimant, state, store) = try await connection.query(
                sql.build(prefix: "SELECT c.prospect_id, c.claimant_id, c.state, c.store_id"), logger: environment.logger
            ).decode((UUID, UUID, String, UUID).self).all().first else {
                throw ProblemDetails.notFound("pool claim \(id)")
            }
            guard state == "pending" else { throw ProblemDetails.conflict("the claim was \(state) already") }
            let clock = try await environment.storeDay(store, on: connection)
            try await connection.query("""
                UPDATE prospects.pool_claim SET state = \(approve ? "approved" : "rejected"), decided_by = \(principal.userID), decided_at = \(clock.now)
                WHERE id = \(id)
                """, logger: environment.logger)
            guard approve else { return Taking(prospectId: prospectID, outcome: "rejected", claimId: id) }
            // Approved: the claimant takes it — if it is still in the pool (the claim kept others off).
            let inPool = try await connection.query("""
                SELECT in_public_pool FROM prospects.prospect WHERE id = \(prospectID) AND deleted_at IS NULL FOR UPDATE
                """, logger: environment.logger).decode(Bool.self).all().first ?? false
            guard inPool else { throw ProblemDetails.conflict("the prospect left the public pool meanwhile") }
            try await pool.take(prospectID, store: store, for: claimant, at: clock.now, today: clock.today)
            return Taking(prospectId: prospectID, outcome: "assigned", claimId: id)
        }
    }

    @Sendable func approve(_ request: Request, context: CRMRequestContext) async throws -> Taking {
        try await decide(request, context: context, approve: true)
    }

    @Sendable func reject(_ request: Request, context: CRMRequestContext) async throws -> Taking {
        try await decide(request, context: context, approve: false)
    }
}
