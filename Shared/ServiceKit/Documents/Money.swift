import Foundation

/// Amounts of money in yuan (元), as repair orders, sales orders and quotes carry them: `Decimal` in Swift and JSON,
/// `numeric(12,2)` in Postgres — never a binary floating-point number, which cannot hold 0.10.
public enum Money {
    /// Whether `amount` has no more than two decimals (fen, 分), so storing it loses nothing.
    public static func hasAtMostTwoDecimals(_ amount: Decimal) -> Bool {
        amount.rounded(toPlaces: 2) == amount
    }

    /// The exact text of `amount`, to bind and cast to `numeric`.
    public static func text(_ amount: Decimal) -> String {
        NSDecimalNumber(decimal: amount).stringValue
    }

    /// The amount as a printed document shows it: two decimals and thousands separated,
    /// `313,278.76`, `300,000.00`.
    public static func printed(_ amount: Decimal) -> String {
        var text = NSDecimalNumber(decimal: amount.rounded(toPlaces: 2)).stringValue
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = Array(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (negative ? "-" : "") + grouped + "." + fraction.padding(toLength: 2, withPad: "0", startingAt: 0)
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

extension Decimal {
    /// Rounded half away from zero to `places` decimals: `24778.755` → `24778.76` for 2.
    public func rounded(toPlaces places: Int) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, places, .plain)
        return result
    }
}
