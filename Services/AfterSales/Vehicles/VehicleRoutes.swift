import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/after-sales/vehicles` (AS1, AS2, AS5): the vehicle files of the caller's store, the
/// customer query over them (customer class included), and each car's repair history.
struct VehicleRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/vehicles", use: list)
        group.post("after-sales/vehicles", use: create)
        group.get("after-sales/vehicles/:id", use: get)
        group.patch("after-sales/vehicles/:id", use: update)
        group.get("after-sales/vehicles/:id/repair-orders", use: repairHistory)
    }

    /// Runs `body` in a transaction with the store's vehicle files and what reading them takes.
    private func vehicles<Result: Sendable>(
        of store: UUID, _ body: (VehicleStore, VehicleContext) async throws -> Result
    ) async throws -> Result {
        try await environment.database.withTransaction { connection in
            let context = try await VehicleContext.of(store, in: environment, on: connection)
            return try await body(VehicleStore(connection: connection, logger: environment.logger), context)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<VehicleView> {
        let principal = try context.require(.readVehicles)
        let page = try PageRequest(request: request)
        return try await vehicles(of: principal.storeID) { store, vehicles in
            let filter = try VehicleFilter(request, classes: vehicles.dictionaries.classes)
            return try await store.list(filter, store: principal.storeID, calendar: vehicles.calendar, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> VehicleView {
        let principal = try context.require(.readVehicles)
        let id = try context.parameters.uuid("id")
        guard let vehicle = try await vehicles(of: principal.storeID, { store, vehicles in
            try await store.vehicle(id, store: principal.storeID, calendar: vehicles.calendar)
        }) else {
            throw ProblemDetails.notFound("vehicle \(id)")
        }
        return vehicle
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<VehicleView> {
        let principal = try context.require(.writeVehicles)
        let body = try await request.decodeJSON(as: NewVehicle.self, context: context)
        let id = UUID()
        let vehicle = try await vehicles(of: principal.storeID) { store, vehicles in
            let fields = try body.validated(vehicles.checks)
            guard try await store.create(id: id, store: principal.storeID, fields: fields) else {
                let existing = try await store.fields(vin: fields.vin, store: principal.storeID)
                throw ProblemDetails.conflict("the store has a file for the VIN \(fields.vin) already: vehicle \(existing?.id.uuidString.lowercased() ?? "?")")
            }
            try await store.announceChanges(of: [id], to: environment.outbox)
            return try await store.vehicle(id, store: principal.storeID, calendar: vehicles.calendar)!
        }
        return EditedResponse(status: .created, response: vehicle)
    }

    @Sendable func update(_ request: Request, context: CRMRequestContext) async throws -> VehicleView {
        let principal = try context.require(.writeVehicles)
        let id = try context.parameters.uuid("id")
        let change = try await request.decodeJSON(as: VehicleChange.self, context: context)
        return try await vehicles(of: principal.storeID) { store, vehicles in
            guard let current = try await store.fields(id, store: principal.storeID, forUpdate: true) else {
                throw ProblemDetails.notFound("vehicle \(id)")
            }
            let fields = try change.validated(applyingTo: current, vehicles.checks)
            guard try await store.update(id, store: principal.storeID, fields: fields) else {
                throw ProblemDetails.conflict("the store has another vehicle with the VIN \(fields.vin)")
            }
            try await store.announceChanges(of: [id], to: environment.outbox)
            return try await store.vehicle(id, store: principal.storeID, calendar: vehicles.calendar)!
        }
    }

    /// The car's repair orders (维修历史), newest first: every order of the store with its VIN,
    /// whether opened in the CRM or received from the ERP.
    @Sendable func repairHistory(_ request: Request, context: CRMRequestContext) async throws -> Page<RepairOrderView> {
        let principal = try context.require(.readVehicles)
        try principal.require(.readRepairOrders)
        let id = try context.parameters.uuid("id")
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            guard let vehicle = try await VehicleStore(connection: connection, logger: environment.logger).fields(id, store: principal.storeID) else {
                throw ProblemDetails.notFound("vehicle \(id)")
            }
            var filter = RepairOrderFilter()
            filter.vin = vehicle.vin
            return try await RepairOrderQueries(connection: connection, logger: environment.logger)
                .list(filter, store: principal.storeID, page: page)
        }
    }
}
