import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// A price promotion as the marketing manager writes it (`POST /marketing/promotions`, and `PUT`
/// for the whole promotion again; M2, seed §9.2 降价促销: 车型, 厂商指导价, 优惠金额, 促销优惠价,
/// 优惠条件, 促销标题, 文章有效期, 内容). Amounts in yuan (the seed's form shows 万元; the API and
/// the database carry yuan, two decimals); days `yyyy-MM-dd` on the store's calendar.
struct PricePromotionDraft: Decodable, Sendable {
    var title: String
    var brand: String
    var series: String
    var model: String
    /// The maker's suggested retail price (厂商指导价), yuan.
    var listPrice: Decimal
    /// Yuan off the list price (优惠金额).
    var discount: Decimal
    /// The promotion price (促销优惠价) is derived — `listPrice − discount` — and never taken from
    /// the client: leave it out, or send the same amount; another amount is a 422 naming it.
    var promotionPrice: Decimal?
    /// Who qualifies and how (优惠条件): plain text.
    var conditions: String?
    /// The first and last day the promotion is shown, on the store's calendar (文章有效期).
    var validFrom: String
    var validUntil: String
    /// Rich text (HTML), sanitised like a news body.
    var content: String?
}

/// A checked promotion, ready to store.
struct PricePromotionFields: Sendable, Equatable {
    var title: String
    var brand: String
    var series: String
    var model: String
    var listPrice: Decimal
    var discount: Decimal
    var conditions: String?
    var validFrom: String
    var validUntil: String
    var content: String?

    /// No car on a dealer's floor lists above 100 million yuan.
    static let largestPrice: Decimal = 100_000_000
    static let longestContent = 100_000

    /// The price the promotion offers, yuan: the list price less the discount (M2).
    var promotionPrice: Decimal { listPrice - discount }

    /// Checks `draft`; one 422 names every bad field. The discount must leave a price above 0;
    /// a `promotionPrice` that is not `listPrice − discount` is refused, naming it.
    init(checking draft: PricePromotionDraft) throws {
        var check = FieldValidator()
        title = check.text("title", draft.title, maxLength: 100)
        brand = check.text("brand", draft.brand, maxLength: 50)
        series = check.text("series", draft.series, maxLength: 50)
        model = check.text("model", draft.model, maxLength: 100)
        listPrice = draft.listPrice
        check.money("listPrice", draft.listPrice, maximum: Self.largestPrice)
        check.require(draft.listPrice > 0, "listPrice", "must be more than 0 yuan")
        discount = draft.discount
        check.money("discount", draft.discount, maximum: Self.largestPrice)
        if draft.listPrice > 0, draft.discount >= draft.listPrice {
            check.fail("discount", "must be less than the list price (\(Money.printed(draft.listPrice)) yuan)")
        }
        if let sent = draft.promotionPrice, sent != draft.listPrice - draft.discount {
            check.fail(
                "promotionPrice",
                "is derived: listPrice − discount = \(Money.printed(draft.listPrice - draft.discount)) yuan, not \(Money.printed(sent)); leave it out")
        }
        conditions = check.optionalText("conditions", draft.conditions, maxLength: 1_000)
        validFrom = Self.day("validFrom", draft.validFrom, check: &check) ?? ""
        validUntil = Self.day("validUntil", draft.validUntil, check: &check) ?? ""
        if !validFrom.isEmpty, !validUntil.isEmpty {
            check.require(validUntil >= validFrom, "validUntil", "must not be before validFrom (\(validFrom))")
        }
        content = nil
        if let text = draft.content {
            if text.count > Self.longestContent {
                check.fail("content", "must be at most \(Self.longestContent) characters")
            } else {
                let clean = RichTextSanitizer.sanitize(text)
                content = clean.trimmed.isEmpty ? nil : clean
            }
        }
        try check.throwIfInvalid()
    }

    private static func day(_ field: String, _ text: String, check: inout FieldValidator) -> String? {
        guard let day = CalendarDate.parse(text.trimmed) else {
            check.fail(field, "must be a real day written yyyy-MM-dd")
            return nil
        }
        return day
    }
}

/// A promotion as staff see it (`/api/v1/marketing/promotions`).
struct PricePromotionView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var title: String
    var brand: String
    var series: String
    var model: String
    /// Yuan.
    var listPrice: Decimal
    var discount: Decimal
    /// `listPrice − discount`, yuan.
    var promotionPrice: Decimal
    var conditions: String?
    /// Store days, `yyyy-MM-dd`.
    var validFrom: String
    var validUntil: String
    /// Sanitised HTML.
    var content: String?
    /// `publicationState`: draft, published, withdrawn.
    var state: String
    /// Published, and today on the store's clock is from `validFrom` to `validUntil`: shown on the site now.
    var current: Bool
    var publishedAt: Date?
    var withdrawnAt: Date?
    var createdAt: Date
    var updatedAt: Date
}

/// A current promotion as the public list shows it.
struct PublicPricePromotion: Codable, Sendable {
    var id: UUID
    var title: String
    var brand: String
    var series: String
    var model: String
    var listPrice: Decimal
    var discount: Decimal
    var promotionPrice: Decimal
    var conditions: String?
    var validFrom: String
    var validUntil: String
    var content: String?
}
