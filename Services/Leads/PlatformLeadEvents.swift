import Contracts
import Foundation
import ServiceKit

/// What Leads does with the platforms' `platform.lead.received.v1` (L3): the same as a lead
/// entered by hand — a new lead, or a duplicate that brings the existing one's follow-up to
/// today.
enum PlatformLeadEvents {
    static func handlers(directory: Directory, clock: ServiceClock) -> EventHandlers {
        var handlers = EventHandlers()
        handlers.on(PlatformLeadReceived.eventType, as: CheckedPlatformLead.self) { event, context in
            let lead = event.data
            let storeID = StoreID.forStoreCode(lead.storeCode)
            let timeZone = try await directory.timeZone(of: storeID, on: context.connection, logger: context.logger)
            let entered = try await LeadStore(connection: context.connection, logger: context.logger, directory: directory)
                .enter(lead.draft, store: storeID, by: nil, today: clock.today(in: timeZone))
            try await LeadAnnouncer(connection: context.connection, logger: context.logger, outbox: context.outbox).announce([entered.leadID])
        }
        // L9: the lead came to the showroom and Prospects has it now; its follow-up here ends.
        // A lead defeated meanwhile stays defeated.
        handlers.on(LeadArrived.self) { event, context in
            let arrived = try await context.connection.query("""
                UPDATE leads.lead SET state = 'arrived', updated_at = now() WHERE id = \(event.data.leadId) AND state IN ('new', 'assigned') RETURNING id
                """, logger: context.logger).decode(UUID.self).all()
            guard !arrived.isEmpty else { return }
            try await context.connection.query("""
                UPDATE leads.lead_task SET state = 'cancelled', done_at = now() WHERE lead_id = \(event.data.leadId) AND state = 'open'
                """, logger: context.logger)
            try await LeadAnnouncer(connection: context.connection, logger: context.logger, outbox: context.outbox).announce(arrived)
        }
        return handlers
    }
}

/// A platform lead that passed the same checks as one entered by hand. The checks run while
/// the event is decoded, so a lead without a usable name or mobile is dead-lettered at once
/// with the reason, for someone to look at, instead of being retried.
struct CheckedPlatformLead: Codable, Sendable {
    var lead: PlatformLeadReceived
    var draft: LeadDraft
    var storeCode: String { lead.storeCode }

    init(from decoder: any Decoder) throws {
        let lead = try PlatformLeadReceived(from: decoder)
        do {
            // The platforms are built-in sources (G5), which every store's `leadSource` has; a
            // platform's lead is entered even where the store disabled its source for staff.
            draft = try LeadDraft(NewLead(
                name: lead.name, mobile: lead.mobile, gender: nil, source: LeadDictionaries.sourceCode(platform: lead.platform),
                province: lead.province, city: lead.city, brand: lead.brand, series: lead.series, model: lead.model,
                level: nil, note: lead.note), dictionaries: .builtIn, origin: .platform)
        } catch let problem as ProblemDetails {
            let reasons = (problem.errors ?? []).map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the platform lead cannot be entered: \(reasons)"))
        }
        self.lead = lead
    }

    func encode(to encoder: any Encoder) throws {
        try lead.encode(to: encoder)
    }
}
