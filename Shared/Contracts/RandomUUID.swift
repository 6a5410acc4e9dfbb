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
