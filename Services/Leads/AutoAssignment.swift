import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Automatic assignment (自动分配, L5): each lead goes to the available consultant of the store
/// who has been given the fewest leads today and is under their daily cap — a round robin that
/// stays even when consultants join late or a cap fills up. Ties go to the consultant first in
/// a fixed order (by id), so the same state always assigns the same way.
struct AutoAssignment {
    let connection: PostgresConnection
    let logger: Logger
    let directory: Directory

    struct Candidate {
        var userID: UUID
        var dailyCap: Int?
        var assignedToday: Int

        var hasRoom: Bool { dailyCap.map { assignedToday < $0 } ?? true }
    }

    /// Locks the store's consultant settings (so concurrent runs take turns) and reads how many
    /// leads each available consultant was given since `startOfToday`.
    func candidates(store: UUID, startOfToday: Date) async throws -> [Candidate] {
        var candidates: [Candidate] = []
        let rows = try await connection.query("""
            SELECT c.user_id, c.daily_cap,
                   (SELECT count(*)::int FROM leads.lead l WHERE l.store_id = c.store_id AND l.consultant_id = c.user_id
                       AND l.assigned_at >= \(startOfToday))
            FROM leads.lead_consultant c
            JOIN leads.directory_user u ON u.id = c.user_id AND u.active AND c.store_id = ANY(u.store_ids)
            WHERE c.store_id = \(store) AND c.available
            ORDER BY c.user_id
            FOR UPDATE OF c
            """, logger: logger)
        for try await (user, cap, today) in rows.decode((UUID, Int?, Int).self) {
            candidates.append(Candidate(userID: user, dailyCap: cap, assignedToday: today))
        }
        return candidates
    }

    /// Who gets each lead, in order; leads left over when every cap is full are not in the result.
    static func plan(leads: [UUID], candidates: [Candidate]) -> [(lead: UUID, consultant: UUID)] {
        var candidates = candidates
        var plan: [(UUID, UUID)] = []
        for lead in leads {
            guard let index = candidates.indices.filter({ candidates[$0].hasRoom })
                .min(by: { candidates[$0].assignedToday < candidates[$1].assignedToday })
            else { break }
            plan.append((lead, candidates[index].userID))
            candidates[index].assignedToday += 1
        }
        return plan
    }
}
