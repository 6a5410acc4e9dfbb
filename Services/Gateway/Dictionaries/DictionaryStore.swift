import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The stores' dictionary sets (G5) in the gateway's schema: the catalogue's built-in entries
/// as each store has changed them, and the store's own entries of the open sets.
struct DictionaryStore {
    let connection: PostgresConnection
    let logger: Logger

    /// The set as the store has it, in the store's order: its kept entries, then any built-in
    /// entry added to the catalogue since the store last changed the set.
    func entries(of set: DataDictionaries.Set, store: UUID) async throws -> [IdentityDictionaryChanged.Entry] {
        try await entries(of: [set], store: store)[set.id] ?? []
    }

    /// The sets as the store has them (set id → entries, as `entries(of:store:)`), read with one
    /// statement: `GET /api/v1/dictionaries` lists every set.
    func entries(of sets: [DataDictionaries.Set], store: UUID) async throws -> [String: [IdentityDictionaryChanged.Entry]] {
        let rows = try await connection.query("""
            SELECT set_name, code, label, enabled, built_in FROM identity.dictionary_entry
            WHERE store_id = \(store) AND set_name = ANY(\(sets.map(\.id))) ORDER BY set_name, position, code
            """, logger: logger)
        var kept: [String: [IdentityDictionaryChanged.Entry]] = [:]
        for try await (set, code, label, enabled, builtIn) in rows.decode((String, String, String, Bool, Bool).self) {
            kept[set, default: []].append(.init(code: code, label: label, enabled: enabled, builtIn: builtIn))
        }
        var result: [String: [IdentityDictionaryChanged.Entry]] = [:]
        for set in sets {
            let entries = kept[set.id] ?? []
            let keptCodes = Set(entries.map(\.code))
            result[set.id] = entries + set.entries.filter { !keptCodes.contains($0.code) }
                .map { .init(code: $0.code, label: $0.label, enabled: true, builtIn: true) }
        }
        return result
    }

    /// Writes the whole set in the given order and returns the set's new version. The caller
    /// holds the set's row lock (`lockSet`) so that two administrators' changes apply one after
    /// the other.
    func replace(_ set: DataDictionaries.Set, store: UUID, with entries: [IdentityDictionaryChanged.Entry]) async throws -> Int64 {
        try await connection.query("""
            DELETE FROM identity.dictionary_entry WHERE store_id = \(store) AND set_name = \(set.id)
            """, logger: logger)
        for (position, entry) in entries.enumerated() {
            try await connection.query("""
                INSERT INTO identity.dictionary_entry (store_id, set_name, code, label, position, enabled, built_in)
                VALUES (\(store), \(set.id), \(entry.code), \(entry.label), \(position + 1), \(entry.enabled), \(entry.builtIn))
                """, logger: logger)
        }
        let rows = try await connection.query("""
            UPDATE identity.dictionary_set SET version = version + 1 WHERE store_id = \(store) AND set_name = \(set.id)
            RETURNING version
            """, logger: logger)
        for try await version in rows.decode(Int64.self) { return version }
        return 1
    }

    /// Takes the set's lock for the transaction, creating its version row at 0 the first time.
    func lockSet(_ set: DataDictionaries.Set, store: UUID) async throws {
        try await connection.query("""
            INSERT INTO identity.dictionary_set (store_id, set_name, version) VALUES (\(store), \(set.id), 0)
            ON CONFLICT (store_id, set_name) DO NOTHING
            """, logger: logger)
        try await connection.query("""
            SELECT version FROM identity.dictionary_set WHERE store_id = \(store) AND set_name = \(set.id) FOR UPDATE
            """, logger: logger)
    }
}
