import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// What Prospects tells the other services about its prospects, in the transaction of the write
/// that made it true (DESIGN.md, "Messaging"): each event is read from the rows as they are at
/// that point of the transaction, so no write path builds a payload of its own.
///
/// - `prospects.prospect.changed.v1` (`announceChanges`): after every write that creates a
///   prospect or changes a field of `ProspectChanged`. Whoever writes calls it once, after the
///   last change of its transaction; a second call only repeats the same state, which readers
///   take as a no-op, while a forgotten call leaves their copies stale.
/// - `prospects.prospect.arrived.v1` (`announceArrival`): once per registered traffic record.
/// - `prospects.prospect.purchased.v1` (`announcePurchase`): once per prospect, when the ERP's
///   first order makes it a buyer (`SalesOrders`).
extension ProspectStore {
    static let eventSource = "/crm/prospects"

    /// Announces the prospects as they are now. `changedAt` is the database's clock at the
    /// announcement (`clock_timestamp()`): the writer holds the prospect's row lock until it
    /// commits, so a later change of the same prospect always carries a later time.
    func announceChanges(of prospects: [UUID], to outbox: Outbox) async throws {
        let ids = Array(Set(prospects))
        guard !ids.isEmpty else { return }
        var events: [CloudEvent<ProspectChanged>] = []
        events.reserveCapacity(ids.count)
        for try await r in try await connection.query("""
            SELECT id, store_id, name, mobile, gender, province, city, source, level, brand, series, model, state, consultant_id,
                   referrer_mobile, deleted_at IS NOT NULL, clock_timestamp()
            FROM prospects.prospect WHERE id = ANY(\(ids)) ORDER BY id
            """, logger: logger).decode((
                UUID, UUID, String, String, String?, String?, String?, String, String, String?, String?, String?, String, UUID?,
                String?, Bool, Date).self)
        {
            let prospect = ProspectChanged(
                prospectId: r.0, storeId: r.1, name: r.2, mobile: r.3, gender: r.4, province: r.5, city: r.6, source: r.7, level: r.8,
                brand: r.9, series: r.10, model: r.11, state: r.12, consultantId: r.13, referrerMobile: r.14, inRecycleBin: r.15,
                changedAt: r.16)
            events.append(CloudEvent(
                source: Self.eventSource, subject: r.0.uuidString.lowercased(), data: prospect, storeid: r.1.uuidString.lowercased()))
        }
        try await outbox.append(events, on: connection, logger: logger)
    }

    /// Announces the arrival a traffic record registered, with the prospect as the registration
    /// left it. Called right after the record is inserted: "first" means the prospect has no
    /// other traffic (the prospect's row lock orders registrations of one mobile).
    func announceArrival(_ traffic: UUID, to outbox: Outbox) async throws {
        let rows = try await connection.query("""
            SELECT t.id, t.prospect_id, t.store_id, p.name, p.mobile, p.referrer_mobile, t.source, t.arrived_at,
                   NOT EXISTS (SELECT 1 FROM prospects.traffic other WHERE other.prospect_id = t.prospect_id AND other.id <> t.id)
            FROM prospects.traffic t JOIN prospects.prospect p ON p.id = t.prospect_id
            WHERE t.id = \(traffic)
            """, logger: logger).decode((UUID, UUID, UUID, String, String, String?, String, Date, Bool).self).all()
        let events = rows.map { r in
            CloudEvent(
                source: Self.eventSource, subject: r.1.uuidString.lowercased(),
                data: ProspectArrived(
                    prospectId: r.1, trafficId: r.0, storeId: r.2, name: r.3, mobile: r.4, referrerMobile: r.5, source: r.6,
                    arrivedAt: r.7, firstArrival: r.8),
                storeid: r.2.uuidString.lowercased())
        }
        try await outbox.append(events, on: connection, logger: logger)
    }

    /// Announces that the prospect bought a car under `orderNo`. The caller decides that this is
    /// the prospect's first purchase (`SalesOrders`).
    func announcePurchase(of prospect: UUID, orderNo: String, orderedAt: Date, to outbox: Outbox) async throws {
        let rows = try await connection.query("""
            SELECT id, store_id, name, mobile, referrer_mobile FROM prospects.prospect WHERE id = \(prospect)
            """, logger: logger).decode((UUID, UUID, String, String, String?).self).all()
        let events = rows.map { id, store, name, mobile, referrer in
            CloudEvent(
                source: Self.eventSource, subject: id.uuidString.lowercased(),
                data: ProspectPurchased(
                    prospectId: id, storeId: store, name: name, mobile: mobile, referrerMobile: referrer, orderNo: orderNo,
                    orderedAt: orderedAt),
                storeid: store.uuidString.lowercased())
        }
        try await outbox.append(events, on: connection, logger: logger)
    }
}
