import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The dictionary sets (G5) CustomerService's fields use: the store's words for codes in
/// exports, and the codes a new write may use.
enum CustomerServiceDictionaries {
    static let used: [DataDictionaries.Set] = [
        DataDictionaries.complaintLevel, DataDictionaries.complaintSource, DataDictionaries.complaintState,
        DataDictionaries.complaintCategory, DataDictionaries.gender, DataDictionaries.visitResult, DataDictionaries.visitKind,
        DataDictionaries.visitTaskState, DataDictionaries.visitOrderType, DataDictionaries.repairBusinessType,
    ]

    /// The sets of `stores` (a group-wide list's rows), read in the transaction `connection` is in.
    static func load(stores: some Sequence<UUID>, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> DictionarySets {
        try await directory.dictionaries(used, stores: stores, on: connection, logger: logger)
    }

    /// One store's sets.
    static func load(store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> StoreDictionaries {
        try await directory.dictionaries(used, store: store, on: connection, logger: logger)
    }
}
