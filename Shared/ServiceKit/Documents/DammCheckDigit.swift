/// The Damm check digit (H. Michael Damm, 2004) of a string of decimal digits: appended to the
/// digits, it catches every single mistyped digit and every swap of two neighbouring digits —
/// what staff get wrong when they type a number read out over the counter. Luhn misses 09↔90
/// swaps; Damm misses neither.
///
/// The algorithm is one published 10×10 table; no maintained Swift package on the mirror
/// offers it, so it is written here (ServiceKitTests check it against the published example
/// and every single error and neighbour swap of random numbers).
///
/// ```swift
/// DammCheckDigit.of("572")          // 4
/// DammCheckDigit.validates("5724")  // true
/// ```
public enum DammCheckDigit {
    /// Damm's weakly totally anti-symmetric quasigroup of order 10.
    private static let table: [[UInt8]] = [
        [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
        [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
        [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
        [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
        [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
        [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
        [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
        [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
        [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
        [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
    ]

    /// The check digit of `digits` (ASCII 0–9 only; nil for anything else).
    public static func of(_ digits: some StringProtocol) -> Int? {
        var interim: UInt8 = 0
        for byte in digits.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            interim = table[Int(interim)][Int(byte - UInt8(ascii: "0"))]
        }
        return Int(interim)
    }

    /// Whether `number`'s last digit is the check digit of the ones before it.
    public static func validates(_ number: some StringProtocol) -> Bool {
        !number.isEmpty && of(number) == 0
    }
}
