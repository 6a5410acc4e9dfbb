import Contracts
import Foundation
import ServiceKit

/// Where a news article (M1) or a price promotion (M2) is — dictionary `publicationState`
/// (发布状态; seed §9.1, §9.2 发布状态):
///
/// - `draft` (草稿): written, not shown; the only state that may be deleted;
/// - `published` (已发布): shown on the customer-facing site (a promotion only on the days of
///   its validity);
/// - `withdrawn` (已撤回): taken off the site; may be published again.
///
/// Edits are allowed in every state: a published item shows the edit at once.
enum PublicationState: String, Codable, Sendable, CaseIterable {
    case draft
    case published
    case withdrawn

    /// Publishing takes a draft or a withdrawn item; a published one is published already.
    var canPublish: Bool { self != .published }

    /// Only what is published can be withdrawn.
    var canWithdraw: Bool { self == .published }

    /// Only a draft, which no customer ever saw, may be deleted.
    var canDelete: Bool { self == .draft }
}

extension PublicationState {
    /// The 409 for an item that is not in a state `action` takes: `新闻 … is 已发布 (published);
    /// only a draft (草稿) can be deleted`.
    static func refusal(_ what: String, is state: String, words: StoreDictionary, only allowed: String, can action: String) -> ProblemDetails {
        ProblemDetails.conflict("\(what) is \(words.described(state)); only \(allowed) can be \(action)")
    }
}
