import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A news article as the marketing manager writes it (`POST /marketing/news`, and `PUT` for
/// the whole article again; M1, seed §9.1 新闻资讯). The cover image is uploaded on its own
/// (`PUT /marketing/news/{id}/cover`).
struct NewsArticleDraft: Decodable, Sendable {
    /// `newsCategory`: store_news 门店动态, new_model 新车上市, car_care 用车养车, industry 行业资讯,
    /// event_review 活动回顾.
    var category: String?
    var title: String
    /// A line or two for the list (摘要), plain text.
    var summary: String?
    /// Rich text (HTML). Stored sanitised: only the allow-listed elements and attributes of
    /// `RichTextSanitizer` are kept.
    var body: String
    /// Where the article stands in lists: lower first; equal ones newest first. 0 by default.
    var displayOrder: Int?
}

/// A checked article, ready to store; `body` is sanitised.
struct NewsArticleFields: Sendable, Equatable {
    var category: String
    var title: String
    var summary: String?
    var body: String
    var displayOrder: Int

    /// The most characters of HTML a body may have as sent (a long article with tables is
    /// some tens of thousands).
    static let longestBody = 200_000

    /// Checks `draft` against the store's `newsCategory`; one 422 names every bad field. The
    /// body is sanitised (M1: no script, no event handler, no `javascript:` URL survives); a
    /// body with no text or image left is refused.
    init(checking draft: NewsArticleDraft, categories: StoreDictionary) throws {
        var check = FieldValidator()
        category = check.requiredCode("category", draft.category, in: categories) ?? ""
        title = check.text("title", draft.title, maxLength: 100)
        summary = check.optionalText("summary", draft.summary, maxLength: 500)
        body = ""
        if draft.body.count > Self.longestBody {
            check.fail("body", "must be at most \(Self.longestBody) characters")
        } else {
            body = RichTextSanitizer.sanitize(draft.body)
            check.require(Self.hasContent(body), "body", "must have some text or an image (after removing what is not allowed)")
        }
        displayOrder = draft.displayOrder ?? 0
        check.range("displayOrder", displayOrder, -1_000_000...1_000_000)
        try check.throwIfInvalid()
    }

    /// Whether sanitised HTML has something to read: text beyond white space, or an image.
    static func hasContent(_ html: String) -> Bool {
        html.contains("<img ") || !html.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression).trimmed.isEmpty
    }
}

/// An article as staff see it (`/api/v1/marketing/news`).
struct NewsArticleView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var category: String
    var title: String
    var summary: String?
    /// Sanitised HTML.
    var body: String
    var displayOrder: Int
    /// `publicationState`: draft, published, withdrawn.
    var state: String
    /// Whether a cover image is on file (`GET /api/v1/marketing/news/{id}/cover`).
    var hasCover: Bool
    /// When it was last published and withdrawn (UTC).
    var publishedAt: Date?
    var withdrawnAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// An article in the public list (no body): what the customer-facing site shows.
struct PublicNewsSummary: Codable, Sendable {
    var id: UUID
    var category: String
    /// The store's word for the category.
    var categoryLabel: String
    var title: String
    var summary: String?
    /// `/api/v1/public/marketing/news/{id}/cover`, when the article has a cover.
    var coverPath: String?
    var publishedAt: Date
}

/// One published article with its body, as the public page shows it.
struct PublicNewsArticle: Codable, Sendable {
    var id: UUID
    var category: String
    var categoryLabel: String
    var title: String
    var summary: String?
    /// Sanitised HTML.
    var body: String
    var coverPath: String?
    var publishedAt: Date
}

extension NewsArticleView {
    /// Where a published article's cover is served without a token.
    static func publicCoverPath(_ id: UUID) -> String {
        "/api/v1/public/marketing/news/\(id.uuidString)/cover"
    }
}
