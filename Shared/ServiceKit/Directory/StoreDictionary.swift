import Contracts
import Foundation
import Logging
import PostgresNIO

/// One dictionary set (G5) as a store has it: its words for codes, in its order, and which
/// entries it has disabled. Built from the gateway's `identity.dictionary.changed.v1`, or the
/// built-in catalogue for a store that never changed the set.
///
/// ```swift
/// let sources = try await directory.dictionary(.leadSource, store: storeID, on: connection, logger: logger)
/// sources.label("autohome")            // "汽车之家", or the store's own word
/// check.code("source", body.source, in: sources)   // 422 "must be one of: autohome (汽车之家), …"
/// ```
public struct StoreDictionary: Sendable, Equatable {
    public var set: String
    public var title: String
    public var entries: [IdentityDictionaryChanged.Entry]

    public init(_ set: DataDictionaries.Set, entries: [IdentityDictionaryChanged.Entry]? = nil) {
        self.set = set.id
        self.title = set.title
        self.entries = entries ?? set.entries.map { .init(code: $0.code, label: $0.label, enabled: true, builtIn: true) }
    }

    /// The store's word for a code; a code the set does not know (free text written before the
    /// set existed) is shown as it is.
    public func label(_ code: String?) -> String? {
        guard let code else { return nil }
        return entries.first { $0.code == code }?.label ?? code
    }

    /// The code a cell of an import names: a code (case-insensitive) or a label of the store's
    /// set, enabled or not (so that the check can say it is disabled), else a built-in label —
    /// a sheet filled in before the store relabelled the entry still reads.
    public func code(forCodeOrLabel text: String) -> String? {
        let text = text.trimmed
        if let entry = entries.first(where: { $0.code.caseInsensitiveCompare(text) == .orderedSame || $0.label == text }) {
            return entry.code
        }
        return DataDictionaries.set(set)?.entries.first { $0.label == text }?.code
    }

    /// The store's word with the code, as a 409 names a state: `已使用 (used)`.
    public func described(_ code: String) -> String {
        "\(label(code) ?? code) (\(code))"
    }

    /// Whether a new write may use the code.
    public func allows(_ code: String) -> Bool {
        entries.contains { $0.code == code && $0.enabled }
    }

    /// What a new write may use, as an error message lists it: `autohome (汽车之家), yiche (易车)`.
    public var allowedText: String {
        entries.filter(\.enabled).map { "\($0.code) (\($0.label))" }.joined(separator: ", ")
    }

    /// The message for a code a new write may not use.
    public func refusal(of code: String) -> String {
        if let entry = entries.first(where: { $0.code == code }), !entry.enabled {
            return "\(code) (\(entry.label)) is disabled in this store; must be one of: \(allowedText)"
        }
        return "must be one of: \(allowedText)"
    }
}

/// One store's dictionary sets, as loaded for a request: a set that was not loaded, or that the
/// store never changed, is the built-in catalogue's.
public struct StoreDictionaries: Sendable {
    var sets: [String: StoreDictionary]

    public init(_ sets: [String: StoreDictionary] = [:]) {
        self.sets = sets
    }

    /// The built-in catalogue, as a store that never changed a set has it.
    public static let builtIn = StoreDictionaries()

    public subscript(_ set: DataDictionaries.Set) -> StoreDictionary {
        sets[set.id] ?? StoreDictionary(set)
    }
}

/// The dictionary sets of every store a list's rows belong to: a group-wide export spans stores,
/// and each row prints its own store's words — a label store 1 changed is never store 2's.
///
/// ```swift
/// let words = try await directory.dictionaries([DataDictionaries.leadSource], stores: leads.map(\.storeId), on: connection, logger: logger)
/// ExportCell(words.label(DataDictionaries.leadSource, lead.source, store: lead.storeId))
/// ```
public struct DictionarySets: Sendable {
    var stores: [UUID: StoreDictionaries]

    public init(_ stores: [UUID: StoreDictionaries] = [:]) {
        self.stores = stores
    }

    /// A store's sets (the built-in catalogue for a store that was not loaded).
    public subscript(_ store: UUID) -> StoreDictionaries {
        stores[store] ?? .builtIn
    }

    /// The store's word for a code; old free text the set does not know as it was written.
    public func label(_ set: DataDictionaries.Set, _ code: String?, store: UUID) -> String? {
        self[store][set].label(code)
    }

    /// The export cell for a code: the store's word.
    public func cell(_ set: DataDictionaries.Set, _ code: String?, store: UUID) -> ExportCell {
        ExportCell(label(set, code, store: store))
    }
}

extension FieldValidator {
    /// A code to filter a list by (from `QueryReader.code`, exactly as sent): any code of the
    /// store's set, a disabled one too (old records keep theirs). Otherwise — white space
    /// included — the field fails with "must be one of: walk_in (自然到店), …", every code with
    /// its label, and nil is returned. Only nil or an empty value is no filter.
    @discardableResult
    public mutating func filterCode(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard dictionary.entries.contains(where: { $0.code == value }) else {
            fail(field, "must be one of: " + dictionary.entries.map { "\($0.code) (\($0.label))" }.joined(separator: ", "))
            return nil
        }
        return value
    }

    /// A code of a closed set that a Swift enum of the service's rules mirrors: `requiredCode`,
    /// then the enum's value (nil, and the field failed, when either refuses it).
    public mutating func requiredCode<Value: RawRepresentable>(
        _ field: String, _ value: String?, in dictionary: StoreDictionary, as type: Value.Type
    ) -> Value? where Value.RawValue == String {
        guard let code = requiredCode(field, value, in: dictionary) else { return nil }
        guard let value = Value(rawValue: code) else {
            fail(field, "must be one of: \(dictionary.allowedText)")
            return nil
        }
        return value
    }

    /// A code of a dictionary set that a new write may use: known to the store's set and
    /// enabled. Otherwise the field fails with "must be one of: autohome (汽车之家), …" — the store's
    /// enabled codes with their labels — and nil is returned. A nil or empty value is nil.
    @discardableResult
    public mutating func code(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        guard dictionary.allows(value) else {
            fail(field, dictionary.refusal(of: value))
            return nil
        }
        return value
    }

    /// A code that must be given: as `code(_:_:in:)`, and "is required" when nil or empty.
    public mutating func requiredCode(_ field: String, _ value: String?, in dictionary: StoreDictionary) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else {
            fail(field, "is required; one of: \(dictionary.allowedText)")
            return nil
        }
        return code(field, value, in: dictionary)
    }
}

extension Directory {
    static let dictionaryMigration = Migration(version: "000_servicekit_directory_dictionaries", sql: """
        -- Each store's dictionary sets (G5), as the gateway last announced them.
        CREATE TABLE directory_dictionary (
            store_id  uuid NOT NULL,
            set_name  text NOT NULL,
            entries   jsonb NOT NULL,
            version   bigint NOT NULL,
            PRIMARY KEY (store_id, set_name)
        );
        """)

    /// The set as the store has it: the gateway's last word, or the built-in catalogue.
    public func dictionary(_ set: DataDictionaries.Set, store: UUID, on connection: PostgresConnection, logger: Logger) async throws -> StoreDictionary {
        try await dictionaries([set], store: store, on: connection, logger: logger)[set]
    }

    /// Several sets of one store at once (a request's fields).
    public func dictionaries(_ sets: [DataDictionaries.Set], store: UUID, on connection: PostgresConnection, logger: Logger) async throws -> StoreDictionaries {
        try await dictionaries(sets, stores: [store], on: connection, logger: logger)[store]
    }

    /// Several sets of several stores at once, in one query (an export's columns over its rows' stores).
    public func dictionaries(
        _ sets: [DataDictionaries.Set], stores: some Sequence<UUID>, on connection: PostgresConnection, logger: Logger
    ) async throws -> DictionarySets {
        let stores = Array(Set(stores))
        var binds = PostgresBindings()
        binds.append(stores)
        binds.append(sets.map(\.id))
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT store_id, set_name, entries::text FROM \(schema.qualify("directory_dictionary"))
            WHERE store_id = ANY($1) AND set_name = ANY($2)
            """, binds: binds), logger: logger)
        var kept: [UUID: [String: StoreDictionary]] = [:]
        for try await (store, name, json) in rows.decode((UUID, String, String).self) {
            guard let set = DataDictionaries.set(name) else { continue }
            kept[store, default: [:]][name] = StoreDictionary(set, entries: try JSONDecoder().decode([IdentityDictionaryChanged.Entry].self, from: Data(json.utf8)))
        }
        return DictionarySets(Dictionary(uniqueKeysWithValues: stores.map { ($0, StoreDictionaries(kept[$0] ?? [:])) }))
    }

    /// Keeps what the event says; an older version than the one kept is ignored.
    func apply(_ dictionary: IdentityDictionaryChanged, on connection: PostgresConnection, logger: Logger) async throws {
        var binds = PostgresBindings()
        binds.append(dictionary.storeId)
        binds.append(dictionary.set)
        binds.append(String(decoding: try JSONEncoder().encode(dictionary.entries), as: UTF8.self))
        binds.append(dictionary.version)
        let table = schema.qualify("directory_dictionary")
        try await connection.query(PostgresQuery(unsafeSQL: """
            INSERT INTO \(table) (store_id, set_name, entries, version) VALUES ($1, $2, $3::jsonb, $4)
            ON CONFLICT (store_id, set_name) DO UPDATE SET entries = EXCLUDED.entries, version = EXCLUDED.version
            WHERE \(table).version < EXCLUDED.version
            """, binds: binds), logger: logger)
    }
}

extension ServiceEnvironment {
    /// Several sets of several stores, on a connection of their own: for an export whose rows
    /// were read already.
    public func dictionaries(_ sets: [DataDictionaries.Set], stores: some Sequence<UUID> & Sendable) async throws -> DictionarySets {
        try await database.withConnection { connection in
            try await directory.dictionaries(sets, stores: stores, on: connection, logger: logger)
        }
    }
}
