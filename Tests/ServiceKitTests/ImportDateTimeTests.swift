import Foundation
import ServiceKit
import XCTest

/// How an import reads the times staff write in a sheet, on the store's clock (Shanghai).
final class ImportDateTimeTests: XCTestCase {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func testSheetTimesAreTheStoresClock() {
        XCTAssertEqual(ImportFile.dateTime("2026-11-22 10:30", in: shanghai), utc("2026-11-22T02:30:00Z"))
        XCTAssertEqual(ImportFile.dateTime("2026/11/22 9:05:30", in: shanghai), utc("2026-11-22T01:05:30Z"))
        XCTAssertEqual(ImportFile.dateTime("2026-11-22", in: shanghai), utc("2026-11-21T16:00:00Z"))
        XCTAssertEqual(ImportFile.dateTime("2026-11-22T10:30:00+08:00", in: shanghai), utc("2026-11-22T02:30:00Z"))
        XCTAssertEqual(ImportFile.dateTime("2026年11月22日 10:30", in: shanghai), utc("2026-11-22T02:30:00Z"))
        XCTAssertEqual(ImportFile.dateTime("2026年11月22日", in: shanghai), utc("2026-11-21T16:00:00Z"))
    }

    func testWhatIsNotATimeIsNil() {
        for text in ["昨天下午", "2026-02-30 10:00", "2026-11-22 25:00", "2026-11", "10:30", "", "999999-01-01 10:00", "1066-10-14 09:00", "-5",
                     // A bare serial: 1900 or 1904 is the workbook's to say, so the reader converts date cells.
                     "46348.4375"] {
            XCTAssertNil(ImportFile.dateTime(text, in: shanghai), text)
        }
    }
}
