import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The data dictionaries (数据字典, G5) Prospects writes, reads and prints with. The API and the
/// database carry codes; a write is checked against the store's set (a disabled entry is refused,
/// a store's own source or defeat reason accepted), and exports and printouts show the store's
/// words for the codes.
///
/// | field | set |
/// |---|---|
/// | gender | `gender` |
/// | traffic `arrival` | `trafficArrival` |
/// | `category` | `prospectCategory` |
/// | `source` | `prospectSource` (open) |
/// | traffic `nature` | `trafficNature` |
/// | `level`, follow-up `levelBefore` | `prospectLevel` |
/// | prospect `state` | `prospectState` |
/// | `defeatReason`, settings' `defeatPoolReasons` | `defeatReason` (open) |
/// | follow-up `method`, `next.method` | `followUpMethod` |
/// | follow-up `contents` | `followUpContent` |
/// | follow-up `result` | `followUpResult` |
/// | follow-up `contact` | `followUpContact` |
/// | follow-up `next.content` | `nextFollowUpContent` |
/// | test drive `kind` | `testDriveKind` |
/// | test drive `state` | `testDriveState` |
struct ProspectDictionaries: Sendable {
    private var sets: [String: StoreDictionary]

    /// The sets of one store, as its administrator left them.
    static func load(
        _ sets: [DataDictionaries.Set], store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger
    ) async throws -> ProspectDictionaries {
        ProspectDictionaries(sets: try await directory.dictionaries(sets, store: store, on: connection, logger: logger))
    }

    /// The store's set; the built-in catalogue for a set that was not loaded.
    subscript(_ set: DataDictionaries.Set) -> StoreDictionary {
        sets[set.id] ?? StoreDictionary(set)
    }
}

/// The words an export prints for codes, each row in its own store's words: a group-wide export
/// has rows of several stores, and a label store 1 changed is never store 2's.
struct ExportLabels: Sendable {
    private var stores: [UUID: ProspectDictionaries]

    static func load(
        _ sets: [DataDictionaries.Set], stores: some Sequence<UUID>, directory: Directory, on connection: PostgresConnection, logger: Logger
    ) async throws -> ExportLabels {
        var loaded: [UUID: ProspectDictionaries] = [:]
        for store in Set(stores) {
            loaded[store] = try await ProspectDictionaries.load(sets, store: store, directory: directory, on: connection, logger: logger)
        }
        return ExportLabels(stores: loaded)
    }

    /// The same, in a transaction of its own: for an export whose rows were read already.
    static func load(_ sets: [DataDictionaries.Set], stores: some Sequence<UUID> & Sendable, environment: ServiceEnvironment) async throws -> ExportLabels {
        try await environment.database.withTransaction { connection in
            try await load(sets, stores: stores, directory: environment.directory, on: connection, logger: environment.logger)
        }
    }

    /// The store's word for a code, or the code itself for text the set does not know (free text
    /// written before the set existed).
    func label(_ set: DataDictionaries.Set, _ code: String?, store: UUID) -> String? {
        (stores[store]?[set] ?? StoreDictionary(set)).label(code)
    }

    /// The cell for a code: its label.
    func cell(_ set: DataDictionaries.Set, _ code: String?, store: UUID) -> ExportCell {
        ExportCell(label(set, code, store: store))
    }
}

extension FieldValidator {
    /// A code to filter a list by: any code of the store's set, a disabled one too (old records
    /// keep it). Otherwise the field fails with "must be one of: walk_in (自然到店), …".
    mutating func filterCode(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        guard dictionary.entries.contains(where: { $0.code == value }) else {
            fail(field, "must be one of: \(dictionary.entries.map { "\($0.code) (\($0.label))" }.joined(separator: ", "))")
            return nil
        }
        return value
    }
}
