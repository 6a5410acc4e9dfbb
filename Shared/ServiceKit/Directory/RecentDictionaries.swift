import Contracts
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The dictionary sets (G5) this process read lately, for a path that checks a code on every
/// request of a rush: a redemption batch checks its order kinds (C4). Reading the sets there was
/// one of the batch's five round trips to PostgreSQL, on the critical path of every redemption
/// waiting for it (`./crm bench` (h), single rounds within the hour: 0.59 of pgbench's rate without the read,
/// 0.47–0.52 with it).
///
/// A copy older than `maxAge` is read again: a change the gateway announces is in force in every
/// replica at most `maxAge` after the replica recorded it (`identity.dictionary.changed.v1`, in
/// `directory_dictionary`). A store changes its words a few times a year; a code it disables
/// may be taken that much longer.
///
/// One instance per `Directory(schema:)`, shared by that value's copies. ServiceRunner makes the
/// process's directory and hands it to the routes (`ServiceEnvironment.directory`) and to the
/// event handlers (`EventContext.directory`).
public final class RecentDictionaries: Sendable {
    /// How old a copy may be before it is read again.
    public static let maxAge: Duration = .seconds(2)

    private struct Key: Hashable {
        var store: UUID
        var set: String
    }

    private struct Copy {
        var dictionary: StoreDictionary
        var readAt: ContinuousClock.Instant
    }

    private let copies = Mutex<[Key: Copy]>([:])

    init() {}

    /// The sets of each store, from copies younger than `maxAge`, else from `read` (called once,
    /// for all of them), then kept. `read` must answer for every store asked, as
    /// `Directory.dictionaries` does (the built-in catalogue for a store that never changed a set).
    /// - Throws: what `read` throws.
    func dictionaries(
        _ sets: [DataDictionaries.Set], stores: [UUID], read: () async throws -> DictionarySets
    ) async throws -> DictionarySets {
        let now = ContinuousClock.now
        if let kept = kept(sets, stores: stores, readAfter: now - Self.maxAge) { return kept }
        let fresh = try await read()
        copies.withLock { copies in
            if copies.count > 10_000 { copies.removeAll() }  // stores × sets: never near it, but bounded
            for store in stores {
                for set in sets {
                    let key = Key(store: store, set: set.id)
                    // Of two reads side by side, the one that started later stays.
                    if let kept = copies[key], kept.readAt > now { continue }
                    copies[key] = Copy(dictionary: fresh[store][set], readAt: now)
                }
            }
        }
        return fresh
    }

    /// Every asked set of every asked store from young enough copies, or nil if one is missing.
    private func kept(_ sets: [DataDictionaries.Set], stores: [UUID], readAfter oldest: ContinuousClock.Instant) -> DictionarySets? {
        copies.withLock { copies in
            var found: [UUID: StoreDictionaries] = [:]
            for store in stores {
                var storeSets: [String: StoreDictionary] = [:]
                for set in sets {
                    guard let copy = copies[Key(store: store, set: set.id)], copy.readAt >= oldest else { return nil }
                    storeSets[set.id] = copy.dictionary
                }
                found[store] = StoreDictionaries(storeSets)
            }
            return DictionarySets(found)
        }
    }
}

extension Directory {
    /// `dictionaries(_:stores:on:logger:)` as read at most `RecentDictionaries.maxAge` ago: for a
    /// code checked on every request of a rush, where a change may take that long to apply.
    /// - Throws: what the read throws, on a miss.
    public func recentDictionaries(
        _ sets: [DataDictionaries.Set], stores: some Sequence<UUID>, on connection: PostgresConnection, logger: Logger
    ) async throws -> DictionarySets {
        let stores = Array(Set(stores))
        return try await recent.dictionaries(sets, stores: stores) {
            try await dictionaries(sets, stores: stores, on: connection, logger: logger)
        }
    }
}

extension ServiceEnvironment {
    /// `Directory.recentDictionaries`, taking a connection of the pool only when a copy is too old.
    /// - Throws: what the read throws, on a miss.
    public func recentDictionaries(_ sets: [DataDictionaries.Set], stores: some Sequence<UUID>) async throws -> DictionarySets {
        let stores = Array(Set(stores))
        return try await directory.recent.dictionaries(sets, stores: stores) {
            try await dictionaries(sets, stores: stores)
        }
    }
}
