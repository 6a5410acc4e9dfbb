import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The data dictionaries (G5) in AfterSales and CustomerService: every export prints the store's
/// words for codes (read back with openpyxl), a relabel in store 1 shows in store 1's exports and
/// not in store 2's, a body's bad codes are all named at once with the allowed codes and their
/// labels, and complaint categories are codes of the store's open set — its own codes accepted,
/// a disabled one refused on a new complaint and still shown on an old one.
final class ServiceDictionaryTests: XCTestCase {
    var suite: Suite!
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    let store2 = StoreID.forStoreCode("HX000002").uuidString

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    // MARK: helpers

    /// Changes an entry of a store's set as the administrator.
    func change(_ set: String, _ code: String, store: String, _ body: [String: Any]) async throws {
        let admin = try await suite.login("admin")
        var body = body
        body["storeId"] = store
        let reply = try await suite.request(.PUT, "/api/v1/identity/dictionaries/\(set)/entries/\(code)", token: admin, json: body)
        XCTAssertEqual(reply.status, 200, "\(set)/\(code): \(reply.text)")
    }

    /// The export at `path` as .xlsx, read with openpyxl: each data row as header → cell.
    func export(_ path: String, token: String) async throws -> [[String: String]] {
        let reply = try await suite.request(.GET, path + (path.contains("?") ? "&" : "?") + "format=xlsx", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let sheet = try Spreadsheet.read(reply.body)
        guard let headers = sheet.first else { throw TestFailure("an empty workbook from \(path)") }
        return sheet.dropFirst().map { Dictionary(zip(headers, $0), uniquingKeysWith: { first, _ in first }) }
    }

    /// The message a 422 gives for `field`.
    func message(_ reply: Suite.Reply, _ field: String) -> String {
        ((reply.json["errors"] as? [[String: Any]])?.first { $0["field"] as? String == field }?["message"] as? String) ?? ""
    }

    static func vin() -> String { AfterSalesRecordsTests.vin() }

    static func mobile() -> String { "137" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    // MARK: AfterSales

    /// The repair-order export prints 业务类型 and 状态 as the store's words; a relabel in store 1
    /// shows in store 1's export and not in store 2's. The vehicle export reads in openpyxl too.
    func testAfterSalesExportsPrintTheStoresWords() async throws {
        let sa1 = try await suite.login("sa.1")
        let sa2 = try await suite.login("sa.2")
        let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        let vin = Self.vin()
        for token in [sa1, sa2] {
            let reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, json: [
                "roNo": roNo, "vin": vin, "plate": "鄂A60775", "customer": ["name": "赖朝朝", "mobile": "15972197426"],
                "businessType": "accidentRepair", "mileageKm": 30125,
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            XCTAssertEqual(reply.json["businessType"] as? String, "accidentRepair", "the API answers with the code")
            if token == sa1 {
                let id = try XCTUnwrap(reply.json["id"] as? String)
                let completed = try await suite.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", token: sa1, json: ["amount": 3200])
                XCTAssertEqual(completed.status, 200, completed.text)
            }
        }
        let path = "/api/v1/after-sales/repair-orders/export?roNo=\(roNo)"
        var rows = try await export(path, token: sa1)
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?["业务类型"], "事故维修")
        XCTAssertEqual(rows.first?["状态"], "已完工")
        rows = try await export(path, token: sa2)
        XCTAssertEqual(rows.first?["业务类型"], "事故维修")
        XCTAssertEqual(rows.first?["状态"], "在修")

        let word = "钣喷\(Int.random(in: 1000...9999))"
        try await change("repairBusinessType", "accidentRepair", store: store1, ["label": word])
        try await change("repairOrderState", "completed", store: store1, ["label": "已结算"])
        let relabelled = try await eventually(timeout: .seconds(15)) {
            try await self.export(path, token: sa1).first?["业务类型"] == word
        }
        XCTAssertTrue(relabelled, "store 1's export prints store 1's new word")
        rows = try await export(path, token: sa1)
        XCTAssertEqual(rows.first?["状态"], "已结算")
        rows = try await export(path, token: sa2)
        XCTAssertEqual(rows.first?["业务类型"], "事故维修", "store 2 keeps its word")
        XCTAssertEqual(rows.first?["状态"], "在修")

        // The vehicle files (no coded column) read in a spreadsheet program too.
        let vehicles = try await export("/api/v1/after-sales/vehicles/export?vin=\(vin)", token: sa1)
        XCTAssertEqual(vehicles.count, 1)
        XCTAssertEqual(vehicles.first?["VIN"], vin)
        XCTAssertEqual(vehicles.first?["车主"], "赖朝朝")

        try await change("repairBusinessType", "accidentRepair", store: store1, ["label": "事故维修"])
        try await change("repairOrderState", "completed", store: store1, ["label": "已完工"])
    }

    // MARK: bad codes, all at once

    /// Bodies and filters with bad codes: one 422 names every bad field, each coded one listing
    /// the store's codes with their labels.
    func testEveryBadCodeIsNamedAtOnceWithTheAllowedCodesAndLabels() async throws {
        let supervisor = try await suite.login("cs.supervisor.1")
        let sa = try await suite.login("sa.1")
        var reply = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: supervisor, json: [
            "complainantName": "赖朝朝", "complainantMobile": "12345", "complainantGender": "x", "source": "fax",
            "category": "刹车异响", "level": "catastrophic", "content": "刹车异响未修好",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["complainantMobile", "complainantGender", "source", "category", "level"])
        XCTAssertTrue(message(reply, "source").contains("must be one of: phone (电话), walk_in (到店)"), message(reply, "source"))
        XCTAssertFalse(message(reply, "source").contains("visit"), "a complaint opened by hand did not come from a visit: \(message(reply, "source"))")
        XCTAssertTrue(message(reply, "category").contains("quality (维修质量)"), message(reply, "category"))
        XCTAssertTrue(message(reply, "level").contains("minor (轻微), general (一般), urgent (紧急), severe (严重)"), message(reply, "level"))
        XCTAssertTrue(message(reply, "complainantGender").contains("male (男), female (女)"), message(reply, "complainantGender"))
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: supervisor, json: [
            "complainantName": "赖朝朝", "complainantMobile": "15972197426", "source": "visit", "category": "quality",
            "level": "general", "content": "x",
        ])
        XCTAssertEqual(reply.problemFields, ["source"], reply.text)

        reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, json: [
            "vin": Self.vin(), "plate": "鄂A60775", "customer": ["name": "赖朝朝", "mobile": "123"], "businessType": "carWash", "mileageKm": -5,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["customer.mobile", "businessType", "mileageKm"])
        XCTAssertTrue(message(reply, "businessType").contains("generalRepair (一般维修), accidentRepair (事故维修), paidMaintenance (付费保养)"), reply.text)

        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-templates", token: supervisor, json: [
            "name": "", "kind": "weird", "questions": [["text": "满意吗？", "type": "rating"]],
        ])
        XCTAssertEqual(Set(reply.problemFields), ["name", "kind"], reply.text)
        XCTAssertTrue(message(reply, "kind").contains("after_sales (售后回访)"), reply.text)

        // Filters: an unknown code is a 422 listing the codes, every bad filter at once.
        let filters: [(String, String, Set<String>, String)] = [
            ("complaints", "/api/v1/customer-service/complaints?state=open&level=catastrophic", ["state", "level"], "in_progress (处理中)"),
            ("repair orders", "/api/v1/after-sales/repair-orders?state=closed&businessType=carWash", ["state", "businessType"], "open (在修)"),
            ("visit tasks", "/api/v1/customer-service/visit-tasks/export?format=xlsx&state=x&orderType=y&businessType=z", ["state", "orderType", "businessType"], "assigned (待回访)"),
            ("templates", "/api/v1/customer-service/visit-templates?kind=x", ["kind"], "sales (销售回访)"),
        ]
        for (name, path, fields, word) in filters {
            let token = path.contains("after-sales") ? sa : supervisor
            reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 422, "\(name): \(reply.text)")
            XCTAssertEqual(Set(reply.problemFields), fields, "\(name): \(reply.text)")
            XCTAssertTrue(reply.text.contains(word), "\(name): the codes with their labels: \(reply.text)")
        }
    }

    // MARK: complaint categories

    /// Complaint categories are codes of the store's open set: the store's own code is accepted
    /// (in that store only), a disabled one is refused on a new complaint and still shown on the
    /// old one, and free text written before the dictionary is shown as written.
    func testComplaintCategoriesAreCodesOfTheStoresOpenSet() async throws {
        let supervisor1 = try await suite.login("cs.supervisor.1")
        let supervisor2 = try await suite.login("cs.supervisor.2")
        let mobile = Self.mobile()
        func open(_ category: String, token: String) async throws -> Suite.Reply {
            try await suite.request(.POST, "/api/v1/customer-service/complaints", token: token, json: [
                "complainantName": "赖朝朝", "complainantMobile": mobile, "source": "phone", "category": category,
                "level": "general", "content": "刹车异响未修好",
            ])
        }

        // The store's own category.
        let number = Int.random(in: 1000...9999)
        let ownCode = "noise_\(number)"
        let ownWord = "异响\(number)"
        try await change("complaintCategory", ownCode, store: store1, ["label": ownWord])
        var own = try await open(ownCode, token: supervisor1)
        let accepted = try await eventually(timeout: .seconds(15)) {
            if own.status != 201 { own = try await open(ownCode, token: supervisor1) }
            return own.status == 201
        }
        XCTAssertTrue(accepted, "store 1 takes its own category: \(own.text)")
        XCTAssertEqual(own.json["category"] as? String, ownCode)
        var reply = try await open(ownCode, token: supervisor2)
        XCTAssertEqual(reply.problemFields, ["category"], "store 2 has no such category: \(reply.text)")

        // A built-in one, then disabled: refused on a new complaint, shown on the old one.
        let old = try await open("parts", token: supervisor1)
        XCTAssertEqual(old.status, 201, old.text)
        let oldID = try XCTUnwrap(old.json["id"] as? String)
        try await change("complaintCategory", "parts", store: store1, ["enabled": false])
        // Wait until CustomerService has the change (trying with complaints would open some).
        let learned = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM customer_service.directory_dictionary WHERE store_id = '\(self.store1)'
                AND set_name = 'complaintCategory' AND entries @> '[{"code": "parts", "enabled": false}]'
                """) == 1
        }
        XCTAssertTrue(learned, "CustomerService learns that store 1 disabled parts")
        reply = try await open("parts", token: supervisor1)
        XCTAssertEqual(reply.status, 422, "a disabled category is refused: \(reply.text)")
        XCTAssertEqual(reply.problemFields, ["category"])
        let refusal = message(reply, "category")
        XCTAssertTrue(refusal.contains("disabled"), refusal)
        let allowed = refusal.components(separatedBy: "must be one of: ").last ?? ""
        XCTAssertTrue(allowed.contains("quality (维修质量)"), refusal)
        XCTAssertTrue(allowed.contains("\(ownCode) (\(ownWord))"), "the store's own category is allowed: \(refusal)")
        XCTAssertFalse(allowed.contains("parts ("), "the disabled one is not: \(refusal)")
        reply = try await open("parts", token: supervisor2)
        XCTAssertEqual(reply.status, 201, "store 2 still has it: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/customer-service/complaints/\(oldID)", token: supervisor1)
        XCTAssertEqual(reply.json["category"] as? String, "parts", "the old complaint keeps its category")

        // A complaint from before the dictionary, with a category of free text.
        let legacy = try await open("other", token: supervisor1)
        let legacyID = try XCTUnwrap(legacy.json["id"] as? String)
        let changed = try await suite.database.scalar("""
            WITH changed AS (UPDATE customer_service.complaint SET category = '刹车异响（旧）' WHERE id = '\(legacyID)' RETURNING 1)
            SELECT count(*)::int8 FROM changed
            """)
        XCTAssertEqual(changed, 1)

        let rows = try await export("/api/v1/customer-service/complaints/export?mobile=\(mobile)", token: supervisor1)
        XCTAssertEqual(rows.compactMap { $0["类别"] }.sorted(), [ownWord, "刹车异响（旧）", "配件"].sorted(), "\(rows)")
        XCTAssertEqual(Set(rows.compactMap { $0["来源"] }), ["电话"])
        XCTAssertEqual(Set(rows.compactMap { $0["级别"] }), ["一般"])

        try await change("complaintCategory", "parts", store: store1, ["enabled": true])
        try await change("complaintCategory", ownCode, store: store1, ["enabled": false])
    }

    // MARK: CustomerService exports

    /// The visit-task, complaint and visit-statistics exports print the store's words; a relabel
    /// in store 1 shows in store 1's exports and not in store 2's, and a group-wide export prints
    /// each row in its own store's words. A visit's bad result is named with its other bad field.
    func testCustomerServiceExportsPrintEachStoresWords() async throws {
        let mobile = Self.mobile()
        let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        var complaintNumbers: [String: String] = [:]
        // Each store numbers its complaints itself: in a fresh database both are the same
        // number, so the group's export tells them apart by their content.
        var complaintContents: [String: String] = [:]
        for (sa, supervisor, store) in [("sa.1", "cs.supervisor.1", store1), ("sa.2", "cs.supervisor.2", store2)] {
            let token = try await suite.login(sa)
            var reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, json: [
                "roNo": roNo, "vin": Self.vin(), "plate": "鄂A60775", "customer": ["name": "赖朝朝", "mobile": mobile],
                "businessType": "paidMaintenance", "mileageKm": 30125,
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let id = try XCTUnwrap(reply.json["id"] as? String)
            reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders/\(id)/complete", token: token, json: ["amount": 688.5])
            XCTAssertEqual(reply.status, 200, reply.text)
            reply = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: try await suite.login(supervisor), json: [
                "complainantName": "赖朝朝", "complainantMobile": mobile, "complainantGender": "female", "source": "phone",
                "category": "quality", "level": "general", "content": "保养后异响（\(sa)）",
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            complaintNumbers[store] = try XCTUnwrap(reply.json["complaintNo"] as? String)
            complaintContents[store] = "保养后异响（\(sa)）"
        }
        let supervisor1 = try await suite.login("cs.supervisor.1")
        let supervisor2 = try await suite.login("cs.supervisor.2")
        var taskID = ""
        let arrived = try await eventually(timeout: .seconds(30)) {
            let one = try await self.suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor1).items
            let two = try await self.suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor2).items
            taskID = one.first?["id"] as? String ?? ""
            return one.count == 1 && two.count == 1
        }
        XCTAssertTrue(arrived, "each store's completion becomes its visit task")

        // Store 1's task: assigned to an agent, who calls and is asked to call again.
        let agent = try await suite.login("cs.agent.1")
        var reply = try await suite.request(
            .POST, "/api/v1/customer-service/visit-tasks/\(taskID)/assign", token: supervisor1, json: ["assigneeId": try await suite.userID("cs.agent.1")])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/\(taskID)/visits", token: agent, json: [
            "result": "maybe", "note": String(repeating: "长", count: 501),
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["result", "note"])
        XCTAssertTrue(message(reply, "result").contains("call_again (再次回访)"), reply.text)
        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/\(taskID)/visits", token: agent, json: ["result": "call_again"])
        XCTAssertEqual(reply.status, 201, reply.text)

        let tasksPath = "/api/v1/customer-service/visit-tasks/export?roNo=\(roNo)"
        let complaintsPath = "/api/v1/customer-service/complaints/export?mobile=\(mobile)"
        var tasks = try await export(tasksPath, token: supervisor1)
        XCTAssertEqual(tasks.count, 1)
        XCTAssertEqual(tasks.first?["类型"], "维修工单")
        XCTAssertEqual(tasks.first?["业务类型"], "付费保养")
        XCTAssertEqual(tasks.first?["状态"], "待回访")
        XCTAssertEqual(tasks.first?["结果"], "再次回访")
        tasks = try await export(tasksPath, token: supervisor2)
        XCTAssertEqual(tasks.first?["状态"], "待分配")
        var complaints = try await export(complaintsPath, token: supervisor1)
        XCTAssertEqual(complaints.count, 1)
        XCTAssertEqual(complaints.first?["来源"], "电话")
        XCTAssertEqual(complaints.first?["状态"], "待处理")
        XCTAssertEqual(complaints.first?["级别"], "一般")
        XCTAssertEqual(complaints.first?["类别"], "维修质量")
        XCTAssertEqual(complaints.first?["性别"], "女")

        // Store 1 relabels; store 2 keeps its words.
        let number = Int.random(in: 1000...9999)
        let levelWord = "普通\(number)"
        let orderWord = "售后维修\(number)"
        let resultWord = "稍后再拨\(number)"
        try await change("complaintLevel", "general", store: store1, ["label": levelWord])
        try await change("visitOrderType", "repair", store: store1, ["label": orderWord])
        try await change("visitResult", "call_again", store: store1, ["label": resultWord])
        try await change("repairBusinessType", "paidMaintenance", store: store1, ["label": "保养\(number)"])
        let learned = try await eventually(timeout: .seconds(15)) {
            let tasks = try await self.export(tasksPath, token: supervisor1)
            let complaints = try await self.export(complaintsPath, token: supervisor1)
            return tasks.first?["类型"] == orderWord && tasks.first?["结果"] == resultWord && tasks.first?["业务类型"] == "保养\(number)"
                && complaints.first?["级别"] == levelWord
        }
        XCTAssertTrue(learned, "store 1's exports print store 1's new words")
        tasks = try await export(tasksPath, token: supervisor2)
        XCTAssertEqual(tasks.first?["类型"], "维修工单", "store 2 keeps its words")
        XCTAssertEqual(tasks.first?["业务类型"], "付费保养")
        complaints = try await export(complaintsPath, token: supervisor2)
        XCTAssertEqual(complaints.first?["级别"], "一般")

        // The administrator sees the group: each complaint in its own store's words.
        complaints = try await export(complaintsPath, token: try await suite.login("admin"))
        XCTAssertEqual(complaints.count, 2, "\(complaints)")
        XCTAssertEqual(complaints.first { $0["投诉单号"] == complaintNumbers[store1] && $0["内容"] == complaintContents[store1] }?["级别"], levelWord)
        XCTAssertEqual(complaints.first { $0["投诉单号"] == complaintNumbers[store2] && $0["内容"] == complaintContents[store2] }?["级别"], "一般")

        // The statistics print the template's words for its options.
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates?kind=after_sales", token: supervisor1)
        let template = try XCTUnwrap(reply.items.first { $0["isDefault"] as? Bool == true })
        let question = try XCTUnwrap((template["questions"] as? [[String: Any]])?.first)
        let options = (question["options"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        XCTAssertFalse(options.isEmpty)
        let statistics = try await export("/api/v1/customer-service/visit-statistics/export?templateId=\(template["id"] as? String ?? "")", token: supervisor1)
        XCTAssertEqual(statistics.filter { $0["序号"] == "1" }.compactMap { $0["选项"] }, options)
        XCTAssertEqual(statistics.filter { $0["序号"] == "1" }.compactMap { $0["问题"] }.first, question["text"] as? String)

        try await change("complaintLevel", "general", store: store1, ["label": "一般"])
        try await change("visitOrderType", "repair", store: store1, ["label": "维修工单"])
        try await change("visitResult", "call_again", store: store1, ["label": "再次回访"])
        try await change("repairBusinessType", "paidMaintenance", store: store1, ["label": "付费保养"])
    }
}
