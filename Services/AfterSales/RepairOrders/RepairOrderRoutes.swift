import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/after-sales/repair-orders` (AS3): the caller's store's repair orders; an SA opens
/// and completes them here, the ERP through its events — an RO number is one order either way.
struct RepairOrderRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/repair-orders", use: list)
        group.post("after-sales/repair-orders", use: open)
        group.get("after-sales/repair-orders/:id", use: get)
        group.post("after-sales/repair-orders/:id/complete", use: complete)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<RepairOrderView> {
        let principal = try context.require(.readRepairOrders)
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            let filter = try RepairOrderFilter(request, dictionaries: try await .of(principal.storeID, in: environment, on: connection))
            return try await RepairOrderQueries(connection: connection, logger: environment.logger).list(filter, store: principal.storeID, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> RepairOrderView {
        let principal = try context.require(.readRepairOrders)
        let id = try context.parameters.uuid("id")
        let order = try await environment.database.withTransaction { connection in
            try await RepairOrderQueries(connection: connection, logger: environment.logger).order(id, store: principal.storeID)
        }
        guard let order else { throw ProblemDetails.notFound("repair order \(id)") }
        return order
    }

    /// Opens an order in the caller's store. A car without a vehicle file gets one.
    @Sendable func open(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<RepairOrderView> {
        let principal = try context.require(.writeRepairOrders)
        let body = try await request.decodeJSON(as: NewRepairOrder.self, context: context)
        let id = UUID()
        let order = try await environment.database.withTransaction { connection in
            let vehicles = VehicleStore(connection: connection, logger: environment.logger)
            let carFile = try await vehicles.fields(vin: VIN.normalise(body.vin), store: principal.storeID)?.fields
            let caller = try await environment.directory.displayNames(of: [principal.userID], on: connection, logger: environment.logger)
            let businessTypes = try await environment.directory.dictionary(
                DataDictionaries.repairBusinessType, store: principal.storeID, on: connection, logger: environment.logger)
            let opening = try body.validated(
                carFile: carFile, caller: caller[principal.userID] ?? principal.username, businessTypes: businessTypes,
                now: environment.configuration.clock.now())

            let store = try await callersStore(principal, on: connection)
            let repairOrders = RepairOrderStore(connection: connection, logger: environment.logger)
            if let roNo = opening.roNo {
                guard try await repairOrders.open(id: id, store: store.id, storeCode: store.code, roNo: roNo, order: opening) else {
                    throw ProblemDetails.conflict("the store has a repair order numbered \(roNo) already")
                }
            } else {
                try await openUnderNextNumber(id: id, opening, store: store, on: connection)
            }
            try await vehicles.createIfAbsent(store: store.id, fromRepairOrderOf: opening.car)
            // The car came back: a campaign that targets it succeeds (AS4).
            try await CampaignTaskStore(connection: connection, logger: environment.logger).recordReturns([(store.id, opening.vin)])
            // Its file, new or not, has a new last repair.
            try await vehicles.announceChanges(ofCars: [(store.id, opening.vin)], to: environment.outbox)
            return try await RepairOrderQueries(connection: connection, logger: environment.logger).order(id, store: store.id)!
        }
        return EditedResponse(status: .created, response: order)
    }

    /// Opens the order under the store's next free number for its day. The ERP numbers orders
    /// in the same format, so a number it has taken already is skipped.
    private func openUnderNextNumber(id: UUID, _ opening: RepairOrderOpening, store: Directory.Store, on connection: PostgresConnection) async throws {
        let numbers = RepairOrderNumbers(connection: connection, logger: environment.logger)
        let repairOrders = RepairOrderStore(connection: connection, logger: environment.logger)
        while true {
            let roNo = try await numbers.next(store: store.id, openedAt: opening.openedAt, timeZone: store.timeZone)
            if try await repairOrders.open(id: id, store: store.id, storeCode: store.code, roNo: roNo, order: opening) { return }
        }
    }

    /// The caller's store as the gateway announced it: its code goes on the order, its time
    /// zone decides the day in the order's number.
    private func callersStore(_ principal: Principal, on connection: PostgresConnection) async throws -> Directory.Store {
        guard let store = try await environment.directory.store(principal.storeID, on: connection, logger: environment.logger) else {
            // Only right after the gateway created the store, before its announcement arrived.
            throw ProblemDetails(status: .serviceUnavailable, detail: "AfterSales has not yet heard of your store from the gateway; try again in a minute")
        }
        return store
    }

    /// Completes an open order and announces it exactly as an ERP completion is announced.
    @Sendable func complete(_ request: Request, context: CRMRequestContext) async throws -> RepairOrderView {
        let principal = try context.require(.writeRepairOrders)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RepairOrderCompletion.self, context: context)
        let traceparent = request.headers[.traceparent]
        return try await environment.database.withTransaction { connection in
            let queries = RepairOrderQueries(connection: connection, logger: environment.logger)
            guard let order = try await queries.order(id, store: principal.storeID, forUpdate: true) else {
                throw ProblemDetails.notFound("repair order \(id)")
            }
            guard order.state == .open else {
                throw ProblemDetails.conflict("repair order \(order.roNo) is completed already")
            }
            let (amount, completedAt) = try body.validated(openedAt: order.openedAt, now: environment.configuration.clock.now())
            guard try await RepairOrderStore(connection: connection, logger: environment.logger).complete(id, amount: amount, completedAt: completedAt) else {
                throw ProblemDetails.conflict("repair order \(order.roNo) is completed already")
            }
            let event = RepairOrderAnnouncement.completed(
                order.completion(amount: amount, completedAt: completedAt), correlationID: nil, causationID: nil, traceparent: traceparent)
            try await environment.outbox.append(event, on: connection, logger: environment.logger)
            try await VehicleStore(connection: connection, logger: environment.logger)
                .announceChanges(ofCars: [(principal.storeID, order.vin)], to: environment.outbox)
            return try await queries.order(id, store: principal.storeID)!
        }
    }
}

extension HTTPField.Name {
    /// W3C trace context, passed on to the events a request causes.
    static let traceparent = HTTPField.Name("traceparent")!
}
