import Contracts
import ServiceKit

/// What AfterSales does with the ERP's repair-order events.
enum RepairOrderEvents {
    static func handlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.on(ERPRepairOrderOpened.self) { event, context in
            try await RepairOrderStore(connection: context.connection, logger: context.logger).recordOpened(event.data)
        }
        handlers.on(ERPRepairOrderCompleted.self) { event, context in
            let store = RepairOrderStore(connection: context.connection, logger: context.logger)
            // Only the first completion is news: a repeated ERP event changes nothing downstream.
            guard let completed = try await store.recordCompleted(event.data) else { return }
            try await context.publish(CloudEvent(
                source: "/crm/aftersales",
                subject: completed.repairOrderId.uuidString.lowercased(),
                data: completed,
                storeid: completed.storeId.uuidString.lowercased(),
                correlationid: event.correlationid ?? event.id,
                causationid: event.id,
                traceparent: event.traceparent))
        }
        return handlers
    }
}
