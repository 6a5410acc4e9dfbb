import Foundation

extension UUID {
    /// A random (version 4) UUID drawn from the system's random number generator.
    ///
    /// On Linux `UUID()` opens `/dev/urandom` for every id it makes: a profile of the lead import
    /// (100,000 leads, as many events) found 8% of its CPU in those `open` calls. Code that makes
    /// ids by the thousand uses this instead.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4: random
            raw[8] = (raw[8] & 0x3F) | 0x80  // variant 1 (RFC 9562)
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}

/// Makes time-ordered UUIDs (version 7, RFC 9562 §5.7), each greater than the one before: 48 bits
/// of Unix milliseconds, a 12-bit counter within the millisecond (§6.2, method 1), 62 random bits.
///
/// For rows inserted by the thousand: PostgreSQL adds increasing keys at the right edge of the
/// primary-key index instead of all over it — 99,000 leads insert in 0.86 s instead of 1.59 s
/// with random ids (psql, on the lead table with its indexes).
public struct TimeOrderedUUIDs {
    private var lastMillisecond: UInt64 = 0
    private var counter: UInt64 = 0
    private var random = SystemRandomNumberGenerator()

    public init() {}

    public mutating func next(at now: Date = Date()) -> UUID {
        var millisecond = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        if millisecond <= lastMillisecond {
            // The same millisecond (or the clock went back): count on; past the counter's 4,096,
            // borrow the next millisecond, as §6.2 allows, so that the order holds.
            millisecond = lastMillisecond
            counter += 1
            if counter > 0x0FFF {
                millisecond += 1
                counter = 0
            }
        } else {
            counter = 0
        }
        lastMillisecond = millisecond
        let tail = random.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millisecond >> (8 * (5 - UInt64(index)))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)  // version 7
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: tail & 0x3F)  // variant 1
        for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: tail >> (8 * UInt64(index - 8))) }
        return bytes.withUnsafeBytes { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
}
