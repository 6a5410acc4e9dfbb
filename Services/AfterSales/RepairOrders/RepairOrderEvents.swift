import Contracts
import ServiceKit

/// What AfterSales does with the ERP's repair-order events. A car the store has no vehicle file
/// for gets one, in the same transaction, so that its repair history can be looked up.
///
/// Both are batch handlers, set-based: the ERP's events of a consumer batch (up to
/// `EventConsumer.Settings.batchSize`) are recorded with a fixed few statements — the cars'
/// files, the orders, the completions, the announcements — instead of four round trips per
/// event. One at a time, the ERP's completions were the slowest step of the flagship flow
/// (`./crm bench` (c), Benchmarks/README.md).
///
/// What a batch guarantees (EventConsumer, EventHandlers): a handler gets the fresh events of
/// one type that arrived next to each other, in arrival order, in the transaction that also
/// records them in the inbox; a redelivered event is not among them. Events of different
/// types keep their order — an opening, then a completion of the same order, are two calls in
/// that order in the same transaction. Within one call the stores reproduce what handling the
/// events one at a time gives: several events about the same order or the same car are merged
/// deliberately (RepairOrderStore, VehicleStore), since one statement cannot change a row twice.
/// An ERP that sets `subject` to the RO number (as asyncapi.yaml's examples do) has all of an
/// order's events handled in order by one worker; without it, two events of one order may land
/// in different workers' batches, handled at the same time, and the stores' row locks keep that
/// correct too: one completion, one announcement.
///
/// Each batch announces the vehicle files of its cars (`aftersales.vehicle.changed.v1`: a new
/// file, a new last repair), and of the cars its orders were on before, should the ERP have
/// moved an order to another VIN.
enum RepairOrderEvents {
    static func handlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.onBatch(ERPRepairOrderOpened.self) { events, context in
            let orders = events.map(\.data)
            let vehicles = VehicleStore(connection: context.connection, logger: context.logger)
            let repairOrders = RepairOrderStore(connection: context.connection, logger: context.logger)
            let carsBefore = try await repairOrders.cars(ofOrders: orders.map { (StoreID.forStoreCode($0.storeCode), $0.roNo) })
            try await vehicles.createIfAbsent(orders.map { (StoreID.forStoreCode($0.storeCode), CarOnRepairOrder($0)) })
            try await repairOrders.recordOpened(orders)
            try await CampaignTaskStore(connection: context.connection, logger: context.logger).recordReturns(orders.map { (StoreID.forStoreCode($0.storeCode), $0.vin) })
            try await vehicles.announceChanges(
                ofCars: carsBefore + orders.map { (StoreID.forStoreCode($0.storeCode), $0.vin) }, to: context.outbox)
        }
        handlers.onBatch(ERPRepairOrderCompleted.self) { events, context in
            let orders = events.map(\.data)
            let vehicles = VehicleStore(connection: context.connection, logger: context.logger)
            let repairOrders = RepairOrderStore(connection: context.connection, logger: context.logger)
            let carsBefore = try await repairOrders.cars(ofOrders: orders.map { (StoreID.forStoreCode($0.storeCode), $0.roNo) })
            try await vehicles.createIfAbsent(orders.map { (StoreID.forStoreCode($0.storeCode), CarOnRepairOrder($0)) })
            // Only an order's first completion is news: a repeated ERP event changes nothing
            // downstream. Each announcement is caused by the event that completed the order.
            let completed = try await repairOrders.recordCompleted(orders)
            // A completion may be the first the store hears of an order: the car came back.
            try await CampaignTaskStore(connection: context.connection, logger: context.logger).recordReturns(orders.map { (StoreID.forStoreCode($0.storeCode), $0.vin) })
            let announcements = completed.map { index, completion in
                RepairOrderAnnouncement.completed(
                    completion, correlationID: events[index].correlationid ?? events[index].id, causationID: events[index].id,
                    traceparent: events[index].traceparent)
            }
            // One message for the batch's announcements (a CloudEvents batch): CustomerService
            // reads them one by one, each once, and the broker and the relay carry one message
            // instead of a hundred (`./crm bench` (c)).
            try await context.outbox.appendAsBatch(announcements, on: context.connection, logger: context.logger)
            try await vehicles.announceChanges(
                ofCars: carsBefore + orders.map { (StoreID.forStoreCode($0.storeCode), $0.vin) }, to: context.outbox)
        }
        return handlers
    }
}
