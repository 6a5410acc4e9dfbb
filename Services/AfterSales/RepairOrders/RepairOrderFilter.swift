import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The filters of the repair-order list, read from the query string; the repair history of a
/// car is the same list filtered by its exact VIN.
struct RepairOrderFilter: Sendable {
    /// The whole number, exactly (case does not matter).
    var roNo: String?
    /// The exact VIN (the repair history of one car).
    var vin: String?
    /// A whole VIN or its last characters (车架号后六位).
    var vinEnding: String?
    /// Part of a plate, normalised.
    var plate: String?
    /// The mobile of the customer or of whoever brought the car in.
    var mobile: String?
    /// A code of the dictionary `repairOrderState`.
    var state: String?
    /// A code of the dictionary `repairBusinessType`.
    var businessType: String?
    /// Opened at or after.
    var from: Date?
    /// Opened before.
    var to: Date?

    /// No filter: every order of the store.
    init() {}

    /// The filters of the query string; a state or business type the store's dictionary does
    /// not know is a 422 listing the codes with their labels.
    init(_ request: Request, dictionaries: RepairOrderDictionaries) throws {
        var query = QueryReader(request)
        roNo = query.string("roNo", maxLength: 32)?.uppercased()
        let vin = query.string("vin", maxLength: 17)
        plate = query.string("plate", maxLength: 20).map(Plate.normalise)
        mobile = query.mobile("mobile")
        let state = query.code("state")
        let businessType = query.code("businessType")
        from = query.date("from")
        to = query.date("to")
        var check = FieldValidator()
        self.state = check.filterCode("state", state, in: dictionaries.states)
        self.businessType = check.filterCode("businessType", businessType, in: dictionaries.businessTypes)
        vinEnding = vin.map { check.vinSearch("vin", $0) }
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    /// ` AND …` for every filter given; `r` is the repair-order table.
    func apply(to sql: inout QueryBuilder) {
        if let roNo { sql.append(" AND upper(r.ro_no) = ", bind: roNo) }
        if let vin { sql.append(" AND r.vin = ", bind: vin) }
        if let vinEnding { sql.append(" AND r.vin LIKE ", bind: SearchText.endingWith(vinEnding)) }
        if let plate { sql.append(" AND r.plate LIKE ", bind: SearchText.containing(plate)) }
        if let mobile {
            let value = sql.placeholder(for: mobile)
            sql.append(" AND (r.customer_mobile = \(value) OR r.sender_mobile = \(value))")
        }
        if let state { sql.append(" AND r.state = ", bind: state) }
        if let businessType { sql.append(" AND r.business_type = ", bind: businessType) }
        if let from { sql.append(" AND r.opened_at >= ", bind: from) }
        if let to { sql.append(" AND r.opened_at < ", bind: to) }
    }
}

/// The store's words for a repair order's codes (G5): business types (业务类型) and states.
struct RepairOrderDictionaries: Sendable {
    var businessTypes: StoreDictionary
    var states: StoreDictionary

    /// The sets as `store` has them, read in the transaction `connection` is in.
    static func of(_ store: UUID, in environment: ServiceEnvironment, on connection: PostgresConnection) async throws -> Self {
        let sets = try await environment.directory.dictionaries(
            [DataDictionaries.repairBusinessType, DataDictionaries.repairOrderState], store: store, on: connection, logger: environment.logger)
        return Self(
            businessTypes: sets[DataDictionaries.repairBusinessType], states: sets[DataDictionaries.repairOrderState])
    }
}
