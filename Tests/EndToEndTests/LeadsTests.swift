import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Leads through the gateway, with the Leads service on a fixed clock: 2026-11-22 10:00 in
/// Shanghai (02:00 UTC).
final class LeadsTests: XCTestCase {
    static let now = "2026-11-22T02:00:00Z"
    static let today = "2026-11-22"
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start(leadsEnvironment: ["CRM_FIXED_TIME": Self.now])
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    static func mobile() -> String { "139" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    func testADuplicateMobileIsListedAndBringsTheFollowUpToToday() async throws {
        let manager = try await suite.login("sales.manager.1")
        let mobile = Self.mobile()
        var reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: [
            "name": "陈云", "mobile": "+86 \(mobile.prefix(3))-\(mobile.dropFirst(3).prefix(4))-\(mobile.suffix(4))", "source": "autohome",
            "series": "凯迪拉克XT5", "level": "A",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let lead = try XCTUnwrap(reply.json["lead"] as? [String: Any])
        let leadID = try XCTUnwrap(lead["id"] as? String)
        XCTAssertEqual(lead["mobile"] as? String, mobile, "+86, spaces and dashes are removed")

        let consultant = try await suite.userID("consultant.1")
        reply = try await suite.request(.POST, "/api/v1/leads/leads/assign", token: manager, json: ["leadIds": [leadID], "consultantId": consultant])
        XCTAssertEqual(reply.status, 200, reply.text)
        let token = try await suite.login("consultant.1")
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/follow-ups", token: token, json: [
            "channel": "phone", "content": "客户考虑中，下周再联系", "level": "B",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["nextFollowUpOn"] as? String, "2026-11-29", "B: 7 days on the store's clock")

        // The same mobile again, from another platform: a duplicate, and today's follow-up.
        reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: ["name": "陈云", "mobile": mobile, "source": "yiche"])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "duplicate")
        XCTAssertEqual((reply.json["lead"] as? [String: Any])?["nextFollowUpOn"] as? String, Self.today)
        reply = try await suite.request(.GET, "/api/v1/leads/duplicates?mobile=\(mobile)", token: manager)
        XCTAssertEqual(reply.items.count, 1)
        XCTAssertEqual(reply.items.first?["source"] as? String, "yiche")
        XCTAssertEqual(reply.items.first?["reason"] as? String, "exists")
        reply = try await suite.request(.GET, "/api/v1/leads/tasks?when=due&pageSize=200", token: token)
        XCTAssertTrue(reply.items.contains { $0["leadId"] as? String == leadID }, reply.text)

        // Defeat, then re-activate: level H, due today, back to unassigned.
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/defeat", token: token, json: ["reason": "competitor"])
        XCTAssertEqual(reply.json["state"] as? String, "defeated", reply.text)
        XCTAssertEqual(reply.json["defeatReason"] as? String, "competitor", "a code of the store's defeatReason dictionary")
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/activate", token: token)
        XCTAssertEqual(reply.status, 403, "a consultant may not re-activate")
        reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/activate", token: manager)
        XCTAssertEqual(reply.json["state"] as? String, "new", reply.text)
        XCTAssertEqual(reply.json["level"] as? String, "H")
        XCTAssertEqual(reply.json["nextFollowUpOn"] as? String, Self.today)
        XCTAssertNil(reply.json["consultantId"])
    }

    func testALeadAConsultantEntersIsTheirs() async throws {
        let token = try await suite.login("consultant.1")
        let reply = try await suite.request(.POST, "/api/v1/leads/leads", token: token, json: ["name": "廖国峰", "mobile": Self.mobile(), "source": "phone"])
        XCTAssertEqual(reply.status, 201, reply.text)
        let lead = try XCTUnwrap(reply.json["lead"] as? [String: Any])
        XCTAssertEqual(lead["state"] as? String, "assigned")
        XCTAssertEqual(lead["nextFollowUpOn"] as? String, Self.today)
        let id = try XCTUnwrap(lead["id"] as? String)
        let status = try await suite.request(.GET, "/api/v1/leads/leads/\(id)", token: token).status
        XCTAssertEqual(status, 200)
    }

    func testPlatformLeadsArriveAsEventsAndAsADF() async throws {
        let mobile = Self.mobile()
        let event = CloudEvent(source: "/platform/autohome", data: PlatformLeadReceived(
            platform: .autohome, platformLeadId: "AH-\(mobile)", storeCode: "HX000001", name: "王磊",
            mobile: "+86 \(mobile.prefix(3))-\(mobile.dropFirst(3).prefix(4))-\(mobile.suffix(4))", province: "湖北省", city: "武汉市",
            series: "凯迪拉克XT5", receivedAt: Date()))
        let unusable = CloudEvent(source: "/platform/yiche", data: PlatformLeadReceived(
            platform: .yiche, platformLeadId: "YC-1", storeCode: "HX000001", name: "李鹏", mobile: "1808613337", receivedAt: Date()))
        try await BrokerQueues.publish([event, unusable])
        let manager = try await suite.login("sales.manager.1")
        var lead: [String: Any]?
        _ = try await eventually(timeout: .seconds(10)) {
            lead = try await suite.request(.GET, "/api/v1/leads/leads?mobile=\(mobile)", token: manager).items.first
            return lead != nil
        }
        XCTAssertEqual(lead?["source"] as? String, "autohome")
        XCTAssertEqual(lead?["state"] as? String, "new")
        // A lead that cannot be entered (a 10-digit mobile) is dead-lettered with the reason.
        var dead: ReceivedMessage?
        _ = try await eventually(timeout: .seconds(10)) {
            dead = try await BrokerQueues.run { try $0.get(queue: "leads.dead") }
            return dead != nil
        }
        XCTAssertEqual(dead?.properties.messageID, unusable.id, "the unusable lead is the one dead-lettered")
        guard case .string(let reason)? = dead?.properties.headers["x-crm-dead-reason"] else { return XCTFail("no dead-letter reason") }
        XCTAssertTrue(reason.contains("mobile"), reason)
        let entered = try await suite.database.scalar("SELECT count(*)::int8 FROM leads.lead WHERE mobile = '1808613337'")
        XCTAssertEqual(entered, 0)

        // The same customer again through ADF: a duplicate, today's follow-up.
        let newMobile = Self.mobile()
        let adf = """
            <?xml version="1.0" encoding="UTF-8"?>
            <?adf version="1.0"?>
            <adf>
              <prospect>
                <id sequence="1" source="懂车帝">DCD-1</id>
                <requestdate>2026-11-22T10:00:00+08:00</requestdate>
                <vehicle interest="buy" status="new"><make>凯迪拉克</make><model>XT5</model><trim>28T 豪华型</trim></vehicle>
                <customer><contact><name part="full">王磊</name><phone type="voice">\(mobile)</phone></contact><comments>周末到店</comments></customer>
              </prospect>
              <prospect>
                <id sequence="2" source="dongchedi">DCD-2</id>
                <customer><contact><name part="last">廖</name><name part="first">国峰</name><phone>\(newMobile)</phone></contact></customer>
                <provider><name part="full">懂车帝</name></provider>
              </prospect>
            </adf>
            """
        var reply = try await suite.request(.POST, "/api/v1/leads/intake/adf", token: manager, rawBody: adf, contentType: "application/xml")
        XCTAssertEqual(reply.status, 200, reply.text)
        let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["duplicate", "created"])
        let created = try await suite.request(.GET, "/api/v1/leads/leads/\(try XCTUnwrap(results[1]["leadId"] as? String))", token: manager)
        XCTAssertEqual(created.json["name"] as? String, "廖国峰")
        XCTAssertEqual(created.json["source"] as? String, "dongchedi")
        let duplicated = try await suite.request(.GET, "/api/v1/leads/leads/\(try XCTUnwrap(results[0]["leadId"] as? String))", token: manager)
        XCTAssertEqual(duplicated.json["nextFollowUpOn"] as? String, Self.today)
        reply = try await suite.request(.POST, "/api/v1/leads/intake/adf", token: manager, rawBody: "<lead/>", contentType: "application/xml")
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["adf"])
    }

    func testDueOverdueAndFutureFollowTheStoresClock() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.userID("consultant.1")
        var ids: [String] = []
        for _ in 0..<3 {
            let reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: ["name": "李鹏", "mobile": Self.mobile(), "source": "dongchedi"])
            ids.append(try XCTUnwrap((reply.json["lead"] as? [String: Any])?["id"] as? String))
        }
        _ = try await suite.request(.POST, "/api/v1/leads/leads/assign", token: manager, json: ["leadIds": ids, "consultantId": consultant])
        // An overdue task: make the first lead's due day yesterday, as if assigned then.
        _ = try await suite.database.scalar("UPDATE leads.lead_task SET due_on = '2026-11-21' WHERE lead_id = '\(ids[0])' AND state = 'open' RETURNING 1")
        let token = try await suite.login("consultant.1")
        _ = try await suite.request(.POST, "/api/v1/leads/leads/\(ids[2])/follow-ups", token: token, json: [
            "channel": "wechat", "content": "约了看车", "level": "H", "nextOn": "2026-11-25",
        ])
        for (when, expected) in [("overdue", ids[0]), ("due", ids[1]), ("future", ids[2])] {
            let reply = try await suite.request(.GET, "/api/v1/leads/tasks?when=\(when)&pageSize=200", token: token)
            XCTAssertEqual(reply.status, 200, reply.text)
            let leads = reply.items.compactMap { $0["leadId"] as? String }
            XCTAssertTrue(leads.contains(expected), "\(when): \(reply.text)")
            XCTAssertEqual(Set(leads).intersection(ids).count, 1, "\(when) lists only its own")
            XCTAssertTrue(reply.items.allSatisfy { $0["when"] as? String == when })
        }
    }

    func testRoundRobinSpreadsEvenlyAndHonoursAvailabilityAndCaps() async throws {
        let admin = try await suite.login("admin")
        let store = StoreID.forStoreCode("HX000002").uuidString
        // Seven consultants of store 2: two unavailable, one capped at 50.
        var consultants: [String] = []
        let run = Int.random(in: 1000...9999)
        for index in 0..<7 {
            let reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
                "username": "rr\(run).\(index)", "displayName": "顾问\(index)", "password": "dealer-demo", "role": "consultant", "storeIds": [store],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            consultants.append(try XCTUnwrap(reply.json["id"] as? String))
        }
        let known = try await eventually(timeout: .seconds(20)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM leads.directory_user WHERE username LIKE 'rr\(run).%'") == 7
        }
        XCTAssertTrue(known)
        let manager = try await suite.login("sales.manager.2")
        // A clean slate for store 2's automatic assignment.
        _ = try await suite.database.scalar("DELETE FROM leads.lead_consultant WHERE store_id = '\(store)' RETURNING 1")
        for (index, id) in consultants.enumerated() {
            let setting: [String: Any] = index < 2 ? ["available": false] : index == 2 ? ["available": true, "dailyCap": 50] : ["available": true]
            let reply = try await suite.request(.PUT, "/api/v1/leads/consultants/\(id)", token: manager, json: setting)
            XCTAssertEqual(reply.status, 200, reply.text)
        }
        var leadIDs: [String] = []
        for _ in 0..<1000 {
            let reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: ["name": "张三", "mobile": Self.mobile(), "source": "website"])
            XCTAssertEqual(reply.status, 201, reply.text)
            if reply.json["outcome"] as? String == "created", let id = (reply.json["lead"] as? [String: Any])?["id"] as? String { leadIDs.append(id) }
        }
        let reply = try await suite.request(.POST, "/api/v1/leads/leads/auto-assign", token: manager, json: ["leadIds": leadIDs])
        XCTAssertEqual(reply.status, 200, reply.text)
        let assigned = try XCTUnwrap(reply.json["assigned"] as? [[String: Any]])
        XCTAssertEqual(assigned.count, leadIDs.count)
        var counts: [String: Int] = [:]
        for assignment in assigned { counts[(assignment["consultantId"] as! String).lowercased(), default: 0] += 1 }
        let lower = consultants.map { $0.lowercased() }
        XCTAssertNil(counts[lower[0]], "unavailable consultants get none")
        XCTAssertNil(counts[lower[1]])
        XCTAssertEqual(counts[lower[2]], 50, "the capped consultant gets exactly the cap")
        let uncapped = lower[3...].map { counts[$0] ?? 0 }
        XCTAssertEqual(uncapped.reduce(0, +), leadIDs.count - 50)
        XCTAssertLessThanOrEqual(uncapped.max()! - uncapped.min()!, 1, "the available uncapped ones differ by at most one: \(uncapped)")
    }
}
