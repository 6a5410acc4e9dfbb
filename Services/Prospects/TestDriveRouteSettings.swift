import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The store's test-drive routes (试乘试驾路线, configured under 销售规则配置):
/// `GET/POST /api/v1/prospects/test-drive-routes`, `PATCH /api/v1/prospects/test-drive-routes/{id}`.
/// A route is never deleted, because past drives name it; it is made inactive instead.
struct TestDriveRouteSettings: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("prospects/test-drive-routes", use: list)
        group.post("prospects/test-drive-routes", use: create)
        group.patch("prospects/test-drive-routes/:id", use: update)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<TestDriveRouteView> {
        let principal = try context.require(.readProspects)
        var query = QueryReader(request)
        let active = query.bool("active")
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            Page.all(try await routes(of: principal.storeID, active: active, on: connection))
        }
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<TestDriveRouteView> {
        let principal = try context.require(.configureProspects)
        let body = try await request.decodeJSON(as: TestDriveRouteRequest.self, context: context).checked(creating: true)
        let id = UUID()
        let route = try await environment.database.withTransaction { connection in
            let inserted = try await connection.query("""
                INSERT INTO prospects.test_drive_route (id, store_id, name, distance_km, minutes, description, active)
                VALUES (\(id), \(principal.storeID), \(body.name!), \(Money.text(body.distanceKm!))::numeric, \(body.minutes!),
                        \(body.description), \(body.active ?? true))
                ON CONFLICT (store_id, name) DO NOTHING RETURNING id
                """, logger: environment.logger)
            guard try await inserted.all().count == 1 else { throw Self.nameTaken(body.name!) }
            return try await routes(of: principal.storeID, id: id, on: connection)[0]
        }
        return EditedResponse(status: .created, response: route)
    }

    @Sendable func update(_ request: Request, context: CRMRequestContext) async throws -> TestDriveRouteView {
        let principal = try context.require(.configureProspects)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: TestDriveRouteRequest.self, context: context).checked(creating: false)
        return try await environment.database.withTransaction { connection in
            guard let current = try await routes(of: principal.storeID, id: id, on: connection).first else {
                throw ProblemDetails.notFound("test-drive route \(id)")
            }
            let name = body.name ?? current.name
            let taken = try await connection.query("""
                SELECT 1 FROM prospects.test_drive_route WHERE store_id = \(principal.storeID) AND name = \(name) AND id <> \(id)
                """, logger: environment.logger).all()
            guard taken.isEmpty else { throw Self.nameTaken(name) }
            try await connection.query("""
                UPDATE prospects.test_drive_route
                SET name = \(name), distance_km = \(Money.text(body.distanceKm ?? current.distanceKm))::numeric,
                    minutes = \(body.minutes ?? current.minutes), description = \(body.description ?? current.description),
                    active = \(body.active ?? current.active)
                WHERE id = \(id)
                """, logger: environment.logger)
            return try await routes(of: principal.storeID, id: id, on: connection)[0]
        }
    }

    static func nameTaken(_ name: String) -> ProblemDetails {
        ProblemDetails(status: .conflict, detail: "the store already has a route named \(name)", errors: [.init(field: "name", message: "is taken")])
    }

    func routes(of store: UUID, id: UUID? = nil, active: Bool? = nil, on connection: PostgresConnection) async throws -> [TestDriveRouteView] {
        var sql = QueryBuilder(" FROM prospects.test_drive_route WHERE true")
        sql.append(" AND store_id = ", bind: store)
        if let id { sql.append(" AND id = ", bind: id) }
        if let active { sql.append(" AND active = ", bind: active) }
        sql.append(" ORDER BY name")
        var routes: [TestDriveRouteView] = []
        for try await r in try await connection.query(
            sql.build(prefix: "SELECT id, name, distance_km::text, minutes, description, active"), logger: environment.logger
        ).decode((UUID, String, String, Int, String?, Bool).self) {
            routes.append(TestDriveRouteView(
                id: r.0, name: r.1, distanceKm: Money.amount(r.2) ?? 0, minutes: r.3, description: r.4, active: r.5))
        }
        return routes
    }
}
