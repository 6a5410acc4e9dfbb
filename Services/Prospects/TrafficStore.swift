import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Registers showroom traffic (P1) by the duplicate rules of P2: a mobile the store has as a
/// prospect adds traffic only; a defeated prospect comes back at level H with a task today; an
/// online lead's data is carried over and Leads learns the lead arrived. Whatever the form
/// says last is the customer's data from now on (the latest saved data wins) — a referrer's
/// mobile (老带新) too, which a later visit that names none leaves as it was.
///
/// Every registration announces the arrival (`prospects.prospect.arrived.v1`) and the prospect
/// as it left it (`prospects.prospect.changed.v1`), in the caller's transaction.
struct TrafficStore {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory
    let outbox: Outbox

    struct Registered {
        var outcome: String
        var trafficID: UUID
        var prospectID: UUID
    }

    /// `consultant`: who follows the prospect up — the receiving consultant, or nil for a
    /// manager's registration that someone assigns later.
    func register(_ draft: TrafficDraft, store: UUID, consultant: UUID?, by user: UUID, now: Date, today: String) async throws -> Registered {
        let prospects = ProspectStore(connection: connection, logger: logger, directory: directory)
        let existing = try await connection.query("""
            SELECT id, state, deleted_at IS NOT NULL, consultant_id FROM prospects.prospect
            WHERE store_id = \(store) AND mobile = \(draft.mobile) FOR UPDATE
            """, logger: logger).decode((UUID, String, Bool, UUID?).self).all().first

        let outcome: String
        let prospectID: UUID
        if let (id, state, deleted, owner) = existing {
            prospectID = id
            try await update(id, with: draft)
            if deleted {
                outcome = "restored"
                try await prospects.activate(id, store: store, consultant: consultant ?? owner, at: now, today: today)
            } else if state == "defeated" || state == "defeat_pending" {
                outcome = "reactivated"
                try await prospects.activate(id, store: store, consultant: consultant, at: now, today: today)
            } else {
                outcome = "existing"
            }
        } else {
            prospectID = UUID()
            let lead = try await undefeatedLead(mobile: draft.mobile, store: store)
            outcome = lead == nil ? "created" : "carried_over"
            guard try await insert(prospectID, draft: draft, lead: lead, store: store, consultant: consultant, by: user, now: now) else {
                // Someone registered this mobile a moment ago (their insert committed first):
                // the rules for a known mobile apply, and the row is there to lock now.
                return try await register(draft, store: store, consultant: consultant, by: user, now: now, today: today)
            }
            let interval = try await ProspectRules(connection: connection, logger: logger).interval(for: draft.level, store: store)
            try await prospects.openTask(prospectID, store: store, consultant: consultant, dueOn: ServiceClock.day(today, plus: interval))
            if let lead {
                try await outbox.append(CloudEvent(
                    source: "/crm/prospects", subject: lead.leadID.uuidString.lowercased(),
                    data: LeadArrived(leadId: lead.leadID, storeId: store, prospectId: prospectID, arrivedAt: draft.arrivedAt),
                    storeid: store.uuidString.lowercased()
                ), on: connection, logger: logger)
            }
        }

        let trafficID = UUID()
        try await connection.query("""
            INSERT INTO prospects.traffic (id, store_id, prospect_id, outcome, name, mobile, arrival, party_size, arrived_at, left_at,
                                           category, source, nature, consultant_id, note, created_by)
            VALUES (\(trafficID), \(store), \(prospectID), \(outcome), \(draft.name), \(draft.mobile), \(draft.arrival),
                    \(draft.partySize), \(draft.arrivedAt), \(draft.leftAt), \(draft.category), \(draft.source),
                    \(draft.nature), \(consultant), \(draft.note), \(user))
            """, logger: logger)
        try await prospects.announceChanges(of: [prospectID], to: outbox)
        try await prospects.announceArrival(trafficID, to: outbox)
        return Registered(outcome: outcome, trafficID: trafficID, prospectID: prospectID)
    }

    /// The latest saved data wins: what the form filled in replaces the prospect's.
    private func update(_ prospect: UUID, with draft: TrafficDraft) async throws {
        try await connection.query("""
            UPDATE prospects.prospect SET name = \(draft.name), landline = COALESCE(\(draft.landline), landline),
                gender = COALESCE(\(draft.gender), gender), province = COALESCE(\(draft.province), province),
                city = COALESCE(\(draft.city), city), district = COALESCE(\(draft.district), district),
                brand = COALESCE(\(draft.brand), brand), series = COALESCE(\(draft.series), series),
                model = COALESCE(\(draft.model), model), plate = COALESCE(\(draft.plate), plate),
                referrer_mobile = COALESCE(\(draft.referrerMobile), referrer_mobile),
                note = COALESCE(\(draft.note), note), updated_at = now()
            WHERE id = \(prospect)
            """, logger: logger)
    }

    struct KnownLead {
        var leadID: UUID
        var gender: String?
        var province: String?
        var city: String?
        var brand: String?
        var series: String?
        var model: String?
        var level: String
        var note: String?
    }

    /// The store's online lead with this mobile that is neither defeated nor arrived already.
    private func undefeatedLead(mobile: String, store: UUID) async throws -> KnownLead? {
        for try await (id, gender, province, city, brand, series, model, level, note) in try await connection.query("""
            SELECT lead_id, gender, province, city, brand, series, model, level, note FROM prospects.known_lead
            WHERE store_id = \(store) AND mobile = \(mobile) AND state IN ('new', 'assigned')
            ORDER BY changed_at DESC LIMIT 1
            """, logger: logger).decode((UUID, String?, String?, String?, String?, String?, String?, String, String?).self)
        {
            return KnownLead(leadID: id, gender: gender, province: province, city: city, brand: brand, series: series, model: model, level: level, note: note)
        }
        return nil
    }

    /// A new prospect from the form; a carried-over lead fills in what the form left empty. Its
    /// source: 网销线索 for a carried-over lead; 老客户介绍 (referral) as the form says, since its
    /// referrer is what earns the referral coupons (C6); else 展厅活动 when the mobile registered
    /// for one of the store's marketing events (集客报名, M3) in the 90 days before; else the form's.
    /// False if the store has the mobile already (a concurrent registration won).
    private func insert(_ id: UUID, draft: TrafficDraft, lead: KnownLead?, store: UUID, consultant: UUID?, by user: UUID, now: Date) async throws -> Bool {
        try await !connection.query("""
            INSERT INTO prospects.prospect (id, store_id, name, mobile, landline, gender, province, city, district, category, source,
                                            brand, series, model, plate, level, state, consultant_id, assigned_at, lead_id, referrer_mobile,
                                            note, created_by)
            VALUES (\(id), \(store), \(draft.name), \(draft.mobile), \(draft.landline), \(draft.gender ?? lead?.gender),
                    \(draft.province ?? lead?.province), \(draft.city ?? lead?.city), \(draft.district), \(draft.category),
                    CASE WHEN \(lead == nil) AND \(draft.source) <> 'referral' AND EXISTS (
                             SELECT 1 FROM prospects.event_registration r
                             WHERE r.store_id = \(store) AND r.mobile = \(draft.mobile)
                               AND r.registered_at > \(now) - interval '90 days' AND r.registered_at <= \(now))
                         THEN 'showroom_event' ELSE \(lead == nil ? draft.source : SystemSource.onlineLead)::text END,
                    \(draft.brand ?? lead?.brand), \(draft.series ?? lead?.series), \(draft.model ?? lead?.model), \(draft.plate),
                    \(draft.level.rawValue), 'active', \(consultant), \(consultant == nil ? nil : now), \(lead?.leadID),
                    \(draft.referrerMobile), \(draft.note ?? lead?.note), \(user))
            ON CONFLICT (store_id, mobile) DO NOTHING RETURNING id
            """, logger: logger).decode(UUID.self).all().isEmpty
    }
}
