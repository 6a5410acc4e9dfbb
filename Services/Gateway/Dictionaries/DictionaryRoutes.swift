import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The data dictionaries (数据字典, G5).
///
/// `GET /api/v1/dictionaries` (every set) and `GET /api/v1/dictionaries/{set}` give frontends
/// the caller's store's words for every code, in the store's order, disabled entries included
/// and marked. `PUT /api/v1/identity/dictionaries/{set}/entries/{code}` lets an administrator
/// (`identity.admin`) relabel, reorder, disable or enable an entry of a store of their group, or
/// add one to an open set (sources, defeat reasons, complaint categories). Every change is
/// announced as `identity.dictionary.changed.v1` in its transaction, so each service shows the
/// new label in that store's exports at once and never in another store's.
struct DictionaryRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("dictionaries", use: list)
        group.get("dictionaries/:set", use: get)
        group.put("identity/dictionaries/:set/entries/:code", use: change)
    }

    /// A set as a store has it.
    struct SetView: Codable, Sendable, ResponseEncodable {
        var set: String
        /// The set's name as staff say it, e.g. 线索来源.
        var title: String
        /// Whether the store may add entries of its own.
        var open: Bool
        var entries: [IdentityDictionaryChanged.Entry]
    }

    struct EntryChange: Decodable {
        /// The store whose set changes; the caller's current store when left out.
        var storeId: UUID?
        var label: String?
        var enabled: Bool?
        /// The entry's place in the list, from 1.
        var position: Int?
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<SetView> {
        let principal = try context.requirePrincipal()
        let views = try await environment.database.withConnection { connection in
            let entries = try await DictionaryStore(connection: connection, logger: environment.logger)
                .entries(of: DataDictionaries.all, store: principal.storeID)
            return DataDictionaries.all.map { set in
                SetView(set: set.id, title: set.title, open: set.isOpen, entries: entries[set.id] ?? [])
            }
        }
        return Page.all(views)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> SetView {
        let principal = try context.requirePrincipal()
        let set = try Self.set(named: context.parameters.require("set"))
        let entries = try await environment.database.withConnection { connection in
            try await DictionaryStore(connection: connection, logger: environment.logger).entries(of: set, store: principal.storeID)
        }
        return SetView(set: set.id, title: set.title, open: set.isOpen, entries: entries)
    }

    @Sendable func change(_ request: Request, context: CRMRequestContext) async throws -> SetView {
        let principal = try context.require(.administerIdentity)
        // The body first: a body that is not JSON is a 400 whatever the path names.
        let body = try await request.decodeJSON(as: EntryChange.self, context: context)
        let set = try Self.set(named: context.parameters.require("set"))
        let code = try context.parameters.require("code")
        var check = FieldValidator()
        let label = check.optionalText("label", body.label, maxLength: 50)
        if let position = body.position { check.range("position", position, 1...500) }
        let storeID = body.storeId ?? principal.storeID
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let admin = AdminStore(connection: connection, logger: environment.logger, now: environment.configuration.clock.now())
            guard try await admin.store(storeID, group: principal.groupID) != nil else {
                throw ProblemDetails.validation([.init(field: "storeId", message: "is not a store of your group")])
            }
            let dictionaries = DictionaryStore(connection: connection, logger: environment.logger)
            try await dictionaries.lockSet(set, store: storeID)
            var entries = try await dictionaries.entries(of: set, store: storeID)
            var entry: IdentityDictionaryChanged.Entry
            if let index = entries.firstIndex(where: { $0.code == code }) {
                entry = entries.remove(at: index)
                if let label { entry.label = label }
                if let enabled = body.enabled { entry.enabled = enabled }
                if body.position == nil { entries.insert(entry, at: index) }
            } else {
                var check = FieldValidator()
                check.require(set.isOpen, "code", "is not a code of \(set.title) (\(set.id)), whose codes are fixed: \(Self.allowed(set))")
                check.require(code.range(of: "^[a-z][a-z0-9_]{1,49}$", options: .regularExpression) != nil, "code",
                              "must be 2 to 50 lower-case letters, digits and underscores, starting with a letter")
                check.require(label != nil, "label", "is required for a new entry")
                try check.throwIfInvalid()
                entry = .init(code: code, label: label!, enabled: body.enabled ?? true, builtIn: false)
                if body.position == nil { entries.append(entry) }
            }
            if let position = body.position { entries.insert(entry, at: min(position - 1, entries.count)) }
            let version = try await dictionaries.replace(set, store: storeID, with: entries)
            let changed = IdentityDictionaryChanged(storeId: storeID, set: set.id, entries: entries, version: version)
            try await environment.outbox.append(
                CloudEvent(source: IdentityAnnouncer.source, subject: storeID.uuidString.lowercased(), data: changed, storeid: storeID.uuidString.lowercased()),
                on: connection, logger: environment.logger)
            return SetView(set: set.id, title: set.title, open: set.isOpen, entries: entries)
        }
    }

    /// The catalogue's set, or a 404 listing the sets there are.
    static func set(named name: String) throws -> DataDictionaries.Set {
        guard let set = DataDictionaries.set(name) else {
            throw ProblemDetails(
                status: .notFound, type: "https://dealer-crm.dev/problems/not-found", title: "Not found",
                detail: "there is no dictionary \(name); the dictionaries are \(DataDictionaries.all.map(\.id).joined(separator: ", "))")
        }
        return set
    }

    static func allowed(_ set: DataDictionaries.Set) -> String {
        set.entries.map { "\($0.code) (\($0.label))" }.joined(separator: ", ")
    }
}
