import Contracts
import ServiceKit

/// Which events create visit tasks: completed repair orders, delivered cars (CS2) and prospect
/// follow-ups (CS3). All are set-based — a task per order — so they are batch
/// handlers: a consumer batch of completions becomes tasks with one statement.
enum VisitTaskEvents {
    static func handlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.onBatch(RepairOrderCompleted.self) { events, context in
            try await VisitTaskStore(connection: context.connection, logger: context.logger)
                .createTasks(events.map { NewVisitTask(repairOrder: $0.data, eventID: $0.id) })
        }
        handlers.onBatch(ERPVehicleDelivered.self) { events, context in
            try await VisitTaskStore(connection: context.connection, logger: context.logger)
                .createTasks(events.map { NewVisitTask(delivery: $0.data, eventID: $0.id) })
        }
        handlers.onBatch(ProspectFollowUpRecorded.self) { events, context in
            try await VisitTaskStore(connection: context.connection, logger: context.logger)
                .createTasks(events.map { NewVisitTask(prospectFollowUp: $0.data, eventID: $0.id) })
        }
        return handlers
    }
}
