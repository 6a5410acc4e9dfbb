import Foundation
import Hummingbird
import ServiceKit

/// A purchase proposal (购车建议书, P11) as the API shows it: the car, its price and the costs of
/// putting it on the road, and the loan if the customer finances it.
struct ProposalView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// `JY2611220001`: the store's first proposal of 22 Nov 2026.
    var proposalNo: String
    var storeId: UUID
    var prospectId: UUID
    var prospectName: String
    var prospectMobile: String
    var consultantId: UUID
    var consultantName: String?
    var brand: String
    var series: String
    var model: String
    var color: String?
    var quote: ProposalQuote
    var note: String?
    /// The last day the prices hold (`yyyy-MM-dd`).
    var validUntil: String
    var createdAt: Date
}

/// The figures of a proposal, all in yuan; the derived ones follow from the quoted ones.
struct ProposalQuote: Codable, Sendable, Equatable {
    /// 厂家指导价
    var listPrice: Decimal
    /// 优惠
    var discount: Decimal
    /// 购置税
    var purchaseTax: Decimal
    /// 保险
    var insurance: Decimal
    /// 上牌费
    var registration: Decimal
    /// 精品 / 装潢
    var accessories: Decimal
    /// 首付; absent when the customer pays in full.
    var downPayment: Decimal?
    var loanMonths: Int?
    var annualRatePercent: Decimal?

    /// 裸车价: what the car itself costs after the discount.
    var vehiclePrice: Decimal { listPrice - discount }
    /// 落地价: everything the customer pays to drive the car away.
    var total: Decimal { vehiclePrice + purchaseTax + insurance + registration + accessories }
    var loanAmount: Decimal? { downPayment.map { total - $0 } }

    /// 月供: equal monthly instalments of principal and interest (等额本息), to the fen.
    var monthlyPayment: Decimal? {
        guard let loanAmount, let loanMonths, loanMonths > 0 else { return nil }
        let principal = NSDecimalNumber(decimal: loanAmount).doubleValue
        let monthlyRate = NSDecimalNumber(decimal: annualRatePercent ?? 0).doubleValue / 1200
        let payment = monthlyRate == 0
            ? principal / Double(loanMonths)
            : principal * monthlyRate / (1 - pow(1 + monthlyRate, -Double(loanMonths)))
        return Decimal(payment).rounded(toPlaces: 2)
    }

    /// The purchase tax (车辆购置税) when the proposal names none: 10% of the price without its
    /// 13% VAT — `vehiclePrice / 1.13 × 10%`, to the fen.
    static func purchaseTax(onVehiclePrice price: Decimal) -> Decimal {
        (price / Decimal(string: "1.13")! * Decimal(string: "0.10")!).rounded(toPlaces: 2)
    }

    enum CodingKeys: String, CodingKey {
        case listPrice, discount, purchaseTax, insurance, registration, accessories, downPayment, loanMonths, annualRatePercent
        case vehiclePrice, total, loanAmount, monthlyPayment
    }

    /// The quoted figures and the derived ones, so that a client shows what the printout shows.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(listPrice, forKey: .listPrice)
        try c.encode(discount, forKey: .discount)
        try c.encode(purchaseTax, forKey: .purchaseTax)
        try c.encode(insurance, forKey: .insurance)
        try c.encode(registration, forKey: .registration)
        try c.encode(accessories, forKey: .accessories)
        try c.encodeIfPresent(downPayment, forKey: .downPayment)
        try c.encodeIfPresent(loanMonths, forKey: .loanMonths)
        try c.encodeIfPresent(annualRatePercent, forKey: .annualRatePercent)
        try c.encode(vehiclePrice, forKey: .vehiclePrice)
        try c.encode(total, forKey: .total)
        try c.encodeIfPresent(loanAmount, forKey: .loanAmount)
        try c.encodeIfPresent(monthlyPayment, forKey: .monthlyPayment)
    }
}

extension ProposalQuote {
    /// Reads the quoted figures; the derived ones are worked out again, never trusted.
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            listPrice: try c.decode(Decimal.self, forKey: .listPrice), discount: try c.decode(Decimal.self, forKey: .discount),
            purchaseTax: try c.decode(Decimal.self, forKey: .purchaseTax), insurance: try c.decode(Decimal.self, forKey: .insurance),
            registration: try c.decode(Decimal.self, forKey: .registration), accessories: try c.decode(Decimal.self, forKey: .accessories),
            downPayment: try c.decodeIfPresent(Decimal.self, forKey: .downPayment), loanMonths: try c.decodeIfPresent(Int.self, forKey: .loanMonths),
            annualRatePercent: try c.decodeIfPresent(Decimal.self, forKey: .annualRatePercent))
    }
}

/// A new proposal: the car defaults to the prospect's intended one, the purchase tax to the
/// statutory 10%, the other costs to 0, the validity to 7 days.
struct NewProposal: Decodable {
    var brand: String?
    var series: String?
    var model: String?
    var color: String?
    var listPrice: Decimal
    var discount: Decimal?
    var purchaseTax: Decimal?
    var insurance: Decimal?
    var registration: Decimal?
    var accessories: Decimal?
    var downPayment: Decimal?
    var loanMonths: Int?
    var annualRatePercent: Decimal?
    var note: String?
    /// `yyyy-MM-dd`; 7 days from today when left out.
    var validUntil: String?

    /// How long a proposal's prices hold when it does not say.
    static let defaultValidDays = 7

    /// The quote, checked: 422 naming every field that is wrong.
    func quote() throws -> ProposalQuote {
        var check = FieldValidator()
        check.money("listPrice", listPrice)
        check.require(listPrice > 0, "listPrice", "must be more than 0")
        let discount = discount ?? 0
        check.money("discount", discount)
        check.require(discount <= listPrice, "discount", "must not be more than listPrice")
        for (field, amount) in [("purchaseTax", purchaseTax), ("insurance", insurance), ("registration", registration),
                                ("accessories", accessories), ("downPayment", downPayment)] {
            if let amount { check.money(field, amount) }
        }
        if let annualRatePercent {
            check.range("annualRatePercent", annualRatePercent, 0...36)
            check.require(Money.hasAtMostTwoDecimals(annualRatePercent), "annualRatePercent", "must have at most 2 decimals")
        }
        if downPayment != nil {
            if let loanMonths { check.range("loanMonths", loanMonths, 1...96) } else { check.fail("loanMonths", "is required with downPayment") }
        } else {
            check.require(loanMonths == nil, "loanMonths", "is only quoted with downPayment")
            check.require(annualRatePercent == nil, "annualRatePercent", "is only quoted with downPayment")
        }
        try check.throwIfInvalid()
        let quote = ProposalQuote(
            listPrice: listPrice, discount: discount,
            purchaseTax: purchaseTax ?? ProposalQuote.purchaseTax(onVehiclePrice: listPrice - discount),
            insurance: insurance ?? 0, registration: registration ?? 0, accessories: accessories ?? 0,
            downPayment: downPayment, loanMonths: loanMonths, annualRatePercent: annualRatePercent)
        if let downPayment, downPayment > quote.total {
            throw ProblemDetails.validation([.init(field: "downPayment", message: "must not be more than the total (\(Money.text(quote.total)))")])
        }
        guard quote.total <= FieldValidator.largestAmount else {
            throw ProblemDetails.validation([.init(field: "listPrice", message: "makes a total beyond \(Money.text(FieldValidator.largestAmount))")])
        }
        return quote
    }
}
