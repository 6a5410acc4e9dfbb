import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/after-sales/campaigns` (售后招揽, AS4; seed §5.1): the after-sales director writes a
/// campaign as a draft, previews the cars it targets, edits or deletes it while a draft, and
/// publishes it — it goes live at 00:00 of the store's next day (or its first day, if later),
/// when `CampaignScheduler` creates its tasks. Reading takes `aftersales.campaign.read`,
/// writing `aftersales.campaign.manage`.
struct CampaignRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/campaigns", use: list)
        group.post("after-sales/campaigns", use: create)
        group.get("after-sales/campaigns/:id", use: get)
        group.put("after-sales/campaigns/:id", use: replace)
        group.delete("after-sales/campaigns/:id", use: delete)
        group.get("after-sales/campaigns/:id/preview", use: preview)
        group.post("after-sales/campaigns/:id/publish", use: publish)
        group.get("after-sales/campaigns/:id/statistics", use: statistics)
    }

    /// Runs `body` in a transaction with the store's campaigns.
    private func campaigns<Result: Sendable>(_ body: (CampaignStore, PostgresConnection) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(CampaignStore(connection: connection, logger: environment.logger), connection)
        }
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<CampaignView> {
        let principal = try context.require(.readCampaigns)
        let page = try PageRequest(request: request)
        return try await campaigns { store, connection in
            var query = QueryReader(request)
            let state = query.code("state")
            var check = FieldValidator()
            let states = try await environment.directory.dictionary(
                DataDictionaries.campaignState, store: principal.storeID, on: connection, logger: environment.logger)
            let stateCode = check.filterCode("state", state, in: states)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await store.list(store: principal.storeID, state: stateCode, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> CampaignView {
        let principal = try context.require(.readCampaigns)
        let id = try context.parameters.uuid("id")
        guard let campaign = try await campaigns({ store, _ in try await store.campaign(id, store: principal.storeID) }) else {
            throw ProblemDetails.notFound("campaign \(id)")
        }
        return campaign
    }

    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<CampaignView> {
        let principal = try context.require(.manageCampaigns)
        let draft = try await request.decodeJSON(as: CampaignDraft.self, context: context)
        let id = UUID()
        let campaign = try await campaigns { store, connection in
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            try await store.create(id: id, store: principal.storeID, fields: fields, by: principal.userID)
            return try await store.campaign(id, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: campaign)
    }

    /// Replaces a draft with the body (the whole draft again).
    @Sendable func replace(_ request: Request, context: CRMRequestContext) async throws -> CampaignView {
        let principal = try context.require(.manageCampaigns)
        let id = try context.parameters.uuid("id")
        let draft = try await request.decodeJSON(as: CampaignDraft.self, context: context)
        return try await campaigns { store, connection in
            try await requireDraft(id, store: principal.storeID, in: store, doing: "edited")
            let fields = try await checked(draft, store: principal.storeID, on: connection)
            try await store.replace(id, fields: fields)
            return try await store.campaign(id, store: principal.storeID)!
        }
    }

    /// Deletes a draft; answers with the draft as it was.
    @Sendable func delete(_ request: Request, context: CRMRequestContext) async throws -> CampaignView {
        let principal = try context.require(.manageCampaigns)
        let id = try context.parameters.uuid("id")
        return try await campaigns { store, _ in
            let draft = try await requireDraft(id, store: principal.storeID, in: store, doing: "deleted")
            try await store.delete(id)
            return draft
        }
    }

    /// The cars the campaign targets today — how many, and one page of their files (the
    /// vehicle list's shape) — by the same SQL go-live creates the tasks with.
    @Sendable func preview(_ request: Request, context: CRMRequestContext) async throws -> Page<VehicleView> {
        let principal = try context.require(.readCampaigns)
        let id = try context.parameters.uuid("id")
        let page = try PageRequest(request: request)
        return try await campaigns { store, connection in
            guard let campaign = try await store.campaign(id, store: principal.storeID) else { throw ProblemDetails.notFound("campaign \(id)") }
            let vehicles = try await VehicleContext.of(principal.storeID, in: environment, on: connection)
            let targets = CampaignTargets.query(
                campaign.targets == .list ? .list(campaign: id) : .conditions(campaign.conditions), store: principal.storeID,
                calendar: vehicles.calendar, yearStart: CampaignTargets.yearStart(now: vehicles.calendar.now, timeZone: vehicles.timeZone))
            return try await VehicleStore(connection: connection, logger: environment.logger).list(targets, page: page)
        }
    }

    /// Publishes a draft. It goes live at 00:00 of the store's next day, or of its first day if
    /// that is later; a period that ends before then is a 422 on `endsOn`, and a list campaign
    /// without cars a 422 on `targets`.
    @Sendable func publish(_ request: Request, context: CRMRequestContext) async throws -> CampaignView {
        let principal = try context.require(.manageCampaigns)
        let id = try context.parameters.uuid("id")
        return try await campaigns { store, connection in
            let campaign = try await requireDraft(id, store: principal.storeID, in: store, doing: "published")
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let tomorrow = ServiceClock.day(day.today, plus: 1)
            let goLiveDay = max(tomorrow, campaign.startsOn)
            var check = FieldValidator()
            if campaign.endsOn < goLiveDay {
                check.fail("endsOn", "the campaign ends on \(campaign.endsOn), before it could go live on \(goLiveDay); change its period first")
            }
            if campaign.targets == .list, campaign.listedVehicles == 0 {
                check.fail("targets", "the campaign's list of cars is empty; import its VINs or plates first")
            }
            try check.throwIfInvalid()
            try await store.publish(
                id, at: day.now, by: principal.userID, goesLiveAt: day.start(of: goLiveDay),
                endsAt: day.start(of: ServiceClock.day(campaign.endsOn, plus: 1)))
            return try await store.campaign(id, store: principal.storeID)!
        }
    }

    @Sendable func statistics(_ request: Request, context: CRMRequestContext) async throws -> CampaignStatistics {
        let principal = try context.require(.readCampaigns)
        let id = try context.parameters.uuid("id")
        return try await campaigns { store, connection in
            guard try await store.campaign(id, store: principal.storeID) != nil else { throw ProblemDetails.notFound("campaign \(id)") }
            return try await CampaignTaskStore(connection: connection, logger: environment.logger).statistics(campaign: id)
        }
    }

    // MARK: Helpers

    /// The campaign, locked, if it is a draft of the store: 404 if not the store's, 409 if
    /// published already.
    @discardableResult
    private func requireDraft(_ id: UUID, store: UUID, in campaigns: CampaignStore, doing what: String) async throws -> CampaignView {
        guard let campaign = try await campaigns.campaign(id, store: store, forUpdate: true) else {
            throw ProblemDetails.notFound("campaign \(id)")
        }
        guard campaign.state == "draft" else {
            let states = try await environment.directory.dictionary(
                DataDictionaries.campaignState, store: store, on: campaigns.connection, logger: environment.logger)
            throw ProblemDetails.conflict(
                "campaign \(id) is \(states.label(campaign.state) ?? campaign.state) already; only a draft can be \(what)")
        }
        return campaign
    }

    /// The draft's fields checked against the store's dictionaries and SAs.
    private func checked(_ draft: CampaignDraft, store: UUID, on connection: PostgresConnection) async throws -> CampaignFields {
        let sets = try await environment.directory.dictionaries(
            [DataDictionaries.campaignKind, DataDictionaries.campaignContactMethod, DataDictionaries.gender,
             DataDictionaries.customerSource, DataDictionaries.customerClass, DataDictionaries.repairBusinessType],
            store: store, on: connection, logger: environment.logger)
        let fields = try draft.validated(CampaignDraft.Checks(
            kinds: sets[DataDictionaries.campaignKind], contactMethods: sets[DataDictionaries.campaignContactMethod],
            conditions: .init(
                genders: sets[DataDictionaries.gender], sources: sets[DataDictionaries.customerSource],
                classes: sets[DataDictionaries.customerClass], businessTypes: sets[DataDictionaries.repairBusinessType])))
        var check = FieldValidator()
        for (index, advisor) in fields.assigneeIds.enumerated()
        where try await environment.directory.activeUser(advisor, inStore: store, on: connection, logger: environment.logger) == nil {
            check.fail("assigneeIds[\(index)]", "is not an active user of the store")
        }
        try check.throwIfInvalid()
        return fields
    }
}
