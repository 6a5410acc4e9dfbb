import Contracts
import Foundation
import ServiceKit

/// How Coupons keeps its copy of the customers it filters (C2): every prospect from
/// `prospects.prospect.changed.v1` and every vehicle owner from `aftersales.vehicle.changed.v1`,
/// each upserted by id unless the copy is newer — an event sent twice, or overtaken by a later
/// one, changes nothing.
enum CustomerEvents {
    static func add(to handlers: inout EventHandlers) {
        handlers.on(ProspectChanged.self) { event, context in
            try await CustomerStore(connection: context.connection, logger: context.logger).save(event.data)
        }
        handlers.on(VehicleChanged.self) { event, context in
            try await CustomerStore(connection: context.connection, logger: context.logger).save(event.data)
        }
    }
}
