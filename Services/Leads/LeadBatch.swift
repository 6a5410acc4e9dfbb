import Foundation
import PostgresNIO
import ServiceKit

/// Enters a batch of checked leads — an import's rows (L2, X2) or an ADF document's prospects
/// (L3) — in the caller's one transaction, by the duplicate rule (L4), and reports each in the
/// shape of `LeadImportReport`: `created` (with the new lead), `duplicate` (with the existing
/// lead: `exists` when the store had the mobile, `repeated_in_import` when an earlier item of
/// the batch has it) or `rejected` (with every reason). Rejected items are never written; the
/// others are, whatever the rejected ones say.
struct LeadBatch: Sendable {
    /// One item: its number in the report (a file's row, a document's prospect), and its lead
    /// or why it cannot be one.
    typealias Checked = (row: Int, lead: Result<LeadDraft, ProblemDetails>)

    /// When the created leads are announced (`leads.lead.changed.v1`).
    enum Announcement {
        /// In the batch's transaction, like a lead entered by hand.
        case now
        /// Through the backlog, after the transaction commits: for imports of thousands.
        case afterCommit
    }

    /// The report before anything is written: rejections, and `created` for the rest.
    private let checkedResults: [LeadImportReport.RowResult]
    /// The first item with each mobile, and the later ones with a mobile already in the batch.
    private let accepted: [(index: Int, draft: LeadDraft)]
    private let repeated: [(index: Int, draft: LeadDraft)]

    init(_ checked: [Checked]) {
        var results: [LeadImportReport.RowResult] = []
        var accepted: [(index: Int, draft: LeadDraft)] = []
        var repeated: [(index: Int, draft: LeadDraft)] = []
        var seen: Set<String> = []
        results.reserveCapacity(checked.count)
        for (row, lead) in checked {
            switch lead {
            case .failure(let problem):
                results.append(.init(row: row, outcome: "rejected", errors: problem.errors))
            case .success(let draft):
                results.append(.init(row: row, outcome: "created"))
                if seen.insert(draft.mobile).inserted {
                    accepted.append((results.count - 1, draft))
                } else {
                    repeated.append((results.count - 1, draft))
                }
            }
        }
        (checkedResults, self.accepted, self.repeated) = (results, accepted, repeated)
    }

    /// Writes the batch on `connection` (the caller's transaction) and reports it; on a dry
    /// run (the caller rolls back) new leads have no `leadId`. `announcing` is the time the
    /// announcement took, for the caller's log.
    func write(
        on connection: PostgresConnection, store: UUID, by user: UUID, dryRun: Bool, announce: Announcement, environment: ServiceEnvironment
    ) async throws -> (report: LeadImportReport, announcing: Duration) {
        var results = checkedResults
        let today = try await environment.storeDay(store, on: connection).today
        let leads = LeadImportStore(connection: connection, logger: environment.logger)
        let (created, existing) = try await leads.insert(accepted.map(\.draft), store: store, by: user)
        let clock = ContinuousClock()
        let started = clock.now
        let announcer = LeadAnnouncer(connection: connection, logger: environment.logger, outbox: environment.outbox)
        switch announce {
        case .now: try await announcer.announce(Array(created.values))
        case .afterCommit: try await announcer.announceLater(Array(created.values))
        }
        let announcing = clock.now - started
        var duplicates: [LeadImportStore.Duplicate] = []
        for (index, draft) in accepted {
            if let id = created[draft.mobile] {
                results[index].leadId = dryRun ? nil : id
            } else if let id = existing[draft.mobile] {
                results[index].outcome = "duplicate"
                results[index].reason = "exists"
                results[index].leadId = id
                duplicates.append(.init(leadID: id, draft: draft, reason: "exists"))
            }
        }
        for (index, draft) in repeated {
            guard let id = created[draft.mobile] ?? existing[draft.mobile] else { continue }
            results[index].outcome = "duplicate"
            results[index].reason = "repeated_in_import"
            results[index].leadId = dryRun && created[draft.mobile] != nil ? nil : id
            duplicates.append(.init(leadID: id, draft: draft, reason: "repeated_in_import"))
        }
        try await leads.recordDuplicates(duplicates, store: store, by: user, today: today)
        let report = LeadImportReport(
            dryRun: dryRun, rows: results.count,
            created: results.filter { $0.outcome == "created" }.count,
            duplicates: results.filter { $0.outcome == "duplicate" }.count,
            rejected: results.filter { $0.outcome == "rejected" }.count,
            results: results)
        return (report, announcing)
    }
}
