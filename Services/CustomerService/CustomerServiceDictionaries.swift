import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// One store's dictionary sets (G5) as CustomerService uses them: the store's words for codes
/// in exports, and the codes a new write may use.
struct StoreSets: Sendable {
    var sets: [String: StoreDictionary]

    /// The set as the store has it (the built-in catalogue when it never changed it).
    subscript(_ set: DataDictionaries.Set) -> StoreDictionary {
        sets[set.id] ?? StoreDictionary(set)
    }
}

/// The dictionary sets of every store a list's rows belong to: a group-wide list spans stores,
/// and each row shows its own store's words.
struct CustomerServiceDictionaries: Sendable {
    /// The sets CustomerService's fields use.
    static let used: [DataDictionaries.Set] = [
        DataDictionaries.complaintLevel, DataDictionaries.complaintSource, DataDictionaries.complaintState,
        DataDictionaries.complaintCategory, DataDictionaries.gender, DataDictionaries.visitResult, DataDictionaries.visitKind,
        DataDictionaries.visitTaskState, DataDictionaries.visitOrderType, DataDictionaries.repairBusinessType,
    ]

    private var stores: [UUID: StoreSets]

    /// The sets of `stores`, read in the transaction `connection` is in.
    static func load(stores: some Sequence<UUID>, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> Self {
        var loaded: [UUID: StoreSets] = [:]
        for store in Set(stores) {
            loaded[store] = StoreSets(sets: try await directory.dictionaries(used, store: store, on: connection, logger: logger))
        }
        return Self(stores: loaded)
    }

    /// One store's sets.
    static func load(store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> StoreSets {
        try await load(stores: [store], directory: directory, on: connection, logger: logger)[store]
    }

    subscript(_ store: UUID) -> StoreSets {
        stores[store] ?? StoreSets(sets: [:])
    }

    /// The word `store` has for `code` in `set`; old free text as written.
    func label(_ set: DataDictionaries.Set, _ code: String?, store: UUID) -> String? {
        self[store][set].label(code)
    }
}

extension FieldValidator {
    /// A code to filter a list by (G5): any code of the store's set, a disabled one too — old
    /// records keep theirs. Otherwise "must be one of: pending (待处理), …" and nil.
    mutating func filterCode(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        guard dictionary.entries.contains(where: { $0.code == value }) else {
            fail(field, "must be one of: " + dictionary.entries.map { "\($0.code) (\($0.label))" }.joined(separator: ", "))
            return nil
        }
        return value
    }

    /// A code of a closed set that a Swift enum of the service's rules mirrors: `requiredCode`,
    /// then the enum's value (nil, and the field failed, when either refuses it).
    mutating func requiredCode<Value: RawRepresentable>(_ field: String, _ value: String?, in dictionary: StoreDictionary, as type: Value.Type) -> Value? where Value.RawValue == String {
        guard let code = requiredCode(field, value, in: dictionary) else { return nil }
        guard let value = Value(rawValue: code) else {
            fail(field, "must be one of: \(dictionary.allowedText)")
            return nil
        }
        return value
    }
}
