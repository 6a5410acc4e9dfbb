import Foundation
import Hummingbird
import ServiceKit

/// The filters of the campaign-task list (招揽任务): one campaign's tasks, a state, an SA's
/// tasks (`mine=true` for the caller's own), the ones due by a day, a car by plate.
struct CampaignTaskFilter: Sendable {
    var campaign: UUID?
    /// A code of `campaignTaskState`.
    var state: String?
    var serviceAdvisor: UUID?
    /// Tasks nobody is assigned to.
    var unassigned = false
    /// Open tasks whose next follow-up is due on or before this store day (`yyyy-MM-dd`).
    var dueBy: String?
    /// Part of a plate, normalised.
    var plate: String?

    /// The filters of the query string; a 422 names every bad one.
    init(_ request: Request, caller: UUID, states: StoreDictionary) throws {
        var query = QueryReader(request)
        campaign = query.uuid("campaignId")
        let state = query.code("state")
        serviceAdvisor = query.uuid("serviceAdvisorId")
        if query.bool("mine") == true { serviceAdvisor = caller }
        unassigned = query.bool("unassigned") ?? false
        let dueBy = query.string("dueBy", maxLength: 10)
        plate = query.string("plate", maxLength: 20).map(Plate.normalise)
        var check = FieldValidator()
        self.state = check.filterCode("state", state, in: states)
        self.dueBy = check.optionalDate("dueBy", dueBy)
        if unassigned, serviceAdvisor != nil { check.fail("unassigned", "cannot be combined with serviceAdvisorId or mine") }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    /// ` AND …` for every filter given; `t` is the task, `v` its vehicle.
    func apply(to sql: inout QueryBuilder) {
        if let campaign { sql.append(" AND t.campaign_id = ", bind: campaign) }
        if let state { sql.append(" AND t.state = ", bind: state) }
        if let serviceAdvisor { sql.append(" AND t.service_advisor_id = ", bind: serviceAdvisor) }
        if unassigned { sql.append(" AND t.service_advisor_id IS NULL") }
        if let dueBy { sql.append(" AND t.state = 'open' AND t.next_follow_up_on <= ", bind: dueBy); sql.append("::date") }
        if let plate { sql.append(" AND v.plate LIKE ", bind: SearchText.containing(plate)) }
    }
}
