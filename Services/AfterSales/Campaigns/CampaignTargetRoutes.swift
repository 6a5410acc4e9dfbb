import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// Whom a campaign targets, for Marketing's SMS platform (M5, an audience of "a campaign's
/// targets"), over the internal routes (`/internal/v1/after-sales/…`, the installation's
/// internal token; ServiceKit `InternalRoutes`):
///
/// - `GET campaigns/{id}/targets?store=` — each target car's owner (mobile, name) and plate. A
///   campaign that went live answers the cars its tasks were made for; a draft or published one
///   the cars its conditions or list select today, as its preview does. 404 when the store has
///   no such campaign; at most 100,000 cars (422 past it).
struct CampaignTargetRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("campaigns/:id/targets", use: targets)
    }

    @Sendable func targets(_ request: Request, context: CRMRequestContext) async throws -> CampaignTargetsAnswer {
        let id = try context.parameters.uuid("id")
        var query = QueryReader(request)
        let store = query.requiredUUID("store")
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            guard let store, let campaign = try await CampaignStore(connection: connection, logger: environment.logger).campaign(id, store: store) else {
                throw ProblemDetails.notFound("campaign \(id)")
            }
            let campaigns = CampaignStore(connection: connection, logger: environment.logger)
            let owners: [CampaignTargetsAnswer.Target]
            if campaign.wentLiveAt != nil {
                owners = try await campaigns.taskOwners(campaign: id, limit: ExportLimit.rows + 1)
            } else {
                let vehicles = try await VehicleContext.of(store, in: environment, on: connection)
                owners = try await campaigns.owners(
                    of: CampaignTargets.query(
                        campaign.targets == .list ? .list(campaign: id) : .conditions(campaign.conditions), store: store,
                        calendar: vehicles.calendar, yearStart: CampaignTargets.yearStart(now: vehicles.calendar.now, timeZone: vehicles.timeZone)),
                    limit: ExportLimit.rows + 1)
            }
            guard owners.count <= ExportLimit.rows else {
                throw ProblemDetails.validation([.init(field: "id", message: "the campaign targets more than \(ExportLimit.rows) cars, more than a send holds")])
            }
            return CampaignTargetsAnswer(
                campaignId: id, name: campaign.name, state: campaign.state,
                targets: owners)
        }
    }
}

extension CampaignTargetsAnswer: ResponseEncodable {}
