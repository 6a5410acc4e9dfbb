import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// The store's words for a vehicle file's codes (G5): its people's gender (性别, `gender`) and
/// source (客户来源, `customerSource`, open), and the car's customer class (客户类别,
/// `customerClass`, closed — the CRM works it out, see `CustomerClass`).
struct VehicleDictionaries: Sendable {
    var genders: StoreDictionary
    var sources: StoreDictionary
    var classes: StoreDictionary

    /// The sets as `store` has them, read in the transaction `connection` is in.
    static func of(_ store: UUID, in environment: ServiceEnvironment, on connection: PostgresConnection) async throws -> Self {
        let sets = try await environment.directory.dictionaries(
            [DataDictionaries.gender, DataDictionaries.customerSource, DataDictionaries.customerClass],
            store: store, on: connection, logger: environment.logger)
        return Self(
            genders: sets[DataDictionaries.gender], sources: sets[DataDictionaries.customerSource],
            classes: sets[DataDictionaries.customerClass])
    }
}
