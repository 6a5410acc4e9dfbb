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

/// Which of the store's prospects a list or an SMS audience takes (`GET /api/v1/marketing/customers`,
/// an SMS send to `customers`).
struct CustomerFilters {
    var level: String?
    var source: String?
    var state: String?
    var series: String?
    var consultantId: UUID?
    var text: String?

    /// The dictionaries the codes are checked against: 意向级别, 客户来源, 潜客状态.
    static let dictionarySets = [DataDictionaries.prospectLevel, DataDictionaries.prospectSource, DataDictionaries.prospectState]

    /// Filters whose level, source and state are codes of the store's dictionaries (`words`,
    /// read for `dictionarySets`): an unknown code fails `<fieldPrefix>level` (etc.) in `check`
    /// with every code and its label, and filters nothing.
    init(
        level: String?, source: String?, state: String?, series: String?, consultantId: UUID?, text: String?,
        words: StoreDictionaries, fieldPrefix: String = "", check: inout FieldValidator
    ) {
        self.level = check.filterCode(fieldPrefix + "level", level, in: words[DataDictionaries.prospectLevel])
        self.source = check.filterCode(fieldPrefix + "source", source, in: words[DataDictionaries.prospectSource])
        self.state = check.filterCode(fieldPrefix + "state", state, in: words[DataDictionaries.prospectState])
        self.series = series
        self.consultantId = consultantId
        self.text = text
    }
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
                CustomerFilters.dictionarySets, store: principal.storeID, on: connection, logger: environment.logger)
            var check = FieldValidator()
            let filters = CustomerFilters(
                level: level, source: source, state: state, series: series, consultantId: consultant, text: text,
                words: words, check: &check)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await CustomerStore(connection: connection, logger: environment.logger).list(
                store: principal.storeID, filters: filters, page: page)
        }
    }
}
