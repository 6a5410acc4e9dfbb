import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Every date a workbook can carry (issue 12, item 2): the workbook's date system, built-in and
/// custom date formats, read on the real-world files.
final class WorkbookDatesTests: XCTestCase {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func arrivals(_ file: String) throws -> [String: Date?] {
        let rows = try SpreadsheetReader.rows(of: RealWorldFiles.data(file))
        XCTAssertEqual(rows.first?.prefix(3), ["客户姓名", "手机号码", "到店时间"])
        return Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], ImportFile.dateTime($0[2], in: shanghai)) })
    }

    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func testThe1904DateSystemIsReadInBothSpellings() throws {
        XCTAssertEqual(try arrivals("traffic-dates-1904.xlsx"), ["孙八": utc("2026-11-20T02:30:00Z")])
        XCTAssertEqual(try arrivals("traffic-dates-1904-true.xlsx"), ["周九": utc("2026-11-20T02:30:00Z")])
    }

    func testBuiltInCustomAndTextDatesOnThe1900System() throws {
        let rows = try SpreadsheetReader.rows(of: RealWorldFiles.data("traffic-dates-1900.xlsx"))
        // Format 22 (m/d/yy h:mm), 31 (yyyy"年"m"月"d"日") and custom 176 all become the time they show.
        XCTAssertEqual(rows[1][2], "2026-11-20 10:30:00")
        XCTAssertEqual(rows[1][3], "2026-11-20 12:00:00")
        XCTAssertEqual(try arrivals("traffic-dates-1900.xlsx"), [
            "张三": utc("2026-11-20T02:30:00Z"), "李四": utc("2026-11-20T02:30:00Z"), "王五": utc("2026-11-20T02:30:00Z"),
            "赵六": utc("2026-11-20T02:30:15Z"), "钱七": utc("2026-11-20T02:30:00Z"),
        ])
    }

    func testWhichFormatCodesAreDates() {
        for code in ["yyyy\"年\"m\"月\"d\"日\" hh:mm", "yyyy-mm-dd", "m/d/yy h:mm", "[$-804]yyyy\"年\"m\"月\"", "[h]:mm:ss", "hh:mm AM/PM", "d-mmm"] {
            XCTAssertTrue(WorkbookDates.isDateFormat(code), code)
        }
        for code in ["General", "0", "0.00", "#,##0 \"元\"", "[Red]0.00", "@", "0.00E+00", "\"day\" 0", "_-* #,##0_-;-* #,##0_-"] {
            XCTAssertFalse(WorkbookDates.isDateFormat(code), code)
        }
    }

    func testASerialBecomesTheWallClockItShows() {
        let from1900 = WorkbookDates(system: .from1900, styles: [false, true])
        XCTAssertEqual(from1900.text(ofSerial: "46346.4375", style: 1), "2026-11-20 10:30:00")
        XCTAssertEqual(from1900.text(ofSerial: "46346", style: 1), "2026-11-20")
        XCTAssertEqual(from1900.text(ofSerial: "46346.99999999", style: 1), "2026-11-21", "rounded to the second, into the next day")
        XCTAssertNil(from1900.text(ofSerial: "46346.4375", style: 0), "not a date style: a number")
        XCTAssertNil(from1900.text(ofSerial: "13800138010", style: 1), "beyond 9999-12-31: a number")
        let from1904 = WorkbookDates(system: .from1904, styles: [false, true])
        XCTAssertEqual(from1904.text(ofSerial: "44884.4375", style: 1), "2026-11-20 10:30:00")
    }
}
