import Contracts
import Foundation
import ServiceKit

/// What Prospects learns from the bus: Leads' leads (for the carry-over of P2), the ERP's sales
/// orders and deliveries (order customers and retained customers, P10), and Marketing's event
/// registrations (a new prospect who registered came through the event: source 展厅活动, M3).
enum ProspectEvents {
    static func handlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.onBatch(LeadChanged.self) { events, context in
            // The newest announcement of each lead wins; an older one arriving late changes nothing.
            for event in events {
                let lead = event.data
                try await context.connection.query("""
                    INSERT INTO prospects.known_lead (lead_id, store_id, name, mobile, gender, source, province, city, brand, series, model,
                                                      level, state, note, changed_at)
                    VALUES (\(lead.leadId), \(lead.storeId), \(lead.name), \(lead.mobile), \(lead.gender), \(lead.source), \(lead.province),
                            \(lead.city), \(lead.brand), \(lead.series), \(lead.model), \(lead.level), \(lead.state), \(lead.note), \(lead.changedAt))
                    ON CONFLICT (lead_id) DO UPDATE SET
                        name = EXCLUDED.name, mobile = EXCLUDED.mobile, gender = EXCLUDED.gender, source = EXCLUDED.source,
                        province = EXCLUDED.province, city = EXCLUDED.city, brand = EXCLUDED.brand, series = EXCLUDED.series,
                        model = EXCLUDED.model, level = EXCLUDED.level, state = EXCLUDED.state, note = EXCLUDED.note,
                        changed_at = EXCLUDED.changed_at
                    WHERE known_lead.changed_at <= EXCLUDED.changed_at
                    """, logger: context.logger)
            }
        }
        handlers.on(ERPSalesOrderCreated.eventType, as: CheckedSalesOrder.self) { event, context in
            try await SalesOrders(context).record(event.data.order)
        }
        handlers.on(ERPVehicleDelivered.self) { event, context in
            try await SalesOrders(context).recordDelivery(event.data)
        }
        // 集客报名 (M3): a registered mobile that becomes a prospect carries the event as its source.
        handlers.on(MarketingRegistrationCreated.self) { event, context in
            let registration = event.data
            try await context.connection.query("""
                INSERT INTO prospects.event_registration (registration_id, store_id, mobile, event_id, event_name, registered_at)
                VALUES (\(registration.registrationId), \(registration.storeId), \(registration.mobile), \(registration.eventId),
                        \(registration.eventName), \(registration.registeredAt))
                ON CONFLICT (registration_id) DO NOTHING
                """, logger: context.logger)
        }
        return handlers
    }
}

/// A sales order whose amounts fit the order table (yuan with two decimals, at most
/// 9,999,999,999.99). The check runs while the event is decoded, so an order the table cannot
/// hold is dead-lettered at once with the reason instead of failing its handler until the
/// delivery limit.
struct CheckedSalesOrder: Codable, Sendable {
    var order: ERPSalesOrderCreated

    init(from decoder: any Decoder) throws {
        let order = try ERPSalesOrderCreated(from: decoder)
        var check = FieldValidator()
        check.money("amount", order.amount)
        if let deposit = order.deposit { check.money("deposit", deposit) }
        guard check.errors.isEmpty else {
            let reasons = check.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the sales order cannot be recorded: \(reasons)"))
        }
        self.order = order
    }

    func encode(to encoder: any Encoder) throws {
        try order.encode(to: encoder)
    }
}
