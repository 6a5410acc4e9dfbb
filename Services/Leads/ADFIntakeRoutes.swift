import Foundation
import Hummingbird
import ServiceKit

/// `POST /api/v1/leads/intake/adf` (L3; issue 12, item 3): leads from a car platform as an ADF
/// 1.0 XML document, for the caller's current store — the caller is the platform's integration
/// user of that store.
///
/// The document is read whole first (`ADFDocument`): one that is not ADF XML, or declares a
/// DTD or entities, is a 422 naming `adf` and nothing is entered. Otherwise every `<prospect>`
/// is checked on its own (`ADFLead`) and the document is entered in one transaction
/// (`LeadBatch`): the answer is 200 with a report in the shape of an import's
/// (`LeadImportReport`), one result per prospect in document order (`row` 1 is the first
/// `<prospect>`) — `created`, `duplicate` or `rejected` with every reason — so that one bad
/// prospect never loses the good ones. A document sent again creates no second lead: its
/// prospects come back as duplicates of the leads the first one created (and with the
/// gateway's `Idempotency-Key`, the first answer comes back instead).
struct ADFIntakeRoutes: Sendable {
    let environment: ServiceEnvironment

    /// Far more than any platform sends at once.
    static let maximumSize = 1 << 20
    static let maximumProspects = 1000

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("leads/intake/adf", use: intake)
    }

    @Sendable func intake(_ request: Request, context: CRMRequestContext) async throws -> LeadImportReport {
        let principal = try context.require(.writeLeads)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumSize)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "an ADF document may be at most 1 MB")
        }
        let document = try ADFDocument(Data(buffer: body))
        guard !document.prospects.isEmpty else {
            throw ProblemDetails.validation([.init(field: "adf", message: "has no <prospect>")])
        }
        guard document.prospects.count <= Self.maximumProspects else {
            throw ProblemDetails.validation([.init(field: "adf", message: "has more than \(Self.maximumProspects) prospects; send them in several documents")])
        }
        // The platform named by a code or label of the store's `leadSource` (G5), else `other`.
        let dictionaries = try await environment.database.withConnection { connection in
            try await LeadDictionaries.load(store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
        }
        let batch = LeadBatch(document.prospects.enumerated().map { ($0.offset + 1, ADFLead.draft($0.element, dictionaries: dictionaries)) })
        return try await environment.database.withTransaction { connection in
            try await batch.write(
                on: connection, store: principal.storeID, by: principal.userID, dryRun: false, announce: .now, environment: environment
            ).report
        }
    }
}
