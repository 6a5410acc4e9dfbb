import Foundation

/// The odds of a lucky wheel (大转盘, M4; seed §9.4) and one spin of it — the draw alone; the
/// wheel's stock, its audience and its log are Marketing's.
///
/// Each prize has odds in basis points (1 bp = 0.01%); what the prizes leave of 10,000 is "no
/// prize" (谢谢参与). A spin draws one number in 0..<10,000 from a random number generator —
/// in the service the system's cryptographic one (`SystemRandomNumberGenerator`: getrandom(2)
/// on Linux), in tests a seeded one — and the prize whose band holds it wins. The bands follow
/// the prizes' order: with odds 100 and 900, 0..<100 is the first prize, 100..<1000 the second,
/// 1000..<10000 no prize. `Int.random(in:using:)` draws without modulo bias.
public struct PrizeDraw<Prize: Sendable>: Sendable {
    /// One outcome of the wheel: a prize and its odds in basis points.
    public struct Band: Sendable {
        public var prize: Prize
        public var basisPoints: Int

        public init(prize: Prize, basisPoints: Int) {
            self.prize = prize
            self.basisPoints = basisPoints
        }
    }

    /// 100% in basis points.
    public static var scale: Int { 10_000 }

    public let bands: [Band]

    /// - Throws: `PrizeDrawError` when odds are negative or add up to more than 10,000 bp.
    public init(_ bands: [Band]) throws {
        if let negative = bands.firstIndex(where: { $0.basisPoints < 0 }) { throw PrizeDrawError.negativeOdds(index: negative) }
        // Each band at most 100% first, so that the sum cannot overflow on absurd odds.
        if let huge = bands.first(where: { $0.basisPoints > Self.scale }) { throw PrizeDrawError.oddsAbove100Percent(total: huge.basisPoints) }
        let total = bands.reduce(0) { $0 + $1.basisPoints }
        guard total <= Self.scale else { throw PrizeDrawError.oddsAbove100Percent(total: total) }
        self.bands = bands
    }

    /// The chance of no prize, in basis points.
    public var noPrizeBasisPoints: Int { Self.scale - bands.reduce(0) { $0 + $1.basisPoints } }

    /// One spin: the prize won, or nil for no prize.
    public func spin<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Prize? {
        var number = Int.random(in: 0..<Self.scale, using: &generator)
        for band in bands {
            if number < band.basisPoints { return band.prize }
            number -= band.basisPoints
        }
        return nil
    }

    /// One spin with the system's cryptographic generator.
    public func spin() -> Prize? {
        var generator = SystemRandomNumberGenerator()
        return spin(using: &generator)
    }
}

/// Odds a wheel cannot have.
public enum PrizeDrawError: Error, CustomStringConvertible, Equatable, Sendable {
    case negativeOdds(index: Int)
    case oddsAbove100Percent(total: Int)

    public var description: String {
        switch self {
        case .negativeOdds(let index): "prize \(index + 1) has negative odds"
        case .oddsAbove100Percent(let total): "the prizes' odds add up to \(total) basis points, more than 10,000 (100%)"
        }
    }
}
