import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A prospect as Marketing knows it (from `prospects.prospect.changed.v1`).
struct MarketingCustomer: Codable, Sendable {
    var prospectId: UUID
    var name: String
    var mobile: String
    /// Codes of the store's `prospectSource`, `prospectLevel`, `prospectState`.
    var source: String
    var level: String
    var brand: String?
    var series: String?
    var model: String?
    var state: String
    /// The consultant who follows the prospect up in Prospects, if any.
    var consultantId: UUID?
}

struct CustomerFilters {
    var level: String?
    var source: String?
    var state: String?
    var series: String?
    var consultantId: UUID?
    var text: String?
}

/// `GET /api/v1/marketing/customers` (邀约任务创建, M3): the store's prospects, for the marketing
/// manager to pick whom to invite to an event — filtered by `level`, `source`, `state` (codes of
/// the store's dictionaries), `series`, `consultantId` and `q` (text in the name or mobile).
/// Takes `marketing.events.manage`.
struct CustomerRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/customers", use: list)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<MarketingCustomer> {
        let principal = try context.require(.manageMarketingEvents)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let level = query.code("level"), source = query.code("source"), state = query.code("state")
        let series = query.string("series", maxLength: 40), consultant = query.uuid("consultantId"), text = query.string("q", maxLength: 30)
        return try await environment.database.withTransaction { connection in
            let words = try await environment.directory.dictionaries(
                [DataDictionaries.prospectLevel, DataDictionaries.prospectSource, DataDictionaries.prospectState],
                store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let filters = CustomerFilters(
                level: check.filterCode("level", level, in: words[DataDictionaries.prospectLevel]),
                source: check.filterCode("source", source, in: words[DataDictionaries.prospectSource]),
                state: check.filterCode("state", state, in: words[DataDictionaries.prospectState]),
                series: series, consultantId: consultant, text: text)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await CustomerStore(connection: connection, logger: environment.logger).list(
                store: principal.storeID, filters: filters, page: page)
        }
    }
}
