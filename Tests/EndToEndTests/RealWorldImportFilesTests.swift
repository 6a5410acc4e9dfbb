import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The real-world import files of `Tests/Fixtures/cases` through the gateway, read back through
/// the API with the right values of that folder's README (issue 12, items 1 and 2).
final class RealWorldImportFilesTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    /// The lead a mobile names in the caller's store.
    func lead(_ mobile: String, token: String) async throws -> [String: Any] {
        let reply = try await suite.request(.GET, "/api/v1/leads/leads?mobile=\(mobile)", token: token)
        XCTAssertEqual(reply.items.count, 1, reply.text)
        return reply.items.first ?? [:]
    }

    func testTheLeadImportReadsEveryEncodingChineseSpreadsheetsWrite() async throws {
        let store1 = try await suite.login("sales.manager.1")
        let store2 = try await suite.login("sales.manager.2")
        // "CSV (逗号分隔)" from Chinese-locale Excel or WPS: GBK bytes, no BOM, CRLF.
        let gb18030 = try RealWorldFiles.data("leads-gb18030.csv")
        var reply = try await suite.request(.POST, "/api/v1/leads/imports", token: store1, bytes: gb18030, contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["created"] as? Int, 2, reply.text)
        let zhang = try await lead("13800138010", token: store1)
        XCTAssertEqual(zhang["name"] as? String, "张三")
        XCTAssertEqual(zhang["province"] as? String, "湖北省")
        XCTAssertEqual(zhang["city"] as? String, "武汉市")
        XCTAssertEqual(zhang["note"] as? String, "周末到店")
        XCTAssertEqual(zhang["source"] as? String, "autohome")
        let li = try await lead("13800138011", token: store1)
        XCTAssertEqual(li["name"] as? String, "李四")
        XCTAssertEqual(li["source"] as? String, "dongchedi")

        // The same rows as Excel's "Unicode 文本" (UTF-16 with a BOM, tab-separated), in store 2.
        XCTAssertNil(String(validating: gb18030, as: UTF8.self), "the GB18030 file is not UTF-8")
        let rows = try SpreadsheetReader.rows(of: gb18030)
        let tabbed = rows.map { $0.joined(separator: "\t") }.joined(separator: "\r\n") + "\r\n"
        let utf16 = Data([0xFF, 0xFE]) + Data(tabbed.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        reply = try await suite.request(.POST, "/api/v1/leads/imports", token: store2, bytes: utf16, contentType: "text/tab-separated-values")
        XCTAssertEqual(reply.json["created"] as? Int, 2, reply.text)
        for (mobile, expected) in [("13800138010", zhang), ("13800138011", li)] {
            let stored = try await lead(mobile, token: store2)
            for field in ["name", "mobile", "province", "city", "note", "source"] {
                XCTAssertEqual(stored[field] as? String, expected[field] as? String, "\(mobile) \(field)")
            }
        }

        // And as UTF-8 with a BOM, back in store 1: the same two people, so both already exist.
        let commas = rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        reply = try await suite.request(.POST, "/api/v1/leads/imports", token: store1, bytes: Data([0xEF, 0xBB, 0xBF]) + Data(commas.utf8), contentType: "text/csv")
        XCTAssertEqual(reply.json["duplicates"] as? Int, 2, reply.text)
        let reasons = (reply.json["results"] as? [[String: Any]])?.compactMap { $0["reason"] as? String }
        XCTAssertEqual(reasons, ["exists", "exists"])

        // Latin-1 is none of the encodings read: a 422 naming `file` that says which are.
        let latin1 = Data("name,mobile,source\nMüller,13800138019,autohome\n".unicodeScalars.map { UInt8($0.value) })
        reply = try await suite.request(.POST, "/api/v1/leads/imports", token: store1, bytes: latin1, contentType: "text/csv")
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["file"])
        XCTAssertTrue(reply.text.contains("GB18030") && reply.text.contains("UTF-16"), reply.text)
        let stored = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.lead WHERE mobile = '13800138019'")
        XCTAssertEqual(stored, 0)
    }

    func testTheTrafficImportReadsGB18030AndEveryWorkbookDateSystem() async throws {
        let manager = try await suite.login("sales.manager.1")
        var reply = try await suite.request(
            .POST, "/api/v1/prospects/traffic/imports", token: manager, bytes: try RealWorldFiles.data("traffic-gb18030.csv"), contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["registered"] as? Int, 1, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/traffic?mobile=13800138012", token: manager)
        XCTAssertEqual(reply.items.first?["name"] as? String, "王五", reply.text)
        XCTAssertEqual(reply.items.first?["arrivedAt"] as? String, "2026-11-20T02:30:00Z", reply.text)
        let prospectID = try XCTUnwrap(reply.items.first?["prospectId"] as? String)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: manager)
        XCTAssertEqual(reply.json["gender"] as? String, "male", reply.text)

        // Excel for Mac's 1904 date system, spelled date1904="1" and "true"; and the 1900 control
        // file with built-in formats 22 and 31, a custom 年月日 format and text dates.
        let expected: [(file: String, mobile: String, arrivedAt: String, leftAt: String?)] = [
            ("traffic-dates-1904.xlsx", "13800138045", "2026-11-20T02:30:00Z", nil),
            ("traffic-dates-1904-true.xlsx", "13800138046", "2026-11-20T02:30:00Z", nil),
            ("traffic-dates-1900.xlsx", "13800138040", "2026-11-20T02:30:00Z", "2026-11-20T04:00:00Z"),
            ("traffic-dates-1900.xlsx", "13800138041", "2026-11-20T02:30:00Z", nil),
            ("traffic-dates-1900.xlsx", "13800138042", "2026-11-20T02:30:00Z", nil),
            ("traffic-dates-1900.xlsx", "13800138043", "2026-11-20T02:30:15Z", nil),
            ("traffic-dates-1900.xlsx", "13800138044", "2026-11-20T02:30:00Z", nil),
        ]
        for file in Set(expected.map(\.file)) {
            reply = try await suite.request(
                .POST, "/api/v1/prospects/traffic/imports", token: manager, bytes: try RealWorldFiles.data(file),
                contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            XCTAssertEqual(reply.json["rejected"] as? Int, 0, "\(file): \(reply.text)")
        }
        for row in expected {
            reply = try await suite.request(.GET, "/api/v1/prospects/traffic?mobile=\(row.mobile)", token: manager)
            XCTAssertEqual(reply.items.count, 1, reply.text)
            XCTAssertEqual(reply.items.first?["arrivedAt"] as? String, row.arrivedAt, "\(row.file) \(row.mobile)")
            XCTAssertEqual(reply.items.first?["leftAt"] as? String, row.leftAt, "\(row.file) \(row.mobile)")
        }
    }
}
