import Foundation
@testable import ServiceKit
import XCTest

/// The query-string rule of the whole API: empty is the same as left out; any other value is
/// read exactly as `/openapi.yaml` describes it, or named in a 422.
final class QueryReaderTests: XCTestCase {
    func testAnEmptyValueIsNoValueForEveryReader() throws {
        var query = QueryReader(query: "to=&id&state=&flag=&n=&text=&mobile=&page=&pageSize=")
        XCTAssertNil(query.date("to"))
        XCTAssertNil(query.uuid("id"))
        XCTAssertNil(query.oneOf("state", ExportFormat.self))
        XCTAssertNil(query.bool("flag"))
        XCTAssertNil(query.integer("n", in: 1...10))
        XCTAssertNil(query.string("text"))
        XCTAssertNil(query.mobile("mobile"))
        XCTAssertEqual(query.validator.errors, [])
        XCTAssertEqual(try PageRequest(query: query.values), PageRequest(page: 1, pageSize: 20))
        // … and a required one sent empty is missing.
        XCTAssertNil(query.requiredUUID("id"))
        XCTAssertEqual(query.validator.errors, [.init(field: "id", message: "is required")])
    }

    func testTypedValuesAreReadExactlyAndTextIsTrimmed() {
        var query = QueryReader(query: "id=%20\(UUID().uuidString)&state=CSV&flag=TRUE&n=%2B1&to=%202026-11-22&text=%20%20&name=+%E9%99%88%E4%BA%91+")
        XCTAssertNil(query.uuid("id"))
        XCTAssertNil(query.oneOf("state", ExportFormat.self))
        XCTAssertNil(query.bool("flag"))
        XCTAssertNil(query.integer("n", in: 1...10))
        XCTAssertNil(query.date("to"))
        XCTAssertNil(query.string("text"), "only white space is no text")
        XCTAssertEqual(query.string("name"), "陈云")
        XCTAssertEqual(query.validator.errors.map(\.field), ["id", "state", "flag", "n", "to"])
    }

    func testTheQueryStringIsDecodedAsFormsWriteIt() {
        let query = QueryReader(query: "mobile=%2B86+138+7115+0099&to=2026-11-22T09:30:00+08:00&a=1&a=2&bad=100%&%74ext=x")
        XCTAssertEqual(query.values["mobile"], "+86 138 7115 0099")
        XCTAssertEqual(query.values["to"], "2026-11-22T09:30:00 08:00", "a plus is %2B")
        XCTAssertEqual(query.values["a"], "2", "the last of a repeated parameter")
        XCTAssertEqual(query.values["bad"], "100%", "an escape that does not decode is kept")
        XCTAssertEqual(query.values["text"], "x")
    }

    func testTextLongerThanItsLimitAsSentIsRefused() {
        var query = QueryReader(query: "mobile=\(String(repeating: "1", count: 20))+&name=a%00b")
        XCTAssertNil(query.mobile("mobile"))
        XCTAssertNil(query.string("name"))
        XCTAssertEqual(query.validator.errors, [
            .init(field: "mobile", message: "must be at most 20 characters"),
            .init(field: "name", message: "must not contain the NUL character"),
        ])
    }

    func testDatesAreRFC3339DatesOrDateTimesAndNothingElse() throws {
        let utc = { (text: String) in ISO8601DateFormatter().date(from: text)! }
        let good: [(String, Date)] = [
            ("2026-11-22", utc("2026-11-22T00:00:00Z")),
            ("2024-02-29", utc("2024-02-29T00:00:00Z")),
            ("2000-02-29", utc("2000-02-29T00:00:00Z")),
            ("2026-11-22T09:30:00Z", utc("2026-11-22T09:30:00Z")),
            ("2026-11-22t09:30:00z", utc("2026-11-22T09:30:00Z")),
            ("2026-11-22T09:30:00+08:00", utc("2026-11-22T01:30:00Z")),
            ("2026-11-22T09:30:00-05:30", utc("2026-11-22T15:00:00Z")),
            ("2026-11-22T09:30:00+23:59", utc("2026-11-21T09:31:00Z")),
            ("2026-11-22T23:59:60Z", utc("2026-11-23T00:00:00Z")),
            ("2026-11-23T07:59:60+08:00", utc("2026-11-23T00:00:00Z")),
            ("1969-12-31T23:59:59Z", utc("1969-12-31T23:59:59Z")),
        ]
        for (text, date) in good {
            XCTAssertEqual(QueryDate.parse(text), date, text)
        }
        XCTAssertEqual(try XCTUnwrap(QueryDate.parse("2026-11-22T09:30:00.25Z")).timeIntervalSince(utc("2026-11-22T09:30:00Z")), 0.25, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(QueryDate.parse("2026-11-22T09:30:00.123456789Z")).timeIntervalSince(utc("2026-11-22T09:30:00Z")), 0.123456789, accuracy: 1e-6)
        XCTAssertNotNil(QueryDate.parse("0000-01-01"))
        XCTAssertNotNil(QueryDate.parse("9999-12-31T23:59:59-23:59"))

        let bad = [
            "", "notadate", "2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-11-00", "2026-1-2",
            "20261122", " 2026-11-22", "2026-11-22 ", "２０２６-11-22", "+2026-11-22", "2026-W47-1", "2026-326",
            "2026-11-22T09:30:00", "2026-11-22T09:30Z", "2026-11-22 09:30:00Z", "2026-11-22T24:00:00Z", "2026-11-22T09:60:00Z",
            "2026-11-22T10:00:60Z", "2026-11-22T23:59:60-00:01", "2026-11-22T09:30:00.Z", "2026-11-22T09:30:00,5Z",
            "2026-11-22T09:30:00+08", "2026-11-22T09:30:00+0800", "2026-11-22T09:30:00+24:00", "2026-11-22T09:30:00+08:60",
            "2026-11-22T09:30:00 08:00", "2026-11-22T09:30:00Zz",
        ]
        for text in bad {
            XCTAssertNil(QueryDate.parse(text), text)
        }
    }
}
