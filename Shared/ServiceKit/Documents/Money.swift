import Foundation

/// Amounts of money in yuan (元), as repair orders, sales orders and quotes carry them: `Decimal` in Swift and JSON,
/// `numeric(12,2)` in Postgres — never a binary floating-point number, which cannot hold 0.10.
public enum Money {
    /// Whether `amount` has no more than two decimals (fen, 分), so storing it loses nothing.
    public static func hasAtMostTwoDecimals(_ amount: Decimal) -> Bool {
        var value = amount
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        return rounded == amount
    }

    /// The exact text of `amount`, to bind and cast to `numeric`.
    public static func text(_ amount: Decimal) -> String {
        NSDecimalNumber(decimal: amount).stringValue
    }

    /// A `numeric` column read as text (`1280.50`), back into a `Decimal`.
    public static func amount(_ text: String?) -> Decimal? {
        text.flatMap { Decimal(string: $0) }
    }
}

extension FieldValidator {
    /// The most a `numeric(12,2)` column holds.
    public static let largestAmount: Decimal = Decimal(string: "9999999999.99")!

    /// An amount from 0 to `maximum` yuan with at most two decimals.
    public mutating func money(_ field: String, _ value: Decimal, maximum: Decimal = largestAmount) {
        range(field, value, 0...maximum)
        require(Money.hasAtMostTwoDecimals(value), field, "must have at most 2 decimals")
    }
}
