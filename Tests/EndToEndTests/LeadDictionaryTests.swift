import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Leads with the data dictionaries (G5): the export prints each store's labels, a store's change
/// shows in its own export only, coded fields are checked against the store's sets — every bad
/// field at once, with the allowed codes and their labels — and defeat reasons are codes of
/// `defeatReason`, a disabled one refused on a new defeat and still shown on the old ones.
final class LeadDictionaryTests: XCTestCase {
    var suite: Suite!
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    let store2 = StoreID.forStoreCode("HX000002").uuidString

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    static func mobile() -> String { "135" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    /// Changes an entry of a store's set as the administrator.
    func change(_ set: String, _ code: String, store: String, _ fields: [String: Any]) async throws {
        let admin = try await suite.login("admin")
        let reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/\(set)/entries/\(code)", token: admin, json: fields.merging(["storeId": store]) { $1 })
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    /// The lead export of the caller, filtered by mobile, read with openpyxl: the header row and
    /// the lead's row as a dictionary by header.
    func exportedRow(mobile: String, token: String) async throws -> [String: String]? {
        let reply = try await suite.request(.GET, "/api/v1/leads/leads/export?format=xlsx&mobile=\(mobile)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let rows = try Spreadsheet.read(reply.body)
        guard let headers = rows.first, let row = rows.dropFirst().first(where: { $0.contains(mobile) }) else { return nil }
        return Dictionary(zip(headers, row), uniquingKeysWith: { first, _ in first })
    }

    func enter(_ fields: [String: Any], token: String) async throws -> [String: Any] {
        let reply = try await suite.request(.POST, "/api/v1/leads/leads", token: token, json: fields)
        XCTAssertEqual(reply.status, 201, reply.text)
        return reply.json["lead"] as? [String: Any] ?? [:]
    }

    func testTheExportPrintsLabelsAndARelabelShowsInItsStoreOnly() async throws {
        let manager1 = try await suite.login("sales.manager.1")
        let manager2 = try await suite.login("sales.manager.2")
        let mobile1 = Self.mobile(), mobile2 = Self.mobile()
        _ = try await enter(["name": "陈云", "mobile": mobile1, "source": "website", "gender": "female", "level": "A"], token: manager1)
        _ = try await enter(["name": "李鹏", "mobile": mobile2, "source": "website", "gender": "male", "level": "C"], token: manager2)

        // Every coded column holds the store's label, not the code.
        var exported = try await exportedRow(mobile: mobile1, token: manager1)
        var row = try XCTUnwrap(exported)
        XCTAssertEqual(row["数据来源"], "官网")
        XCTAssertEqual(row["性别"], "女")
        XCTAssertEqual(row["级别"], "A级（15天内）")
        XCTAssertEqual(row["状态"], "待分配")
        XCTAssertEqual(row["战败原因"], "")

        // Store 1 renames 官网; store 1's export says so at once the service has learned it, store 2's never.
        let word = "品牌官网\(Int.random(in: 1000...9999))"
        try await change("leadSource", "website", store: store1, ["label": word])
        let relabelled = try await eventually(timeout: .seconds(15)) {
            try await self.exportedRow(mobile: mobile1, token: manager1)?["数据来源"] == word
        }
        XCTAssertTrue(relabelled, "store 1's export shows its new label")
        exported = try await exportedRow(mobile: mobile2, token: manager2)
        row = try XCTUnwrap(exported)
        XCTAssertEqual(row["数据来源"], "官网", "store 2 keeps its word")
        XCTAssertEqual(row["性别"], "男")
        XCTAssertEqual(row["级别"], "C级（30天以上）")
        // The API keeps the code.
        let listed = try await suite.request(.GET, "/api/v1/leads/leads?mobile=\(mobile1)", token: manager1)
        XCTAssertEqual(listed.items.first?["source"] as? String, "website")

        try await change("leadSource", "website", store: store1, ["label": "官网"])
    }

    func testEveryBadFieldIsNamedAtOnceWithTheAllowedCodesAndLabels() async throws {
        let manager = try await suite.login("sales.manager.1")
        var reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: [
            "name": "陈云", "mobile": "1234", "source": "weird", "gender": "x", "level": "Z",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["mobile", "source", "gender", "level"], reply.text)
        func message(_ field: String) -> String {
            ((reply.json["errors"] as? [[String: Any]])?.first { $0["field"] as? String == field }?["message"] as? String) ?? ""
        }
        XCTAssertTrue(message("source").contains("must be one of: autohome (汽车之家), yiche (易车)"), message("source"))
        XCTAssertTrue(message("gender").contains("male (男), female (女)"), message("gender"))
        XCTAssertTrue(message("level").contains("H (H级（7天内购车）)"), message("level"))
        XCTAssertFalse(reply.text.contains("Cannot initialize"), "no decoder text: \(reply.text)")

        // A follow-up: two bad codes and an empty content, in one answer.
        let lead = try await enter(["name": "李鹏", "mobile": Self.mobile(), "source": "phone"], token: try await suite.login("consultant.1"))
        let leadID = try XCTUnwrap(lead["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/follow-ups", token: manager, json: [
            "channel": "pigeon", "content": " ", "level": "X",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["channel", "content", "level"], reply.text)
        XCTAssertTrue(message("channel").contains("wechat (微信)"), message("channel"))

        // Filters: unknown codes are named too, all at once.
        reply = try await suite.request(.GET, "/api/v1/leads/leads?source=weird&state=lost&level=A", token: manager)
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["source", "state"], reply.text)
        XCTAssertTrue(message("state").contains("new (待分配)"), message("state"))
    }

    func testAStoresOwnSourceIsItsAloneAndAnnouncedAsOther() async throws {
        let manager1 = try await suite.login("sales.manager.1")
        let manager2 = try await suite.login("sales.manager.2")
        let code = "douyin_\(Int.random(in: 1000...9999))"
        try await change("leadSource", code, store: store1, ["label": "抖音"])
        let mobile = Self.mobile()
        var entered: Suite.Reply?
        let accepted = try await eventually(timeout: .seconds(15)) {
            entered = try await self.suite.request(.POST, "/api/v1/leads/leads", token: manager1, json: ["name": "宋佳", "mobile": mobile, "source": code])
            return entered?.status == 201
        }
        XCTAssertTrue(accepted, "store 1 takes its own source once the service learned it: \(entered?.text ?? "")")
        XCTAssertEqual((entered?.json["lead"] as? [String: Any])?["source"] as? String, code)
        let exported = try await exportedRow(mobile: mobile, token: manager1)
        XCTAssertEqual(exported?["数据来源"], "抖音")
        var reply = try await suite.request(.GET, "/api/v1/leads/leads?source=\(code)", token: manager1)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.items.compactMap { $0["mobile"] as? String }, [mobile])

        // Store 2 has no such source.
        reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager2, json: ["name": "宋佳", "mobile": Self.mobile(), "source": code])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["source"])
        // leads.lead.changed.v1 lists the built-in sources only: a store's own is announced as `other`.
        let announced = try await eventually(timeout: .seconds(10)) {
            try await self.suite.database.scalar("SELECT count(*)::int8 FROM prospects.known_lead WHERE mobile = '\(mobile)' AND source = 'other'") == 1
        }
        XCTAssertTrue(announced)
        // Disabled, it is refused on a new lead and still shown on the old one.
        try await change("leadSource", code, store: store1, ["enabled": false])
        let refused = try await eventually(timeout: .seconds(15)) {
            try await self.suite.request(.POST, "/api/v1/leads/leads", token: manager1, json: [
                "name": "宋佳", "mobile": Self.mobile(), "source": code,
            ]).status == 422
        }
        XCTAssertTrue(refused)
        let stillShown = try await exportedRow(mobile: mobile, token: manager1)
        XCTAssertEqual(stillShown?["数据来源"], "抖音")
    }

    func testADisabledDefeatReasonIsRefusedOnANewDefeatAndShownOnTheOldOne() async throws {
        let manager = try await suite.login("sales.manager.1")
        var leads: [[String: Any]] = []
        for _ in 0..<3 { leads.append(try await enter(["name": "廖国峰", "mobile": Self.mobile(), "source": "autohome"], token: manager)) }
        let ids = try leads.map { try XCTUnwrap($0["id"] as? String) }
        let mobiles = try leads.map { try XCTUnwrap($0["mobile"] as? String) }

        // Free text is no reason any more: the answer lists the reasons there are.
        var reply = try await suite.request(.POST, "/api/v1/leads/leads/\(ids[0])/defeat", token: manager, json: ["reason": "价格"])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["reason"])
        XCTAssertTrue(reply.text.contains("price (价格因素)"), reply.text)

        // A reason of the store's own, used once, then disabled.
        let code = "abroad_\(Int.random(in: 1000...9999))"
        let word = "客户出国\(Int.random(in: 1000...9999))"
        try await change("defeatReason", code, store: store1, ["label": word])
        let defeated = try await eventually(timeout: .seconds(15)) {
            reply = try await self.suite.request(.POST, "/api/v1/leads/leads/\(ids[0])/defeat", token: manager, json: ["reason": code])
            return reply.status == 200
        }
        XCTAssertTrue(defeated, reply.text)
        XCTAssertEqual(reply.json["defeatReason"] as? String, code)
        try await change("defeatReason", code, store: store1, ["enabled": false])
        // Wait until Leads has learned it (trying a defeat meanwhile would succeed and spoil the lead).
        let learned = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM leads.directory_dictionary
                WHERE store_id = '\(self.store1)' AND set_name = 'defeatReason' AND entries @> '[{"code": "\(code)", "enabled": false}]'
                """) == 1
        }
        XCTAssertTrue(learned)
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(ids[1])/defeat", token: manager, json: ["reason": code])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["reason"])
        XCTAssertTrue(reply.text.contains("disabled"), reply.text)
        XCTAssertTrue(reply.text.contains("competitor (在其他经销商购买)"), "the refusal lists the allowed reasons: \(reply.text)")
        XCTAssertFalse(reply.text.contains("\(code) (\(word)),"), "…not the disabled one")
        reply = try await suite.request(.GET, "/api/v1/leads/leads/\(ids[1])", token: manager)
        XCTAssertEqual(reply.json["state"] as? String, "new", "the refused defeat changed nothing")

        // The old defeat keeps its reason: the API's code, the export's label.
        reply = try await suite.request(.GET, "/api/v1/leads/leads/\(ids[0])", token: manager)
        XCTAssertEqual(reply.json["defeatReason"] as? String, code)
        let old = try await exportedRow(mobile: mobiles[0], token: manager)
        XCTAssertEqual(old?["战败原因"], word)
        XCTAssertEqual(old?["状态"], "已战败")
        // A lead defeated before the dictionary shows the text it was given.
        _ = try await suite.database.scalar("""
            UPDATE leads.lead SET state = 'defeated', defeat_reason = '已在他店购车', defeated_at = now() WHERE id = '\(ids[2])' RETURNING 1
            """)
        let older = try await exportedRow(mobile: mobiles[2], token: manager)
        XCTAssertEqual(older?["战败原因"], "已在他店购车")
    }

    func testAnImportReadsCodesAndTheStoresLabels() async throws {
        let manager = try await suite.login("sales.manager.1")
        let word = "来电咨询\(Int.random(in: 1000...9999))"
        try await change("leadSource", "phone", store: store1, ["label": word])
        let learned = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM leads.directory_dictionary
                WHERE store_id = '\(self.store1)' AND set_name = 'leadSource' AND entries @> '[{"code": "phone", "label": "\(word)"}]'
                """) == 1
        }
        XCTAssertTrue(learned)
        let mobiles = (0..<4).map { _ in Self.mobile() }
        let csv = """
            客户姓名,手机号码,数据来源,级别\r
            陈云,\(mobiles[0]),\(word),A级（15天内）\r
            李鹏,\(mobiles[1]),yiche,h\r
            宋佳,\(mobiles[2]),汽车之家,\r
            廖国峰,\(mobiles[3]),传单,Z\r

            """
        let reply = try await suite.request(.POST, "/api/v1/leads/imports", token: manager, rawBody: csv, contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["created"] as? Int, 3, reply.text)
        let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        let errors = try XCTUnwrap(results.first { $0["row"] as? Int == 5 }?["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.compactMap { $0["field"] as? String }, ["数据来源", "级别"], "both bad columns of the row")
        XCTAssertTrue((errors.first?["message"] as? String ?? "").contains("phone (\(word))"), "the store's words: \(errors)")
        for (mobile, source, level) in [(mobiles[0], "phone", "A"), (mobiles[1], "yiche", "H"), (mobiles[2], "autohome", "B")] {
            let lead = try await suite.request(.GET, "/api/v1/leads/leads?mobile=\(mobile)", token: manager).items.first
            XCTAssertEqual(lead?["source"] as? String, source)
            XCTAssertEqual(lead?["level"] as? String, level)
        }
        try await change("leadSource", "phone", store: store1, ["label": "电话"])
    }
}

