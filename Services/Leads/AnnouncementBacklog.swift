import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// Announces the leads of the backlog (`LeadAnnouncer.announceLater`), oldest entry first,
/// each entry in one transaction with its removal: a crash part-way announces the entry again
/// from the start, which is harmless — Prospects keeps the newest announcement of a lead.
/// The leads are read as they are when announced, with that moment's `changedAt`, so an
/// entry announced late never undoes a newer change.
struct AnnouncementBacklog: Service {
    let environment: ServiceEnvironment
    var interval: Duration = .milliseconds(500)

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "announcing the lead backlog", every: interval, deadline: .seconds(30), logger: environment.logger
        ) {
            while try await announceOldest() {}
        }
    }

    /// Announces the oldest entry nobody else is announcing; false when there is none.
    func announceOldest() async throws -> Bool {
        try await environment.database.withTransaction { connection in
            guard let (id, leads) = try await connection.query("""
                SELECT id, lead_ids FROM leads.announcement_backlog ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: environment.logger).decode((UUID, [UUID]).self).all().first
            else { return false }
            try await LeadAnnouncer(connection: connection, logger: environment.logger, outbox: environment.outbox).announce(leads)
            try await connection.query("DELETE FROM leads.announcement_backlog WHERE id = \(id)", logger: environment.logger)
            return true
        }
    }
}
