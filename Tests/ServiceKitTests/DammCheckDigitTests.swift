import ServiceKit
import XCTest

/// The check digit of coupon codes (C3): a code with one digit changed, or two neighbours
/// swapped, must never check.
final class DammCheckDigitTests: XCTestCase {
    func testThePublishedExample() {
        // Damm's worked example (also Wikipedia's): 572 → 4.
        XCTAssertEqual(DammCheckDigit.of("572"), 4)
        XCTAssertTrue(DammCheckDigit.validates("5724"))
        XCTAssertFalse(DammCheckDigit.validates("5725"))
        XCTAssertNil(DammCheckDigit.of("57a2"))
        XCTAssertFalse(DammCheckDigit.validates(""))
    }

    func testEverySingleErrorAndNeighbourSwapOfRandomNumbersIsCaught() {
        var generator = SeededGenerator(seed: 20261130)
        for _ in 0..<500 {
            let body = String((0..<15).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let number = body + String(DammCheckDigit.of(body)!)
            XCTAssertTrue(DammCheckDigit.validates(number))
            let digits = Array(number)
            for position in digits.indices {
                for replacement in "0123456789" where replacement != digits[position] {
                    var changed = digits
                    changed[position] = replacement
                    XCTAssertFalse(DammCheckDigit.validates(String(changed)), "\(String(changed)) from \(number)")
                }
                if position + 1 < digits.count, digits[position] != digits[position + 1] {
                    var swapped = digits
                    swapped.swapAt(position, position + 1)
                    XCTAssertFalse(DammCheckDigit.validates(String(swapped)), "\(String(swapped)) from \(number)")
                }
            }
        }
    }
}

/// SplitMix64: a small seeded generator, so a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
