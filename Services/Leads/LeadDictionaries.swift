import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The data dictionaries (数据字典, G5) a store's leads use, as the store has them: its words
/// for the codes leads carry, which the exports print, and which codes a new write may use.
///
/// The API and the database keep codes; exports print `label(_:)`; request bodies are checked
/// with `FieldValidator.code`, so that a bad value says "must be one of: autohome (汽车之家), …".
struct LeadDictionaries: Sendable {
    /// `leadSource` (线索来源), open: a store may add its own sources.
    var source: StoreDictionary
    /// `leadLevel` (线索级别): H, A, B, C, the levels the follow-up rules know.
    var level: StoreDictionary
    /// `leadState` (线索状态): only the service sets a state; exports print its label.
    var state: StoreDictionary
    /// `leadFollowUpChannel` (线索跟进方式).
    var channel: StoreDictionary
    /// `defeatReason` (战败原因), open; shared with Prospects' defeats.
    var defeatReason: StoreDictionary
    /// `gender` (性别).
    var gender: StoreDictionary

    static let sets: [DataDictionaries.Set] = [
        DataDictionaries.leadSource, DataDictionaries.leadLevel, DataDictionaries.leadState,
        DataDictionaries.leadFollowUpChannel, DataDictionaries.defeatReason, DataDictionaries.gender,
    ]

    init(_ dictionaries: StoreDictionaries) {
        source = dictionaries[DataDictionaries.leadSource]
        level = dictionaries[DataDictionaries.leadLevel]
        state = dictionaries[DataDictionaries.leadState]
        channel = dictionaries[DataDictionaries.leadFollowUpChannel]
        defeatReason = dictionaries[DataDictionaries.defeatReason]
        gender = dictionaries[DataDictionaries.gender]
    }

    /// The built-in catalogue, as a store that never changed a set has it.
    static let builtIn = LeadDictionaries(.builtIn)

    /// The store's sets, from the service's copy of the gateway's announcements.
    static func load(store: UUID, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> LeadDictionaries {
        LeadDictionaries(try await directory.dictionaries(sets, store: store, on: connection, logger: logger))
    }

    /// Each store's sets, for an export whose rows may come from several stores (group scope):
    /// every row prints its own store's words.
    static func load(stores: some Sequence<UUID>, directory: Directory, on connection: PostgresConnection, logger: Logger) async throws -> [UUID: LeadDictionaries] {
        let sets = try await directory.dictionaries(sets, stores: stores, on: connection, logger: logger)
        return Dictionary(Set(stores).map { ($0, LeadDictionaries(sets[$0])) }, uniquingKeysWith: { first, _ in first })
    }

    /// The source a sheet cell or a platform names: a code or label of the store's set (enabled
    /// or not, so that the check can say it is disabled) or a built-in label (a file filled in
    /// before the store relabelled it), else a word staff also write for one (易车网, 网站, 其它).
    func sourceCode(named text: String) -> String? {
        source.code(forCodeOrLabel: text) ?? Self.sourceSynonyms[text.trimmed]
    }

    static let sourceSynonyms = ["易车网": "yiche", "网站": "website", "其它": "other"]

    /// The source code of a platform's lead (`platform.lead.received.v1`): built-in codes all.
    static func sourceCode(platform: LeadPlatform) -> String {
        switch platform {
        case .autohome: return "autohome"
        case .yiche: return "yiche"
        case .dongchedi: return "dongchedi"
        case .other: return "other"
        }
    }
}
