import Contracts
import Foundation
import ServiceKit

/// What Marketing hears for the channel report (M6): a lead taken by a page opened from a channel
/// QR code (`platform.lead.received.v1` with `channelCode`), and what became of the store's
/// customers — a first showroom arrival (`prospects.prospect.arrived.v1`) and an order
/// (`prospects.prospect.purchased.v1`). Each is recorded once, by its subject: an event sent
/// twice changes nothing. A lead whose code is not one of its store's channels is not counted.
enum ChannelEvents {
    static func add(to handlers: inout EventHandlers) {
        handlers.on(PlatformLeadReceived.self) { event, context in
            let lead = event.data
            guard let code = lead.channelCode?.trimmed, !code.isEmpty, let mobile = ChineseMobile.normalise(lead.mobile) else { return }
            try await ChannelStore(connection: context.connection, logger: context.logger).recordTouch(
                kind: .lead, subject: "\(lead.platform.rawValue):\(lead.platformLeadId)", store: StoreID.forStoreCode(lead.storeCode),
                code: code, mobile: mobile, at: lead.receivedAt)
        }
        handlers.on(ProspectArrived.self) { event, context in
            let arrival = event.data
            guard arrival.firstArrival else { return }
            try await ChannelStore(connection: context.connection, logger: context.logger).recordOutcome(
                kind: .prospect, subject: arrival.prospectId.uuidString.lowercased(), store: arrival.storeId, mobile: arrival.mobile,
                at: arrival.arrivedAt)
        }
        handlers.on(ProspectPurchased.self) { event, context in
            let order = event.data
            try await ChannelStore(connection: context.connection, logger: context.logger).recordOutcome(
                kind: .order, subject: "\(order.storeId.uuidString.lowercased()):\(order.orderNo)", store: order.storeId,
                mobile: order.mobile, at: order.orderedAt)
        }
    }
}
