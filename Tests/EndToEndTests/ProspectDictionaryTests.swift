import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Prospects and the data dictionaries (G5), through the gateway on the Prospects clock of
/// `ProspectsTests` (2026-11-22 10:00 in Shanghai): every export prints the store's words for
/// codes, as openpyxl reads them; a relabel in store 1 is store 1's alone, in exports, the
/// agreement and the traffic import; a write names every bad code at once with the allowed
/// codes and their words; a disabled defeat reason is refused on a new defeat and still shown on
/// the old one. Every change a test makes to store 1's dictionaries is undone at its end.
final class ProspectDictionaryTests: XCTestCase {
    var suite: Suite!
    var clock: TestClockFile!
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    let store2 = StoreID.forStoreCode("HX000002").uuidString

    override func setUp() async throws {
        clock = try TestClockFile(ProspectsTests.start)
        suite = try await Suite.start(prospectsEnvironment: clock.environment)
    }

    override func tearDown() async throws {
        await suite?.stop()
        clock?.remove()
    }

    // MARK: helpers

    /// A visitor registered in the caller's store; the prospect's id.
    @discardableResult
    func register(_ mobile: String, as token: String, name: String = "顾客", _ fields: [String: Any] = [:]) async throws -> String {
        var body: [String: Any] = [
            "name": name, "mobile": mobile, "arrival": "showroom", "arrivedAt": "2026-11-22T01:30:00Z",
            "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": "B",
        ]
        body.merge(fields) { _, given in given }
        let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: token, json: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return try XCTUnwrap((reply.json["prospect"] as? [String: Any])?["id"] as? String, reply.text)
    }

    /// The store's words for a set's codes, as the gateway serves them to the caller's store.
    func words(_ set: String, token: String) async throws -> [String: String] {
        let reply = try await suite.request(.GET, "/api/v1/dictionaries/\(set)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        var words: [String: String] = [:]
        for entry in reply.json["entries"] as? [[String: Any]] ?? [] {
            if let code = entry["code"] as? String, let label = entry["label"] as? String { words[code] = label }
        }
        return words
    }

    /// An export as openpyxl reads it.
    func sheet(_ path: String, token: String) async throws -> ExportedSheet {
        let reply = try await suite.request(.GET, path, token: token)
        XCTAssertEqual(reply.status, 200, "\(path): \(reply.text)")
        XCTAssertTrue(reply.body.starts(with: Data([0x50, 0x4B])), "\(path) is an .xlsx")
        return ExportedSheet(try Spreadsheet.read(reply.body))
    }

    /// Changes an entry of a store's set as the administrator.
    func change(_ set: String, _ code: String, store: String, _ fields: [String: Any]) async throws {
        let admin = try await suite.login("admin")
        var body = fields
        body["storeId"] = store
        let reply = try await suite.request(.PUT, "/api/v1/identity/dictionaries/\(set)/entries/\(code)", token: admin, json: body)
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    /// Waits until Prospects keeps the store's set with these entries (code, and label or enabled).
    func waitUntilLearned(_ set: String, store: String, _ entries: [[String: Any]]) async throws {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
        let learned = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM prospects.directory_dictionary
                WHERE store_id = '\(store)' AND set_name = '\(set)' AND entries @> '\(json)'::jsonb
                """) == 1
        }
        XCTAssertTrue(learned, "Prospects learned \(set) of store \(store): \(json)")
    }

    /// Runs `body`, then `restore` — also when `body` fails.
    func restoring(_ restore: () async throws -> Void, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            try? await restore()
            throw error
        }
        try await restore()
    }

    func message(_ reply: Suite.Reply, _ field: String) -> String {
        (reply.json["errors"] as? [[String: Any]])?.first { $0["field"] as? String == field }?["message"] as? String ?? ""
    }

    // MARK: every export

    /// One customer through everything Prospects exports — traffic, follow-up, test drive,
    /// proposal, an ERP order and its delivery — and a defeated one: every coded column of every
    /// export holds the store's word, never the code.
    func testEveryExportPrintsTheStoresWordsForTheCodes() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")
        var word: [String: [String: String]] = [:]
        for set in ["gender", "trafficArrival", "prospectCategory", "prospectSource", "trafficNature", "prospectLevel", "prospectState",
                    "defeatReason", "followUpMethod", "followUpContent", "followUpResult", "nextFollowUpContent", "testDriveKind", "testDriveState"] {
            word[set] = try await words(set, token: manager)
        }
        func label(_ set: String, _ code: String) -> String {
            let label = word[set]?[code] ?? ""
            XCTAssertFalse(label.isEmpty || label == code, "\(set) has a word for \(code)")
            return label
        }

        let mobile = ProspectsTests.mobile()
        let prospectID = try await register(mobile, as: consultant, name: "字典甲", [
            "gender": "female", "arrival": "phone", "category": "key_account", "source": "referral", "nature": "second_visit", "level": "A",
            "brand": "凯迪拉克", "series": "XT5", "model": "2026款 28T 豪华型",
        ])
        var reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
            "level": "H", "method": "phone", "contents": ["negotiation", "invite"], "result": "continue", "contact": "first",
            "note": "字典跟进", "valid": true, "next": ["method": "showroom", "content": "test_drive", "comesTomorrow": false],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["contents"] as? [String], ["invite", "negotiation"], "the API keeps codes")
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: [
            "name": "字典线\(Int.random(in: 10_000...99_999))", "distanceKm": 6, "minutes": 20,
        ])
        let routeID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: [
            "prospectId": prospectID, "routeId": routeID, "kind": "ride", "bookedFor": "2026-11-22T07:00:00Z",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["kind"] as? String, "ride")
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/proposals", token: consultant, json: ["listPrice": 300000])
        let proposalNo = try XCTUnwrap(reply.json["proposalNo"] as? String, reply.text)

        let defeatedMobile = ProspectsTests.mobile()
        let defeatedID = try await register(defeatedMobile, as: consultant, name: "字典乙")
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(defeatedID)/defeat", token: consultant, json: ["reason": "price"])
        XCTAssertEqual(reply.json["defeatReason"] as? String, "price", reply.text)

        // The ERP orders and delivers the car: level O, delivered; an order and a retained customer.
        let orderNo = "SN" + String(Int.random(in: 10_000_000...99_999_999))
        try await BrokerQueues.publish([CloudEvent(source: "/erp/HX000001", data: ERPSalesOrderCreated(
            storeCode: "HX000001", orderNo: orderNo, customer: Person(name: "字典甲", mobile: mobile), brand: "凯迪拉克", series: "XT5",
            model: "2026款 28T 豪华型", color: "珍珠白", amount: Decimal(string: "298000.00")!, deposit: nil, consultant: "王磊", createdAt: Date()))])
        try await BrokerQueues.publish([CloudEvent(source: "/erp/HX000001", data: ERPVehicleDelivered(
            storeCode: "HX000001", orderNo: orderNo, vin: "LSGKB54H7NA654321", customer: Person(name: "字典甲", mobile: mobile),
            brand: "凯迪拉克", series: "XT5", model: "2026款 28T 豪华型", consultant: "王磊", deliveredAt: Date()))])
        let delivered = try await eventually(timeout: .seconds(10)) {
            let prospect = try await self.suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: manager)
            let order = try await self.suite.request(.GET, "/api/v1/prospects/orders?orderNo=\(orderNo)", token: manager).items.first
            return prospect.json["state"] as? String == "delivered" && order?["amount"] != nil && order?["deliveredAt"] != nil
        }
        XCTAssertTrue(delivered)

        // 潜在客户
        var exported = try await sheet("/api/v1/prospects/prospects/export?format=xlsx&mobile=\(mobile)", token: manager)
        var row = try XCTUnwrap(exported.row("手机号码", mobile), "\(exported)")
        XCTAssertEqual(row["性别"], label("gender", "female"))
        XCTAssertEqual(row["登记大类"], label("prospectCategory", "key_account"))
        XCTAssertEqual(row["客户来源"], label("prospectSource", "referral"))
        XCTAssertEqual(row["意向级别"], label("prospectLevel", "O"))
        XCTAssertEqual(row["状态"], label("prospectState", "delivered"))
        exported = try await sheet("/api/v1/prospects/prospects/export?format=xlsx&mobile=\(defeatedMobile)", token: manager)
        row = try XCTUnwrap(exported.row("手机号码", defeatedMobile), "\(exported)")
        XCTAssertEqual(row["状态"], label("prospectState", "defeated"))
        XCTAssertEqual(row["战败原因"], label("defeatReason", "price"))
        XCTAssertEqual(row["意向级别"], label("prospectLevel", "B"))

        // 流量登记
        exported = try await sheet("/api/v1/prospects/traffic/export?format=xlsx&mobile=\(mobile)", token: manager)
        row = try XCTUnwrap(exported.row("手机号码", mobile), "\(exported)")
        XCTAssertEqual(row["登记方式"], label("trafficArrival", "phone"))
        XCTAssertEqual(row["登记大类"], label("prospectCategory", "key_account"))
        XCTAssertEqual(row["客户来源"], label("prospectSource", "referral"))
        XCTAssertEqual(row["获取性质"], label("trafficNature", "second_visit"))
        XCTAssertEqual(row["结果"], "新建潜客")

        // 潜客跟进记录
        exported = try await sheet("/api/v1/prospects/follow-ups/export?format=xlsx&prospectId=\(prospectID)", token: manager)
        row = try XCTUnwrap(exported.row("手机号码", mobile), "\(exported)")
        XCTAssertEqual(row["当前级别"], label("prospectLevel", "A"))
        XCTAssertEqual(row["新级别"], label("prospectLevel", "H"))
        XCTAssertEqual(row["跟进方式"], label("followUpMethod", "phone"))
        XCTAssertEqual(row["跟进内容"], "\(label("followUpContent", "invite"))、\(label("followUpContent", "negotiation"))")
        XCTAssertEqual(row["跟进结果"], label("followUpResult", "continue"))
        XCTAssertEqual(row["下次跟进内容"], label("nextFollowUpContent", "test_drive"))

        // 试乘试驾
        exported = try await sheet("/api/v1/prospects/test-drives/export?format=xlsx&prospectId=\(prospectID)", token: manager)
        row = try XCTUnwrap(exported.row("联系手机", mobile), "\(exported)")
        XCTAssertEqual(row["类型"], label("testDriveKind", "ride"))
        XCTAssertEqual(row["状态"], label("testDriveState", "booked"))

        // 购车建议书, 订单客户, 销售保有客户: no coded columns; what they print reads.
        exported = try await sheet("/api/v1/prospects/proposals/export?format=xlsx&prospectId=\(prospectID)", token: manager)
        row = try XCTUnwrap(exported.row("建议书编号", proposalNo), "\(exported)")
        XCTAssertEqual(row["车型"], "凯迪拉克 XT5 2026款 28T 豪华型")
        XCTAssertEqual(row["客户名称"], "字典甲")
        for path in ["orders", "retained-customers"] {
            exported = try await sheet("/api/v1/prospects/\(path)/export?format=xlsx&orderNo=\(orderNo)", token: manager)
            row = try XCTUnwrap(exported.row("订单编号", orderNo), "\(path): \(exported)")
            XCTAssertEqual(row["手机号码"], mobile)
            XCTAssertEqual(row["销售顾问"], "王磊")
            XCTAssertEqual(row["颜色"], "珍珠白", path)
        }

        // The import template's example row is in the store's words too.
        exported = try await sheet("/api/v1/prospects/traffic/imports/template?format=xlsx", token: manager)
        row = try XCTUnwrap(exported.row("客户姓名", "巴奔"), "\(exported)")
        XCTAssertEqual(row["性别"], label("gender", "male"))
        XCTAssertEqual(row["登记方式"], label("trafficArrival", "showroom"))
        XCTAssertEqual(row["登记大类"], label("prospectCategory", "showroom"))
        XCTAssertEqual(row["客户来源"], label("prospectSource", "walk_in"))
        XCTAssertEqual(row["获取性质"], label("trafficNature", "first_visit"))
    }

    // MARK: a store's own words

    /// Store 1 relabels 自然到店, adds a source of its own and relabels 试乘: store 1's exports,
    /// its test-drive agreement and its traffic import use its words; store 2's keep the
    /// catalogue's, a group-wide export shows each row in its store's words, and store 2 may not
    /// use store 1's source.
    func testARelabelIsItsStoresAloneInExportsTheAgreementAndTheImport() async throws {
        let tag = String(Int.random(in: 1000...9999))
        let walkIn = "进店客\(tag)"
        let douyin = "douyin_\(tag)"
        let douyinWord = "抖音\(tag)"
        let ride = "陪同试乘\(tag)"
        let catalogueWalkIn = try XCTUnwrap(DataDictionaries.prospectSource.label(of: "walk_in"))
        let catalogueRide = try XCTUnwrap(DataDictionaries.testDriveKind.label(of: "ride"))
        try await restoring({
            try await self.change("prospectSource", "walk_in", store: self.store1, ["label": catalogueWalkIn])
            try await self.change("prospectSource", douyin, store: self.store1, ["enabled": false])
            try await self.change("testDriveKind", "ride", store: self.store1, ["label": catalogueRide])
            try await self.waitUntilLearned("prospectSource", store: self.store1, [["code": "walk_in", "label": catalogueWalkIn], ["code": douyin, "enabled": false]])
            try await self.waitUntilLearned("testDriveKind", store: self.store1, [["code": "ride", "label": catalogueRide]])
        }) {
            try await change("prospectSource", "walk_in", store: store1, ["label": walkIn])
            try await change("prospectSource", douyin, store: store1, ["label": douyinWord])
            try await change("testDriveKind", "ride", store: store1, ["label": ride])
            try await waitUntilLearned("prospectSource", store: store1, [["code": "walk_in", "label": walkIn], ["code": douyin, "label": douyinWord]])
            try await waitUntilLearned("testDriveKind", store: store1, [["code": "ride", "label": ride]])

            let consultant1 = try await suite.login("consultant.1")
            let consultant2 = try await suite.login("consultant.2")
            let name = "字典\(tag)"
            let (mobile1, mobile2, mobile3) = (ProspectsTests.mobile(), ProspectsTests.mobile(), ProspectsTests.mobile())
            let prospect1 = try await register(mobile1, as: consultant1, name: name)
            try await register(mobile2, as: consultant2, name: name)
            try await register(mobile3, as: consultant1, name: name, ["source": douyin])
            var reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant2, json: [
                "name": name, "mobile": ProspectsTests.mobile(), "arrival": "showroom", "arrivedAt": "2026-11-22T01:30:00Z",
                "category": "showroom", "source": douyin, "nature": "first_visit",
            ])
            XCTAssertEqual(reply.status, 422, "store 1's source is not store 2's: \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["source"])
            XCTAssertTrue(message(reply, "source").contains("walk_in (\(catalogueWalkIn))"), reply.text)
            XCTAssertFalse(message(reply, "source").contains(douyin), reply.text)

            // Each store's export in its own words; the group's export each row in its store's.
            let manager1 = try await suite.login("sales.manager.1")
            let manager2 = try await suite.login("sales.manager.2")
            let admin = try await suite.login("admin")
            let encodedName = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let query = "format=xlsx&name=\(encodedName)"
            var exported = try await sheet("/api/v1/prospects/prospects/export?\(query)", token: manager1)
            XCTAssertEqual(exported.row("手机号码", mobile1)?["客户来源"], walkIn, "\(exported)")
            XCTAssertEqual(exported.row("手机号码", mobile3)?["客户来源"], douyinWord, "\(exported)")
            XCTAssertNil(exported.row("手机号码", mobile2), "store 2's prospect is not store 1's")
            exported = try await sheet("/api/v1/prospects/prospects/export?\(query)", token: manager2)
            XCTAssertEqual(exported.row("手机号码", mobile2)?["客户来源"], catalogueWalkIn, "store 2 keeps its word: \(exported)")
            exported = try await sheet("/api/v1/prospects/prospects/export?\(query)", token: admin)
            XCTAssertEqual(exported.row("手机号码", mobile1)?["客户来源"], walkIn, "\(exported)")
            XCTAssertEqual(exported.row("手机号码", mobile2)?["客户来源"], catalogueWalkIn, "\(exported)")
            XCTAssertEqual(exported.row("手机号码", mobile3)?["客户来源"], douyinWord, "\(exported)")
            exported = try await sheet("/api/v1/prospects/traffic/export?format=xlsx&mobile=\(mobile1)", token: manager1)
            XCTAssertEqual(exported.row("手机号码", mobile1)?["客户来源"], walkIn, "\(exported)")
            exported = try await sheet("/api/v1/prospects/traffic/export?format=xlsx&mobile=\(mobile2)", token: manager2)
            XCTAssertEqual(exported.row("手机号码", mobile2)?["客户来源"], catalogueWalkIn, "\(exported)")
            reply = try await suite.request(.GET, "/api/v1/prospects/prospects?source=\(douyin)&name=\(encodedName)", token: manager1)
            XCTAssertEqual(reply.items.compactMap { $0["mobile"] as? String }, [mobile3], "the store's own source filters: \(reply.text)")

            // The import reads the store's words, the catalogue's and the code; not a word nobody uses.
            let (fresh1, fresh2, fresh3, fresh4) = (ProspectsTests.mobile(), ProspectsTests.mobile(), ProspectsTests.mobile(), ProspectsTests.mobile())
            let csv = """
                客户姓名,手机号码,到店时间,客户来源
                甲,\(fresh1),2026-11-22 09:00,\(walkIn)
                乙,\(fresh2),2026-11-22 09:10,\(douyinWord)
                丙,\(fresh3),2026-11-22 09:20,\(catalogueWalkIn)
                丁,\(fresh4),2026-11-22 09:30,抖音
                """
            reply = try await suite.request(.POST, "/api/v1/prospects/traffic/imports", token: manager1, rawBody: csv, contentType: "text/csv")
            XCTAssertEqual(reply.status, 200, reply.text)
            let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]], reply.text)
            XCTAssertEqual(results.map { $0["outcome"] as? String }, ["created", "created", "created", "rejected"], reply.text)
            let refusal = (results.last?["errors"] as? [[String: Any]])?.first { $0["field"] as? String == "客户来源" }?["message"] as? String ?? ""
            XCTAssertTrue(refusal.contains("\(douyin) (\(douyinWord))") && refusal.contains("walk_in (\(walkIn))"), "the allowed sources, in the store's words: \(refusal)")
            for (mobile, source) in [(fresh1, "walk_in"), (fresh2, douyin), (fresh3, "walk_in")] {
                reply = try await suite.request(.GET, "/api/v1/prospects/prospects?mobile=\(mobile)", token: manager1)
                XCTAssertEqual(reply.items.first?["source"] as? String, source, reply.text)
            }

            // The agreement is titled in the store's word for the kind.
            reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager1, json: [
                "name": "字典线\(tag)\(Int.random(in: 100...999))", "distanceKm": 6, "minutes": 20,
            ])
            let routeID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
            reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant1, json: [
                "prospectId": prospect1, "routeId": routeID, "kind": "ride", "bookedFor": "2026-11-22T08:00:00Z",
            ])
            let driveID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
            reply = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(driveID)/agreement", token: consultant1)
            XCTAssertEqual(reply.headers.first(name: "content-type"), "application/pdf")
            let agreement = try PDFReader(reply.body).text()
            XCTAssertTrue(agreement.contains("\(ride)协议"), "the agreement says \(ride)协议: \(agreement)")
            exported = try await sheet("/api/v1/prospects/test-drives/export?format=xlsx&prospectId=\(prospect1)", token: manager1)
            XCTAssertEqual(exported.row("联系手机", mobile1)?["类型"], ride, "\(exported)")
        }
    }

    // MARK: every bad code at once

    /// A body that parses gets every bad field named at once, a code with the store's allowed
    /// codes and their words; so do a list's filters and the store's sales settings.
    func testEveryBadCodeIsNamedAtOnceWithTheAllowedCodesAndWords() async throws {
        let consultant = try await suite.login("consultant.1")
        let manager = try await suite.login("sales.manager.1")
        let arrivals = try await words("trafficArrival", token: manager)
        let sources = try await words("prospectSource", token: manager)
        let reasons = try await words("defeatReason", token: manager)
        var reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
            "name": "错码", "mobile": "123", "arrival": "bus", "arrivedAt": "2026-11-22T01:30:00Z",
            "category": "showroom", "source": "weird", "nature": "first_visit",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["mobile", "arrival", "source"], reply.text)
        XCTAssertTrue(message(reply, "arrival").contains("must be one of: showroom (\(arrivals["showroom"]!)), phone (\(arrivals["phone"]!))"), reply.text)
        XCTAssertTrue(message(reply, "source").contains("referral (\(sources["referral"]!))"), reply.text)
        XCTAssertFalse(reply.text.contains("Cannot initialize"), "no decoder text: \(reply.text)")

        let prospectID = try await register(ProspectsTests.mobile(), as: consultant, name: "错码")
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
            "level": "O", "method": "fax", "contents": ["invite", "dance"], "result": "maybe", "contact": "first", "note": " ", "valid": true,
            "next": ["method": "phone", "content": "nope", "comesTomorrow": false],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["level", "method", "contents[1]", "result", "note", "next.content"], reply.text)
        XCTAssertTrue(message(reply, "method").contains("phone (电话回访)"), reply.text)
        XCTAssertTrue(message(reply, "contents[1]").contains("invite (邀约到店)"), reply.text)
        XCTAssertTrue(message(reply, "level").contains("O is set when the ERP has an order"), reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups?prospectId=\(prospectID)", token: consultant)
        XCTAssertEqual(reply.json["total"] as? Int, 0, "nothing was recorded")

        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: [
            "prospectId": prospectID, "routeId": UUID().uuidString, "kind": "fly", "bookedFor": "2026-11-22T08:00:00Z",
            "idNumber": "110105194912310021", "driverMobile": "123",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["kind", "idNumber", "driverMobile"], reply.text)
        XCTAssertTrue(message(reply, "kind").contains("ride (试乘), drive (试驾)"), reply.text)

        reply = try await suite.request(.GET, "/api/v1/prospects/prospects?source=weird&level=Z&state=active&consultantId=nobody", token: manager)
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["source", "level", "consultantId"], reply.text)
        XCTAssertTrue(message(reply, "level").contains("H (H级（7天内购车）)"), reply.text)
        for path in ["traffic?category=cave", "follow-ups?result=maybe", "test-drives?state=lost", "tasks?level=Z"] {
            reply = try await suite.request(.GET, "/api/v1/prospects/\(path)", token: manager)
            XCTAssertEqual(reply.status, 422, "\(path): \(reply.text)")
            XCTAssertTrue(reply.text.contains("must be one of: "), "\(path): \(reply.text)")
        }

        // The defeat pool's reasons are codes of the store's defeat reasons.
        reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: manager, json: [
            "defeatApproval": false, "defeatPool": true, "defeatPoolReasons": ["price", "价格"], "publicPool": false,
            "poolOverdueDays": 3, "claimDailyCap": 10, "reclaimBlockDays": 30,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["defeatPoolReasons[1]"], reply.text)
        XCTAssertTrue(message(reply, "defeatPoolReasons[1]").contains("price (\(reasons["price"]!))"), reply.text)
    }

    // MARK: defeat reasons

    /// Store 1 disables 预算不足 and adds a reason of its own: a new defeat for the disabled one is
    /// a 422 naming `reason` with the allowed reasons; the prospect defeated for it before still
    /// shows 预算不足, and one defeated with free text before the dictionary shows its text.
    /// Store 2 may not use store 1's reason.
    func testADisabledDefeatReasonIsRefusedOnANewDefeatAndShownOnTheOldOne() async throws {
        let tag = String(Int.random(in: 1000...9999))
        let parking = "parking_\(tag)"
        let parkingWord = "停车不便\(tag)"
        let manager = try await suite.login("sales.manager.1")
        let reasons = try await words("defeatReason", token: manager)
        let budgetWord = try XCTUnwrap(reasons["budget"])
        let priceWord = try XCTUnwrap(reasons["price"])
        let consultant = try await suite.login("consultant.1")
        let (oldMobile, newMobile, ownMobile, freeTextMobile) = (ProspectsTests.mobile(), ProspectsTests.mobile(), ProspectsTests.mobile(), ProspectsTests.mobile())
        let old = try await register(oldMobile, as: consultant, name: "旧战败")
        let new = try await register(newMobile, as: consultant, name: "新战败")
        let own = try await register(ownMobile, as: consultant, name: "自定战败")
        let freeText = try await register(freeTextMobile, as: consultant, name: "旧文本")
        var reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(old)/defeat", token: consultant, json: ["reason": "budget", "note": "等年终奖"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["defeatReason"] as? String, "budget")
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(freeText)/defeat", token: consultant, json: ["reason": "other"])
        XCTAssertEqual(reply.status, 200, reply.text)
        // A defeat recorded before reasons were codes keeps its free text.
        _ = try await suite.database.scalar("UPDATE prospects.prospect SET defeat_reason = '已购竞品' WHERE id = '\(freeText)' RETURNING 1")

        try await restoring({
            try await self.change("defeatReason", "budget", store: self.store1, ["enabled": true])
            try await self.change("defeatReason", parking, store: self.store1, ["enabled": false])
            try await self.waitUntilLearned("defeatReason", store: self.store1, [["code": "budget", "enabled": true], ["code": parking, "enabled": false]])
        }) {
            try await change("defeatReason", "budget", store: store1, ["enabled": false])
            try await change("defeatReason", parking, store: store1, ["label": parkingWord])
            try await waitUntilLearned("defeatReason", store: store1, [["code": "budget", "enabled": false], ["code": parking, "label": parkingWord]])

            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(new)/defeat", token: consultant, json: ["reason": "budget"])
            XCTAssertEqual(reply.status, 422, reply.text)
            XCTAssertEqual(reply.problemFields, ["reason"], reply.text)
            let refusal = message(reply, "reason")
            XCTAssertTrue(refusal.contains("disabled") && refusal.contains("must be one of: "), refusal)
            XCTAssertTrue(refusal.contains("price (\(priceWord))") && refusal.contains("\(parking) (\(parkingWord))"), refusal)
            XCTAssertFalse(refusal.contains("budget (\(budgetWord)),"), "the disabled reason is not offered: \(refusal)")
            reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(new)", token: consultant)
            XCTAssertEqual(reply.json["state"] as? String, "active", "the refused defeat changed nothing")
            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(new)/defeat", token: consultant, json: ["reason": "price"])
            XCTAssertEqual(reply.status, 200, reply.text)
            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(own)/defeat", token: consultant, json: ["reason": parking])
            XCTAssertEqual(reply.status, 200, "the store's own reason: \(reply.text)")
            XCTAssertEqual(reply.json["defeatReason"] as? String, parking)

            let consultant2 = try await suite.login("consultant.2")
            let other = try await register(ProspectsTests.mobile(), as: consultant2, name: "二店战败")
            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(other)/defeat", token: consultant2, json: ["reason": parking])
            XCTAssertEqual(reply.status, 422, "store 1's reason is not store 2's: \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["reason"])
            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(other)/defeat", token: consultant2, json: ["reason": "budget"])
            XCTAssertEqual(reply.status, 200, "store 2 did not disable 预算不足: \(reply.text)")

            // The old defeats keep their reasons, shown in the store's words or as written.
            for (mobile, reason) in [(oldMobile, budgetWord), (newMobile, priceWord), (ownMobile, parkingWord), (freeTextMobile, "已购竞品")] {
                let exported = try await sheet("/api/v1/prospects/prospects/export?format=xlsx&mobile=\(mobile)", token: manager)
                XCTAssertEqual(exported.row("手机号码", mobile)?["战败原因"], reason, "\(exported)")
                XCTAssertEqual(exported.row("手机号码", mobile)?["状态"], "已战败", "\(exported)")
            }
            reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(old)", token: consultant)
            XCTAssertEqual(reply.json["defeatReason"] as? String, "budget", "the API keeps the code")
        }
    }
}

/// An export as openpyxl reads it: the header row and the data rows.
struct ExportedSheet: CustomStringConvertible {
    var headers: [String]
    var rows: [[String]]

    init(_ cells: [[String]]) {
        headers = cells.first ?? []
        rows = Array(cells.dropFirst())
    }

    /// The row whose `column` holds `value`, by header.
    func row(_ column: String, _ value: String) -> [String: String]? {
        guard let index = headers.firstIndex(of: column), let row = rows.first(where: { index < $0.count && $0[index] == value }) else { return nil }
        return Dictionary(zip(headers, row), uniquingKeysWith: { first, _ in first })
    }

    var description: String { ([headers] + rows).map { $0.joined(separator: " | ") }.joined(separator: "\n") }
}
