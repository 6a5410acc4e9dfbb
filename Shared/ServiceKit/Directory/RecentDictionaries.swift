import Contracts
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The dictionary sets (G5) this process read lately, for a path that checks a code on every
/// request of a rush: a redemption batch checks its order kinds (C4). Reading the sets there was
/// one of the batch's five round trips to PostgreSQL, on the critical path of every redemption
/// waiting for it (`./crm bench` (h): about a fifth more redemptions a second without it).
///
/// A copy older than `maxAge` is read again, so a change the gateway announces is in force in
/// every replica within `maxAge` of the replica applying it. A store changes its words a few
/// times a year; a code it disables may be taken for two more seconds.
///
/// One instance per `Directory` value and its copies (it is a class), so a process keeps one.
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

    /// The sets of each store, from copies younger than `maxAge`, else read (all of them, in one
    /// query on `connection`) and kept. A store that never changed a set has the built-in
    /// catalogue, as in `Directory.dictionaries`.
    /// - Throws: what the read throws.
    func dictionaries(
        _ sets: [DataDictionaries.Set], stores: [UUID], directory: Directory, on connection: PostgresConnection, logger: Logger
    ) async throws -> DictionarySets {
        let now = ContinuousClock.now
        if let kept = kept(sets, stores: stores, readAfter: now - Self.maxAge) { return kept }
        let read = try await directory.dictionaries(sets, stores: stores, on: connection, logger: logger)
        copies.withLock { copies in
            if copies.count > 10_000 { copies.removeAll() }  // stores × sets: never near it, but bounded
            for store in stores {
                for set in sets { copies[Key(store: store, set: set.id)] = Copy(dictionary: read[store][set], readAt: now) }
            }
        }
        return read
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
    public func recentDictionaries(
        _ sets: [DataDictionaries.Set], stores: some Sequence<UUID>, on connection: PostgresConnection, logger: Logger
    ) async throws -> DictionarySets {
        try await recent.dictionaries(sets, stores: Array(Set(stores)), directory: self, on: connection, logger: logger)
    }
}
