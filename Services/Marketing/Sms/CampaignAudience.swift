import Contracts
import Foundation
import ServiceKit

/// An SMS audience of a solicitation campaign's targets (M5; AS4 售后招揽): the owners of the cars
/// the campaign targets, with their plates for `{plate}`, asked of AfterSales over its internal
/// routes (`GET /internal/v1/after-sales/campaigns/{id}/targets`, ServiceKit
/// `InternalServiceClient`) when the send is written — Marketing keeps no copy of AfterSales'
/// vehicles, and the send is to whom the campaign targets at that moment.
///
/// `CRM_AFTERSALES_URL` (default `http://127.0.0.1:8083`) says where AfterSales is; the
/// installation's `CRM_INTERNAL_TOKEN` opens its internal routes.
struct CampaignAudience: Sendable {
    let client: InternalServiceClient

    init(afterSalesURL: String, token: String?) {
        // A campaign of many cars is a long answer: more time than a prize's.
        client = InternalServiceClient(baseURL: afterSalesURL, token: token ?? "", timeout: .seconds(30))
    }

    /// The campaign's targets, or nil when the store has no such campaign.
    /// - Throws: `ProblemDetails` 503 when AfterSales does not answer, 422 naming `campaignId`
    ///   when the campaign targets more cars than a send holds.
    func targets(of campaign: UUID, store: UUID) async throws -> CampaignTargetsAnswer? {
        do {
            return try await client.get(
                "/internal/v1/after-sales/campaigns/\(campaign.uuidString.lowercased())/targets?store=\(store.uuidString.lowercased())",
                answer: CampaignTargetsAnswer.self)
        } catch InternalCallError.refused(status: 422, _) {
            throw ProblemDetails.validation([.init(field: "campaignId", message: "the campaign targets more cars than a send holds (100,000)")])
        } catch {
            throw ProblemDetails.unavailable("AfterSales does not answer, so the campaign's targets cannot be read; send again in a moment")
        }
    }
}
