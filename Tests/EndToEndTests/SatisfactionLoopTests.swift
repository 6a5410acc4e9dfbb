import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The flagship flow of issue 3, every service its own process, every step through the
/// gateway: an ERP completion (published three times) → one visit task → a dissatisfied answer
/// from cs.agent.1 → a complaint → handled and closed. The test asserts each effect, waiting for
/// the asynchronous ones with a generous timeout; how fast the task appears is the benchmark's
/// business, not a test's.
final class SatisfactionLoopTests: XCTestCase {
    func testAnERPCompletionEndsAsAClosedComplaint() async throws {
        let suite = try await Suite.start()
        do {
            try await runLoop(suite)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// A queue of the test's own, standing in for a future consumer of complaints.
    static let complaintQueue = "e2e.complaints"

    private func runLoop(_ suite: Suite) async throws {
        try await BrokerQueues.run { connection in
            try connection.declareQueue(Self.complaintQueue)
            try connection.bindQueue(Self.complaintQueue, exchange: MessagingTopology.eventsExchange, routingKey: ComplaintOpened.eventType)
        }
        let roNo = "RO" + String(Int.random(in: 10_000_000...99_999_999))
        var order = Samples.completedRepairOrder(storeCode: "HX000001", number: 0)
        order.roNo = roNo
        order.customer = Person(name: "赖朝朝", mobile: "15972197426")
        let event = CloudEvent(source: "/erp/HX000001", data: order)
        // The same event three times: one task.
        try await BrokerQueues.publish([event, event, event])

        let supervisor = try await suite.login("cs.supervisor.1")
        var task: [String: Any] = [:]
        let visible = try await eventually(timeout: .seconds(30)) {
            let reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor)
            guard reply.status == 200, let first = reply.items.first else { return false }
            task = first
            return true
        }
        XCTAssertTrue(visible, "the ERP completion becomes a visit task the supervisor sees through the gateway")
        let taskID = try XCTUnwrap(task["id"] as? String)
        XCTAssertEqual(task["customerName"] as? String, "赖朝朝")
        XCTAssertEqual(task["state"] as? String, "pending")

        // Assign it to cs.agent.1, who then sees it and nobody else's.
        let agent = try await suite.login("cs.agent.1")
        let agentID = try await suite.userID("cs.agent.1")
        var reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/\(taskID)/assign", token: supervisor, json: ["assigneeId": agentID])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "assigned")
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: agent)
        XCTAssertEqual(reply.items.count, 1)

        // The store's default after-sales template: the first question's negative option.
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates?kind=after_sales", token: agent)
        let template = try XCTUnwrap(reply.items.first { $0["isDefault"] as? Bool == true })
        let questions = try XCTUnwrap(template["questions"] as? [[String: Any]])
        var answers: [[String: Any]] = []
        for question in questions {
            let id = question["id"] as! String
            switch question["type"] as! String {
            case "single_choice":
                let options = question["options"] as! [[String: Any]]
                let negative = options.first { $0["negative"] as? Bool == true }!
                let positive = options.first { $0["negative"] as? Bool == false }!
                // Dissatisfied with the service overall, satisfied otherwise.
                answers.append(["questionId": id, "optionIds": [(answers.isEmpty ? negative : positive)["id"]!]])
            case "rating":
                answers.append(["questionId": id, "rating": 9])
            default:
                answers.append(["questionId": id, "text": "等待时间太长"])
            }
        }
        reply = try await suite.request(
            .POST, "/api/v1/customer-service/visit-tasks/\(taskID)/visits", token: agent,
            json: ["result": "done", "answers": answers, "note": "客户反映等待时间长"])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["negative"] as? Bool, true)
        let complaintID = try XCTUnwrap(reply.json["complaintId"] as? String, "a dissatisfied answer opens a complaint")

        // The complaint, found by RO number, linked to the visit.
        reply = try await suite.request(.GET, "/api/v1/customer-service/complaints?roNo=\(roNo)", token: supervisor)
        XCTAssertEqual(reply.items.count, 1, reply.text)
        XCTAssertEqual(reply.items.first?["id"] as? String, complaintID)
        XCTAssertEqual(reply.items.first?["source"] as? String, "visit")
        XCTAssertEqual(reply.items.first?["category"] as? String, "dissatisfied_visit", "a code of the dictionary complaintCategory")
        XCTAssertEqual(reply.items.first?["state"] as? String, "pending")
        XCTAssertEqual(reply.items.first?["complainantMobile"] as? String, "15972197426")
        reply = try await suite.request(.GET, "/api/v1/customer-service/complaints?roNo=\(roNo)", token: agent)
        XCTAssertEqual(reply.items.count, 1, "the agent who opened it sees it")
        let published2 = try await eventually(timeout: .seconds(10)) {
            try await BrokerQueues.run { connection in
                while let message = try connection.get(queue: Self.complaintQueue) {
                    let event = try EventCoding.makeDecoder().decode(CloudEvent<ComplaintOpened>.self, from: message.body)
                    if event.data.roNo == roNo, event.data.complaintId.uuidString.lowercased() == complaintID.lowercased() { return true }
                }
                return false
            }
        }
        XCTAssertTrue(published2, "customerservice.complaint.opened.v1 is published")

        // Handling: in progress, feedback, a plan, a follow-up, resolved; the supervisor closes.
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/assign", token: supervisor, json: ["handlerId": agentID])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/transitions", token: agent, json: ["to": "in_progress"])
        XCTAssertEqual(reply.json["state"] as? String, "in_progress", reply.text)
        for (kind, text) in [("feedback", "服务顾问确认交车延误两小时"), ("plan", "赠送一次免费洗车并致歉"), ("follow_up", "客户表示接受"), ("improvement", "交车时间提前告知客户")] {
            reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/entries", token: agent, json: ["kind": kind, "text": text])
            XCTAssertEqual(reply.status, 201, reply.text)
        }
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/transitions", token: agent, json: ["to": "resolved"])
        XCTAssertEqual(reply.json["state"] as? String, "resolved", reply.text)
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/transitions", token: agent, json: ["to": "closed"])
        XCTAssertEqual(reply.status, 403, "an agent may not close: \(reply.text)")
        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints/\(complaintID)/transitions", token: supervisor, json: ["to": "closed"])
        XCTAssertEqual(reply.json["state"] as? String, "closed", reply.text)
        let entries = try XCTUnwrap(reply.json["entries"] as? [[String: Any]])
        XCTAssertEqual(Set(entries.compactMap { $0["kind"] as? String }), ["assignment", "state", "feedback", "plan", "follow_up", "improvement"])

        // The exports open in a real spreadsheet reader, Chinese text intact, codes as the store's words.
        let workbook = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/export?format=xlsx&roNo=\(roNo)", token: supervisor)
        XCTAssertEqual(workbook.status, 200, workbook.text)
        let sheet = try Spreadsheet.read(workbook.body)
        XCTAssertEqual(sheet.first?.prefix(4), ["单号", "类型", "业务类型", "客户"])
        XCTAssertEqual(sheet.count, 2)
        XCTAssertEqual(sheet.last?.prefix(4), [roNo, "维修工单", "付费保养", "赖朝朝"])
        XCTAssertEqual(sheet.first?[13], "状态")
        XCTAssertEqual(sheet.last?[13], "已回访", "the task's state, visited")
        XCTAssertEqual(sheet.first?[16], "结果")
        XCTAssertEqual(sheet.last?[16], "已回访", "the visit's result, done")
        let complaintsFile = try await suite.request(.GET, "/api/v1/customer-service/complaints/export?format=xlsx&roNo=\(roNo)", token: supervisor)
        let complaintsSheet = try Spreadsheet.read(complaintsFile.body)
        XCTAssertEqual(complaintsSheet.count, 2)
        XCTAssertEqual(complaintsSheet.first?.prefix(7), ["投诉单号", "来源", "状态", "级别", "类别", "投诉人", "性别"])
        XCTAssertEqual(complaintsSheet.last?[1], "回访")
        XCTAssertEqual(complaintsSheet.last?[2], "已关闭")
        XCTAssertEqual(complaintsSheet.last?[3], "一般")
        XCTAssertEqual(complaintsSheet.last?[4], "回访不满意", "the automatic category, in the store's words")
        XCTAssertEqual(complaintsSheet.last?[5], "赖朝朝")
        let csv = try await suite.request(.GET, "/api/v1/customer-service/complaints/export?format=csv&roNo=\(roNo)", token: supervisor)
        XCTAssertEqual(csv.headers.first(name: "content-type"), "text/csv; charset=utf-8")
        XCTAssertTrue(csv.text.contains("赖朝朝"), csv.text)
        let templateID = try XCTUnwrap(template["id"] as? String)
        let statistics = try await suite.request(.GET, "/api/v1/customer-service/visit-statistics?templateId=\(templateID)", token: supervisor)
        XCTAssertEqual(statistics.status, 200, statistics.text)
        let firstQuestion = try XCTUnwrap((statistics.json["questions"] as? [[String: Any]])?.first)
        let counts = try XCTUnwrap(firstQuestion["answers"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(counts.filter { $0["negative"] as? Bool == true }.compactMap { $0["count"] as? Int }.reduce(0, +), 1)
        let statisticsFile = try await suite.request(.GET, "/api/v1/customer-service/visit-statistics/export?format=xlsx&templateId=\(templateID)", token: supervisor)
        XCTAssertEqual(try Spreadsheet.read(statisticsFile.body).first, ["序号", "问题", "选项", "次数", "占比(%)"])

        // Three publications, one task; the audit log saw the writes.
        let tasks = try await suite.database.scalar("SELECT count(*)::int8 FROM customer_service.visit_task WHERE order_no = '\(roNo)'")
        XCTAssertEqual(tasks, 1)
        let audited = try await suite.database.scalar("""
            SELECT count(*)::int8 FROM identity.audit_log WHERE path = '/api/v1/customer-service/complaints/\(complaintID)/transitions' AND username = 'cs.supervisor.1'
            """)
        XCTAssertEqual(audited, 1)
    }
}

/// Reads an .xlsx with openpyxl, as a spreadsheet program would: every row's cells as text.
enum Spreadsheet {
    static func read(_ data: Data) throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID()).xlsx")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import json, sys, openpyxl
            sheet = openpyxl.load_workbook(sys.argv[1]).active
            print(json.dumps([["" if cell is None else (str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)) for cell in row]
                              for row in sheet.iter_rows(values_only=True)], ensure_ascii=False))
            """
        let output = try OpenAPIOperations.runPython(script, arguments: [file.path])
        guard let rows = try JSONSerialization.jsonObject(with: output) as? [[String]] else { throw TestFailure("not a sheet") }
        return rows
    }
}
