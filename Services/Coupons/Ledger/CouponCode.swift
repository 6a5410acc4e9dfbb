import ServiceKit

/// The code of one issued coupon (优惠券号码, C3): 16 digits — 15 from the system's
/// cryptographic random source and a Damm check digit (`DammCheckDigit`) — shown in groups of
/// four (`5191 5250 4840 2813`) for staff to read out and type.
///
/// Digits only, because a customer reads it off a phone to a cashier who types it on a keypad.
/// The check digit catches every single mistyped digit and every swap of two neighbours before
/// any lookup, so a typo is "not a valid code" rather than someone else's coupon. 10^15 random
/// values make guessing a live code hopeless at any rate the gateway allows.
struct CouponCode: Hashable, Sendable, CustomStringConvertible {
    /// The 16 digits, without spaces: how it is stored.
    let digits: String

    static let length = 16

    /// A new random code from `generator` (the system's cryptographic source by default).
    static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> CouponCode {
        // One draw of 15 digits; the first is never 0, so that a spreadsheet cannot drop it.
        let body = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999, using: &generator))
        return CouponCode(digits: body + String(DammCheckDigit.of(body)!))
    }

    static func random() -> CouponCode {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// Reads a code as typed: white space of any kind and dashes are ignored, and full-width
    /// digits (０–９, as a Chinese input method types them) read as digits. Nil unless it is 16
    /// digits whose last one checks.
    init?(typed text: String) {
        var digits = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "-" || scalar == "\u{FF0D}" { continue }
            if (0xFF10...0xFF19).contains(scalar.value) {
                digits.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFF10 + 0x30)!)
            } else {
                digits.unicodeScalars.append(scalar)
            }
        }
        guard digits.count == Self.length, DammCheckDigit.validates(digits) else { return nil }
        self.digits = digits
    }

    private init(digits: String) {
        self.digits = digits
    }

    /// `5191 5250 4840 2813`: how printouts and exports show it.
    var description: String { Self.grouped(digits) }

    static func grouped(_ digits: String) -> String {
        var text = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, offset % 4 == 0 { text.append(" ") }
            text.append(character)
        }
        return text
    }
}
