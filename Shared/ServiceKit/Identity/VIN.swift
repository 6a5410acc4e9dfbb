import Foundation

/// A vehicle identification number (车架号, VIN), checked as ISO 3779 and GB 16735 define it.
///
/// Staff type VINs from registration papers and windscreens, where O and 0 or I and 1 are easy
/// to confuse, so a VIN is checked when it is entered and the error says exactly what is wrong.
/// The check digit (position 9) is enforced only where the country's rules make it mandatory:
/// China (world manufacturer identifiers starting with `L`) and North America (`1`–`5`).
/// Elsewhere — a European import such as `WVWZZZ1JZXW000001` — position 9 may be anything.
public struct VIN: Hashable, Sendable, CustomStringConvertible {
    /// 17 capital letters and digits.
    public let text: String

    public var description: String { text }

    /// Checks `input` after removing surrounding spaces and upper-casing it.
    public init(_ input: String) throws(VINError) {
        let vin = VIN.normalise(input)
        guard vin.count == 17 else { throw .wrongLength(vin.count) }
        guard !vin.contains(where: { "IOQ".contains($0) }) else { throw .containsIOQ }
        guard vin.allSatisfy({ VIN.values[$0] != nil }) else { throw .notLettersAndDigits }
        if VIN.requiresCheckDigit(vin) {
            let expected = VIN.checkDigit(of: vin)
            guard Array(vin)[8] == expected else { throw .wrongCheckDigit(expected: expected) }
        }
        self.text = vin
    }

    /// `" lfv3a28k7k3012345 "` → `"LFV3A28K7K3012345"`; no other change.
    public static func normalise(_ input: String) -> String {
        input.trimmed.uppercased()
    }

    /// Whether the country of manufacture, read from the first character, makes the check
    /// digit mandatory: `L` is China, `1`–`5` North America (United States, Canada, Mexico).
    public static func requiresCheckDigit(_ vin: String) -> Bool {
        guard let first = vin.first else { return false }
        return first == "L" || ("1"..."5").contains(first)
    }

    /// What position 9 must be: each character's value times its position's weight, summed,
    /// modulo 11; a remainder of 10 is written `X`. `vin` must be 17 valid characters.
    public static func checkDigit(of vin: String) -> Character {
        var sum = 0
        for (character, weight) in zip(vin, weights) {
            sum += (values[character] ?? 0) * weight
        }
        let remainder = sum % 11
        return remainder == 10 ? "X" : Character(String(remainder))
    }

    /// The weight of each position; position 9, the check digit itself, weighs nothing.
    private static let weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]

    /// The value of every character a VIN may contain (the transliteration table): digits are
    /// themselves, letters count 1–9 in runs that skip I, O and Q.
    private static let values: [Character: Int] = {
        var values: [Character: Int] = [:]
        for digit in 0...9 { values[Character(String(digit))] = digit }
        let letters: [(String, Int)] = [
            ("A", 1), ("B", 2), ("C", 3), ("D", 4), ("E", 5), ("F", 6), ("G", 7), ("H", 8),
            ("J", 1), ("K", 2), ("L", 3), ("M", 4), ("N", 5), ("P", 7), ("R", 9),
            ("S", 2), ("T", 3), ("U", 4), ("V", 5), ("W", 6), ("X", 7), ("Y", 8), ("Z", 9),
        ]
        for (letter, value) in letters { values[Character(letter)] = value }
        return values
    }()
}

/// What is wrong with a VIN, the first thing found; `message` is what the 422 says.
public enum VINError: Error, Equatable {
    case wrongLength(Int)
    case containsIOQ
    case notLettersAndDigits
    case wrongCheckDigit(expected: Character)

    public var message: String {
        switch self {
        case .wrongLength(let count): return "must be 17 characters (it has \(count))"
        case .containsIOQ: return "must not contain I, O or Q"
        case .notLettersAndDigits: return "must contain only letters A–Z and digits 0–9"
        case .wrongCheckDigit(let expected): return "check digit (9th character) should be \(expected)"
        }
    }
}
