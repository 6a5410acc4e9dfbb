import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The filters of the renewal-task list and its export, read from the query string: state,
/// stage, assignee (or unassigned), the expiry's range of days, a VIN's ending, part of a plate.
struct RenewalFilter: Sendable {
    /// A code of the dictionary `renewalState`.
    var state: String?
    /// A code of the dictionary `renewalStage`.
    var stage: String?
    var assigneeId: UUID?
    /// true: only tasks nobody is assigned; false: only assigned ones.
    var assigned: Bool?
    /// The policy's last day on or after, `yyyy-MM-dd`.
    var expiryFrom: String?
    /// The policy's last day on or before, `yyyy-MM-dd`.
    var expiryTo: String?
    var vinEnding: String?
    var plate: String?

    init() {}

    /// The filters of the query string; a state or stage the store's dictionary does not know
    /// is a 422 listing the codes with their labels; a bad day names its parameter.
    init(_ request: Request, dictionaries: RenewalDictionaries) throws {
        var query = QueryReader(request)
        let state = query.code("state")
        let stage = query.code("stage")
        assigneeId = query.uuid("assigneeId")
        assigned = query.bool("assigned")
        let vin = query.string("vin", maxLength: 17)
        plate = query.string("plate", maxLength: 20).map(Plate.normalise)
        var check = FieldValidator()
        for name in ["expiryFrom", "expiryTo"] {
            guard let text = query.given(name) else { continue }
            if CalendarDate.parse(text) == nil {
                check.fail(name, "must be a date written yyyy-MM-dd, e.g. 2026-11-22")
            } else if name == "expiryFrom" {
                expiryFrom = text
            } else {
                expiryTo = text
            }
        }
        self.state = check.filterCode("state", state, in: dictionaries.states)
        self.stage = check.filterCode("stage", stage, in: dictionaries.stages)
        vinEnding = vin.map { check.vinSearch("vin", $0) }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    /// ` AND …` for every filter given; `t` is the task table, `v` the vehicle table.
    func apply(to sql: inout QueryBuilder) {
        if let state { sql.append(" AND t.state = ", bind: state) }
        if let stage { sql.append(" AND t.stage = ", bind: stage) }
        if let assigneeId { sql.append(" AND t.assignee_id = ", bind: assigneeId) }
        if let assigned { sql.append(assigned ? " AND t.assignee_id IS NOT NULL" : " AND t.assignee_id IS NULL") }
        if let expiryFrom {
            let day = sql.placeholder(for: expiryFrom)
            sql.append(" AND t.insurance_expiry >= \(day)::date")
        }
        if let expiryTo {
            let day = sql.placeholder(for: expiryTo)
            sql.append(" AND t.insurance_expiry <= \(day)::date")
        }
        if let vinEnding { sql.append(" AND t.vin LIKE ", bind: SearchText.endingWith(vinEnding)) }
        if let plate { sql.append(" AND v.plate LIKE ", bind: SearchText.containing(plate)) }
    }
}

/// The store's words for a renewal task's codes (G5): stages (`renewalStage`), states
/// (`renewalState`) and defeat reasons (`afterSalesDefeatReason`, open: the seed §8.3 gives one
/// list of defeat reasons for after-sales solicitation, and renewals use it too).
struct RenewalDictionaries: Sendable {
    var stages: StoreDictionary
    var states: StoreDictionary
    var defeatReasons: StoreDictionary

    /// The sets as `store` has them, read in the transaction `connection` is in.
    static func of(_ store: UUID, in environment: ServiceEnvironment, on connection: PostgresConnection) async throws -> Self {
        let sets = try await environment.directory.dictionaries(
            [DataDictionaries.renewalStage, DataDictionaries.renewalState, DataDictionaries.afterSalesDefeatReason],
            store: store, on: connection, logger: environment.logger)
        return Self(
            stages: sets[DataDictionaries.renewalStage], states: sets[DataDictionaries.renewalState],
            defeatReasons: sets[DataDictionaries.afterSalesDefeatReason])
    }
}
