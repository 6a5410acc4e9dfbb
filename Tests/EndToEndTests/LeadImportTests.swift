import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// L2 through the gateway: a CSV import's per-row report, its dry run, and its all-or-nothing.
final class LeadImportTests: XCTestCase {
    static let logger = Logger(label: "test")

    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    static func mobile() -> String { "137" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    func testAnImportReportsEveryRowAndADryRunWritesNothing() async throws {
        let manager = try await suite.login("sales.manager.1")
        let existing = Self.mobile()
        let existingLead = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: ["name": "曹广", "mobile": existing, "source": "phone"])
        XCTAssertEqual(existingLead.status, 201)
        let new = (0..<3).map { _ in Self.mobile() }
        let csv = """
            客户姓名,手机号码,数据来源,省份,城市,品牌,车系,车型,级别,备注\r
            陈云,\(new[0]),汽车之家,湖北省,武汉市,凯迪拉克,XT5,"2019款 28T, 豪华型",A,\r
            李鹏,+86 \(new[1]),易车,湖北省,襄阳市,,,,B,周末到店\r
            李尚辉,1895615537,汽车之家,湖北省,武汉市,,,,,\r
            ,\(Self.mobile()),懂车帝,,,,,,,\r
            陈云,\(new[0]),汽车之家,湖北省,武汉市,,,,,重复\r
            曹广,\(existing),汽车之家,湖北省,松滋市,,,,,\r
            廖国峰,\(new[2]),传单,湖北省,黄冈市,,,,,\r

            """
        // A dry run: the full report, and nothing written.
        var reply = try await suite.request(.POST, "/api/v1/leads/imports?dryRun=true", token: manager, rawBody: csv, contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        func check(_ reply: Suite.Reply) throws {
            XCTAssertEqual(reply.json["rows"] as? Int, 7)
            XCTAssertEqual(reply.json["created"] as? Int, 2)
            XCTAssertEqual(reply.json["duplicates"] as? Int, 2)
            XCTAssertEqual(reply.json["rejected"] as? Int, 3)
            let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
            let byRow = Dictionary(uniqueKeysWithValues: results.map { ($0["row"] as! Int, $0) })
            XCTAssertEqual(byRow[2]?["outcome"] as? String, "created")
            XCTAssertEqual(byRow[3]?["outcome"] as? String, "created")
            XCTAssertEqual(byRow[4]?["outcome"] as? String, "rejected")
            XCTAssertEqual((byRow[4]?["errors"] as? [[String: Any]])?.first?["field"] as? String, "手机号码")
            XCTAssertEqual((byRow[5]?["errors"] as? [[String: Any]])?.first?["field"] as? String, "客户姓名")
            XCTAssertEqual(byRow[6]?["reason"] as? String, "repeated_in_import")
            XCTAssertEqual(byRow[7]?["reason"] as? String, "exists")
            XCTAssertEqual((byRow[8]?["errors"] as? [[String: Any]])?.first?["field"] as? String, "数据来源")
            let message = (byRow[8]?["errors"] as? [[String: Any]])?.first?["message"] as? String ?? ""
            XCTAssertTrue(message.contains("must be one of: autohome (汽车之家)"), "the allowed sources with their labels: \(message)")
        }
        try check(reply)
        let written = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.lead WHERE mobile IN ('\(new[0])', '\(new[1])')")
        XCTAssertEqual(written, 0, "a dry run writes nothing")
        let listed = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.duplicate_lead WHERE mobile = '\(existing)'")
        XCTAssertEqual(listed, 0)

        reply = try await suite.request(.POST, "/api/v1/leads/imports", token: manager, rawBody: csv, contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        try check(reply)
        let leads = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.lead WHERE mobile IN ('\(new[0])', '\(new[1])', '\(new[2])')")
        XCTAssertEqual(leads, 2, "only the good rows are written")
        // The imported leads are announced after the import (the backlog), and Prospects learns them.
        let announced = try await eventually(timeout: .seconds(10)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.known_lead WHERE mobile IN ('\(new[0])', '\(new[1])')") == 2
        }
        XCTAssertTrue(announced, "Prospects knows both imported leads")
        let backlog = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.announcement_backlog")
        XCTAssertEqual(backlog, 0, "the backlog is empty once announced")
        reply = try await suite.request(.GET, "/api/v1/leads/duplicates?mobile=\(existing)", token: manager)
        XCTAssertEqual(reply.items.count, 1)
        reply = try await suite.request(.GET, "/api/v1/leads/duplicates?mobile=\(new[0])", token: manager)
        XCTAssertEqual(reply.items.first?["reason"] as? String, "repeated_in_import")

        // A file without the mobile column is refused as a whole.
        reply = try await suite.request(.POST, "/api/v1/leads/imports", token: manager, rawBody: "客户姓名,城市\r\n陈云,武汉\r\n", contentType: "text/csv")
        XCTAssertEqual(reply.status, 422)
        XCTAssertEqual(reply.problemFields, ["file"])
        // The template opens in a spreadsheet reader with the import's columns.
        reply = try await suite.request(.GET, "/api/v1/leads/imports/template?format=xlsx", token: manager)
        XCTAssertEqual(try Spreadsheet.read(reply.body).first, ["客户姓名", "手机号码", "数据来源", "省份", "城市", "品牌", "车系", "车型", "级别", "备注"])
    }

    func testAnXLSXImportReadsLikeItsCSV() async throws {
        let manager = try await suite.login("sales.manager.1")
        let mobiles = (0..<2).map { _ in Self.mobile() }
        // A workbook as Excel writes one: shared strings, a mobile stored as a number, an empty cell.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("leads-\(UUID()).xlsx")
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try OpenAPIOperations.runPython("""
            import sys, openpyxl
            book = openpyxl.Workbook()
            sheet = book.active
            sheet.append(["客户姓名", "手机号码", "数据来源", "省份", "城市", "品牌", "车系", "车型", "级别", "备注"])
            sheet.append(["陈云", int(sys.argv[2]), "汽车之家", "湖北省", "武汉市", None, "XT5", None, "A", "周末到店"])
            sheet.append(["李鹏", sys.argv[3], "易车", None, None, None, None, None, None, None])
            sheet.append(["李尚辉", "1895615537", "易车", None, None, None, None, None, None, None])
            book.save(sys.argv[1])
            """, arguments: [file.path, mobiles[0], mobiles[1]])
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(suite.gateway.port)/api/v1/leads/imports")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(manager)")
        request.headers.add(name: "Content-Type", value: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        request.body = .bytes(ByteBuffer(data: try Data(contentsOf: file)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        XCTAssertEqual(response.status.code, 200, String(buffer: body))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
        XCTAssertEqual(report["created"] as? Int, 2)
        XCTAssertEqual(report["rejected"] as? Int, 1)
        let reply = try await suite.request(.GET, "/api/v1/leads/leads?mobile=\(mobiles[0])", token: manager)
        XCTAssertEqual(reply.items.first?["name"] as? String, "陈云")
        XCTAssertEqual(reply.items.first?["series"] as? String, "XT5")
        XCTAssertEqual(reply.items.first?["level"] as? String, "A")
    }

    func testAnImportInterruptedByACrashLeavesNothingHalfDone() async throws {
        let manager = try await suite.login("sales.manager.1")
        let prefix = "136" + String(format: "%02d", Int.random(in: 0...99))
        var csv = "客户姓名,手机号码,数据来源\r\n"
        for index in 0..<60_000 { csv += "客户\(index),\(prefix)\(String(format: "%06d", index)),汽车之家\r\n" }
        let leads = try XCTUnwrap(suite.process(.leads))
        // Hold the import inside its transaction, deterministically: with the backlog table
        // locked, the import's last statement waits — after all its leads are inserted.
        let locker = Task {
            try await suite.database.client.withConnection { connection in
                try await connection.query("BEGIN", logger: Self.logger)
                try await connection.query("LOCK TABLE leads.announcement_backlog IN ACCESS EXCLUSIVE MODE", logger: Self.logger)
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                try await connection.query("ROLLBACK", logger: Self.logger)
            }
        }
        let locked = try await eventually(timeout: .seconds(10)) {
            try await suite.database.scalar("""
                SELECT count(*)::int8 FROM pg_locks WHERE relation = 'leads.announcement_backlog'::regclass AND mode = 'AccessExclusiveLock' AND granted
                """) == 1
        }
        XCTAssertTrue(locked)
        let upload = Task { try? await suite.request(.POST, "/api/v1/leads/imports", token: manager, rawBody: csv, contentType: "text/csv", timeout: 120) }
        let started = try await eventually(timeout: .seconds(30)) {
            try await suite.database.scalar("""
                SELECT count(*)::int8 FROM pg_stat_activity
                WHERE usename = 'crm_leads' AND query LIKE 'INSERT INTO leads.announcement_backlog%' AND wait_event_type = 'Lock'
                """) > 0
        }
        XCTAssertTrue(started, "the import inserted its leads and waits to finish")
        leads.signal(SIGKILL)
        _ = await upload.value
        locker.cancel()
        _ = try? await locker.value
        // PostgreSQL rolls the transaction back once it notices the connection is gone.
        // Only the CSV's rows: other tests' leads may share the five-digit prefix (13645015433).
        let sql = """
            SELECT count(*)::int8 FROM leads.lead
            WHERE mobile LIKE '\(prefix)%' AND name = '客户' || substr(mobile, 6)::int::text
            """
        _ = try await eventually(timeout: .seconds(10)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM pg_stat_activity WHERE usename = 'crm_leads'") == 0
        }
        let written = try await suite.database.scalar(sql)
        XCTAssertEqual(written, 0, "the killed import left no lead behind")
    }
}
