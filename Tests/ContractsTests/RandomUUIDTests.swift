import Contracts
import Foundation
import XCTest

final class RandomUUIDTests: XCTestCase {
    /// Version 4, variant 1 as RFC 9562 writes them, and no two alike.
    func testRandomUUIDsAreVersionFourAndDistinct() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in ids.prefix(100) {
            let text = Array(id.uuidString)
            XCTAssertEqual(text[14], "4", id.uuidString)
            XCTAssertTrue("89AB".contains(text[19]), id.uuidString)
        }
    }
}

final class TimeOrderedUUIDTests: XCTestCase {
    /// Each id is greater than the one before, as PostgreSQL compares uuids (byte by byte), even
    /// past 4,096 in one millisecond; version 7, variant 1; the time is the one given.
    func testIdsIncreaseAndCarryTheirTime() {
        var ids = TimeOrderedUUIDs()
        let now = Date(timeIntervalSince1970: 1_795_400_000.123)
        let made = (0..<10_000).map { _ in ids.next(at: now) }
        func bytes(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }
        for (earlier, later) in zip(made, made.dropFirst()) {
            XCTAssertTrue(bytes(earlier).lexicographicallyPrecedes(bytes(later)), "\(earlier) < \(later)")
        }
        let first = bytes(made[0])
        XCTAssertEqual(first[6] >> 4, 7)
        XCTAssertEqual(first[8] >> 6, 0b10)
        let millisecond = first[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        XCTAssertEqual(millisecond, 1_795_400_000_123)
        // A clock that goes back does not undo the order.
        let earlierClock = ids.next(at: now.addingTimeInterval(-5))
        XCTAssertTrue(bytes(made.last!).lexicographicallyPrecedes(bytes(earlierClock)))
    }
}
