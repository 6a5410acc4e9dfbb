import Contracts
import ServiceKit

/// What AfterSales does with the ERP's repair-order events. A car the store has no vehicle file
/// for gets one, in the same transaction, so that its repair history can be looked up.
enum RepairOrderEvents {
    static func handlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ERPRepairOrderOpened.self) { event, context in
            let order = event.data
            try await RepairOrderStore(connection: context.connection, logger: context.logger).recordOpened(order)
            try await VehicleStore(connection: context.connection, logger: context.logger).createIfAbsent(
                store: StoreID.forStoreCode(order.storeCode),
                fromRepairOrderOf: CarOnRepairOrder(
                    vin: order.vin, plate: order.plate, brand: order.brand, series: order.series, model: order.model,
                    customer: order.customer))
        }
        handlers.on(ERPRepairOrderCompleted.self) { event, context in
            let order = event.data
            try await VehicleStore(connection: context.connection, logger: context.logger).createIfAbsent(
                store: StoreID.forStoreCode(order.storeCode),
                fromRepairOrderOf: CarOnRepairOrder(
                    vin: order.vin, plate: order.plate, brand: order.brand, series: order.series, model: order.model,
                    customer: order.customer))
            let store = RepairOrderStore(connection: context.connection, logger: context.logger)
            // Only the first completion is news: a repeated ERP event changes nothing downstream.
            guard let completed = try await store.recordCompleted(order) else { return }
            try await context.publish(RepairOrderAnnouncement.completed(
                completed, correlationID: event.correlationid ?? event.id, causationID: event.id,
                traceparent: event.traceparent))
        }
        return handlers
    }
}
