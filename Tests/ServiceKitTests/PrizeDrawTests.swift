import Foundation
import ServiceKit
import XCTest

/// The lucky wheel's odds (M4): 100,000 spins with a seeded generator land in each band as the
/// odds say — a chi-square goodness-of-fit test at p = 0.01 — and the bands are where the
/// documentation puts them.
final class PrizeDrawTests: XCTestCase {
    /// SplitMix64: a small, well-known generator with a seed, so that the test is the same each run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A first prize at 0.5%, a second at 4.5%, a coupon at 25%, and 70% no prize.
    private let wheel = try! PrizeDraw([
        .init(prize: "一等奖 保养套餐", basisPoints: 50), .init(prize: "二等奖 机油滤芯", basisPoints: 450),
        .init(prize: "三等奖 100元代金券", basisPoints: 2_500),
    ])

    func testOneHundredThousandSeededSpinsPassAChiSquareTestAtOnePercent() {
        let spins = 100_000
        for seed: UInt64 in [1, 20_261_130, 0xDEAD_BEEF] {
            var generator = SeededGenerator(state: seed)
            var counts = [String: Int]()
            for _ in 0..<spins { counts[wheel.spin(using: &generator) ?? "谢谢参与", default: 0] += 1 }
            let expected: [(String, Double)] = [
                ("一等奖 保养套餐", 0.005), ("二等奖 机油滤芯", 0.045), ("三等奖 100元代金券", 0.25), ("谢谢参与", 0.70),
            ]
            let chiSquare = expected.reduce(0.0) { sum, outcome in
                let wanted = outcome.1 * Double(spins)
                let difference = Double(counts[outcome.0, default: 0]) - wanted
                return sum + difference * difference / wanted
            }
            // Three degrees of freedom: the 99th percentile of χ²(3) is 11.345.
            XCTAssertLessThan(chiSquare, 11.345, "seed \(seed): \(counts)")
            XCTAssertEqual(counts.values.reduce(0, +), spins)
        }
    }

    /// The test above must be able to fail: odds shifted by a tenth of the first prize's band
    /// (the bug of an off-by-one in the bands, or a biased modulo) are caught.
    func testTheChiSquareTestCatchesOddsThatAreOff() throws {
        let skewed = try PrizeDraw([.init(prize: "A", basisPoints: 2_600), .init(prize: "B", basisPoints: 2_400)])
        var generator = SeededGenerator(state: 7)
        var counts = [String: Int]()
        for _ in 0..<100_000 { counts[skewed.spin(using: &generator) ?? "none", default: 0] += 1 }
        let expected: [(String, Double)] = [("A", 0.25), ("B", 0.25), ("none", 0.5)]
        let chiSquare = expected.reduce(0.0) { sum, outcome in
            let wanted = outcome.1 * 100_000
            let difference = Double(counts[outcome.0, default: 0]) - wanted
            return sum + difference * difference / wanted
        }
        XCTAssertGreaterThan(chiSquare, 9.21, "χ²(2) at 1% would have passed wrong odds: \(counts)")
    }

    func testTheBandsFollowThePrizesOrder() throws {
        struct Fixed: RandomNumberGenerator {
            var value: UInt64
            mutating func next() -> UInt64 { value }
        }
        let draw = try PrizeDraw([.init(prize: "first", basisPoints: 100), .init(prize: "second", basisPoints: 900)])
        XCTAssertEqual(draw.noPrizeBasisPoints, 9_000)
        // `Int.random(in: 0..<10_000)` takes the high half of value × 10,000 (Lemire): these values
        // draw 0, 500 and 9,999 — the first band, the second, no prize.
        var first = Fixed(value: 1 << 20), second = Fixed(value: UInt64.max / 20 + 1), none = Fixed(value: .max)
        XCTAssertEqual(draw.spin(using: &first), "first")
        XCTAssertEqual(draw.spin(using: &second), "second")
        XCTAssertNil(draw.spin(using: &none))
        XCTAssertThrowsError(try PrizeDraw([.init(prize: "x", basisPoints: 6_000), .init(prize: "y", basisPoints: 4_001)])) {
            XCTAssertEqual($0 as? PrizeDrawError, .oddsAbove100Percent(total: 10_001))
        }
        XCTAssertThrowsError(try PrizeDraw([.init(prize: "x", basisPoints: -1)]))
        XCTAssertThrowsError(try PrizeDraw([.init(prize: "x", basisPoints: .max), .init(prize: "y", basisPoints: 1)]), "no overflow trap")
        // The system's generator: every spin lands somewhere.
        XCTAssertTrue((0..<1_000).allSatisfy { _ in [nil, "first", "second"].contains(draw.spin()) })
    }
}
