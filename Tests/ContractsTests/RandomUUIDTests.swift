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
