import Contracts
import Foundation
import ServiceKit

/// What Prospects learns from the bus: Leads' leads (for the carry-over of P2) and the ERP's
/// sales orders and deliveries (order customers and retained customers, P10).
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
        handlers.on(ERPSalesOrderCreated.self) { event, context in
            try await SalesOrders(connection: context.connection, logger: context.logger).record(event.data)
        }
        handlers.on(ERPVehicleDelivered.self) { event, context in
            try await SalesOrders(connection: context.connection, logger: context.logger).recordDelivery(event.data)
        }
        return handlers
    }
}
