import Contracts
import Foundation
import ServiceKit

/// How Marketing keeps its copy of the store's prospects (M3 邀约任务: whom the marketing manager
/// may invite): every prospect from `prospects.prospect.changed.v1`, upserted by id unless the copy
/// is newer — an event sent twice, or overtaken by a later one, changes nothing. (Coupons keeps
/// its own copy the same way, in its own schema.)
enum CustomerEvents {
    static func add(to handlers: inout EventHandlers) {
        handlers.on(ProspectChanged.self) { event, context in
            try await CustomerStore(connection: context.connection, logger: context.logger).save(event.data)
        }
    }
}
