import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// How long coupons of a definition are valid (`couponValidity`, C1).
enum CouponValidity: String, Codable, Sendable {
    /// From `validFrom` to `validUntil`, whenever issued.
    case fixed
    /// `validDays` days counting the day of issue: issued on 1 December with 30 days, the last
    /// day is 30 December.
    case daysFromIssue = "days_from_issue"
}

/// Where coupons of a definition may be redeemed (`couponUsableIn`, C1).
enum CouponUsableIn: String, Codable, Sendable {
    /// The issuing store only.
    case store
    /// Every store of the issuing store's group.
    case group
}

/// A definition as the finance director writes it (`POST /coupons/definitions`, and `PUT` for
/// the whole definition again). Yuan amounts; days `yyyy-MM-dd` on the store's calendar.
struct CouponDefinitionDraft: Decodable, Sendable {
    var name: String
    /// `couponKind`: general 全部券, item 项目券, package 套餐券, cash 现金券, points 积分券.
    var kind: String?
    /// Yuan off, two decimals; or `covers`, the items or package the coupon pays for.
    var faceValue: Decimal?
    var covers: String?
    /// The least order amount the coupon may be used on, in yuan.
    var minimumSpend: Decimal?
    /// The most coupons that may ever be issued from this definition.
    var quantity: Int
    /// The most coupons of this definition one customer (mobile) may hold.
    var perCustomerLimit: Int?
    var validity: String?
    var validFrom: String?
    var validUntil: String?
    var validDays: Int?
    var usableIn: String?
    var description: String
}

/// A checked definition, ready to store.
struct CouponDefinitionFields: Sendable, Equatable {
    var name: String
    var kind: String
    var faceValue: Decimal?
    var covers: String?
    var minimumSpend: Decimal?
    var quantity: Int
    var perCustomerLimit: Int
    var validity: CouponValidity
    var validFrom: String?
    var validUntil: String?
    var validDays: Int?
    var usableIn: CouponUsableIn
    var description: String

    static let largestQuantity = 1_000_000
    static let longestValidity = 3_660

    /// Checks `draft` against the store's dictionaries; one 422 names every bad field.
    init(checking draft: CouponDefinitionDraft, dictionaries: StoreDictionaries) throws {
        var check = FieldValidator()
        name = check.text("name", draft.name, maxLength: 60)
        kind = check.requiredCode("kind", draft.kind, in: dictionaries[DataDictionaries.couponKind]) ?? ""
        faceValue = draft.faceValue
        if let faceValue = draft.faceValue {
            check.money("faceValue", faceValue, maximum: 1_000_000)
            check.require(faceValue > 0, "faceValue", "must be more than 0 yuan")
        }
        covers = check.optionalText("covers", draft.covers, maxLength: 500)
        if faceValue == nil, covers == nil {
            check.fail("faceValue", "give the face value in yuan, or in covers the items or package the coupon pays for")
        }
        minimumSpend = draft.minimumSpend
        if let minimumSpend = draft.minimumSpend { check.money("minimumSpend", minimumSpend) }
        quantity = draft.quantity
        check.range("quantity", draft.quantity, 1...Self.largestQuantity)
        perCustomerLimit = draft.perCustomerLimit ?? 1
        check.range("perCustomerLimit", perCustomerLimit, 1...1_000)
        let validity = check.requiredCode(
            "validity", draft.validity, in: dictionaries[DataDictionaries.couponValidity], as: CouponValidity.self)
        self.validity = validity ?? .fixed
        switch validity {
        case .fixed:
            validFrom = Self.day("validFrom", draft.validFrom, check: &check)
            validUntil = Self.day("validUntil", draft.validUntil, check: &check)
            if let from = validFrom, let until = validUntil {
                check.require(until >= from, "validUntil", "must not be before validFrom (\(from))")
            }
            check.require(draft.validDays == nil, "validDays", "is only for validity days_from_issue")
        case .daysFromIssue:
            validDays = draft.validDays
            if let days = draft.validDays {
                check.range("validDays", days, 1...Self.longestValidity)
            } else {
                check.fail("validDays", "is required: how many days a coupon is valid, counting the day of issue")
            }
            check.require(draft.validFrom == nil && draft.validUntil == nil, "validFrom", "is only for validity fixed")
        case nil:
            break
        }
        usableIn = check.requiredCode(
            "usableIn", draft.usableIn, in: dictionaries[DataDictionaries.couponUsableIn], as: CouponUsableIn.self) ?? .store
        description = check.text("description", draft.description, maxLength: 2_000)
        try check.throwIfInvalid()
    }

    private static func day(_ field: String, _ text: String?, check: inout FieldValidator) -> String? {
        guard let text, !text.isEmpty else {
            check.fail(field, "is required for validity fixed, as yyyy-MM-dd")
            return nil
        }
        guard let day = CalendarDate.parse(text) else {
            check.fail(field, "must be a real day written yyyy-MM-dd")
            return nil
        }
        return day
    }

    /// The fields a definition keeps once coupons have been issued from it: only the name,
    /// the description and the quantity may change then (the issued coupons carry the rest).
    func changesBeyondNameDescriptionAndQuantity(from current: CouponDefinitionFields) -> [String] {
        var changed: [String] = []
        if kind != current.kind { changed.append("kind") }
        if faceValue != current.faceValue { changed.append("faceValue") }
        if covers != current.covers { changed.append("covers") }
        if minimumSpend != current.minimumSpend { changed.append("minimumSpend") }
        if perCustomerLimit != current.perCustomerLimit { changed.append("perCustomerLimit") }
        if validity != current.validity || validFrom != current.validFrom || validUntil != current.validUntil
            || validDays != current.validDays { changed.append("validity") }
        if usableIn != current.usableIn { changed.append("usableIn") }
        return changed
    }
}

/// How many coupons of a definition are where (C1). `available` = quantity − issued: a revoked
/// coupon was issued and stays counted, so revoking never makes room for more (see
/// `/openapi.yaml`, CouponDefinition). `unused` excludes the expired.
struct CouponCounts: Codable, Sendable, Equatable {
    var issued: Int
    var available: Int
    var unused: Int
    var used: Int
    var expired: Int
    var revoked: Int
    var revocationPending: Int
}

/// A definition as the API shows it.
struct CouponDefinitionView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// The number staff quote: `M` + the store's day + a sequence (`M2612010001`).
    var number: String
    var storeId: UUID
    /// The group of the defining store: where a group-wide coupon may be used.
    var groupId: UUID
    var name: String
    var kind: String
    var faceValue: Decimal?
    var covers: String?
    var minimumSpend: Decimal?
    var quantity: Int
    var perCustomerLimit: Int
    var validity: String
    var validFrom: String?
    var validUntil: String?
    var validDays: Int?
    var usableIn: String
    var description: String
    /// A disabled definition issues nothing; its issued coupons stay usable until they expire.
    var enabled: Bool
    var counts: CouponCounts
    var createdAt: Date
    var updatedAt: Date

    var fields: CouponDefinitionFields {
        CouponDefinitionFields(
            name: name, kind: kind, faceValue: faceValue, covers: covers, minimumSpend: minimumSpend, quantity: quantity,
            perCustomerLimit: perCustomerLimit, validity: CouponValidity(rawValue: validity) ?? .fixed, validFrom: validFrom,
            validUntil: validUntil, validDays: validDays, usableIn: CouponUsableIn(rawValue: usableIn) ?? .store,
            description: description)
    }
}

extension CouponDefinitionFields {
    init(name: String, kind: String, faceValue: Decimal?, covers: String?, minimumSpend: Decimal?, quantity: Int,
         perCustomerLimit: Int, validity: CouponValidity, validFrom: String?, validUntil: String?, validDays: Int?,
         usableIn: CouponUsableIn, description: String) {
        self.name = name
        self.kind = kind
        self.faceValue = faceValue
        self.covers = covers
        self.minimumSpend = minimumSpend
        self.quantity = quantity
        self.perCustomerLimit = perCustomerLimit
        self.validity = validity
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.validDays = validDays
        self.usableIn = usableIn
        self.description = description
    }
}
