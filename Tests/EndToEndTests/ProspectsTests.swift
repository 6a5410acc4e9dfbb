import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Prospects through the gateway. The Prospects service reads its clock from a file the test
/// rewrites to move time: it starts at 2026-11-22 10:00 in Shanghai (02:00 UTC).
final class ProspectsTests: XCTestCase {
    static let start = "2026-11-22T02:00:00Z"
    var suite: Suite!
    var clock: TestClockFile!

    override func setUp() async throws {
        clock = try TestClockFile(Self.start)
        suite = try await Suite.start(prospectsEnvironment: clock.environment)
    }

    override func tearDown() async throws {
        await suite?.stop()
        clock?.remove()
    }

    static func mobile() -> String { "137" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    func traffic(_ mobile: String, name: String = "林峰", level: String = "B", extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "name": name, "mobile": mobile, "arrival": "showroom", "partySize": 2, "arrivedAt": "2026-11-22T01:30:00Z",
            "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": level,
        ]
        for (key, value) in extra { body[key] = value }
        return body
    }

    func register(_ body: [String: Any], as token: String) async throws -> (outcome: String, prospect: [String: Any]) {
        let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: token, json: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return (reply.json["outcome"] as? String ?? "", reply.json["prospect"] as? [String: Any] ?? [:])
    }

    // MARK: P1, P2, L9, P4, P5, CS3

    func testTrafficFollowsTheDuplicateRulesAndAnOnlineLeadIsCarriedOver() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")

        // An online lead, announced by Leads; the visitor with its mobile brings its data along.
        let leadMobile = Self.mobile()
        var reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: [
            "name": "宋佳", "mobile": leadMobile, "source": "autohome", "brand": "凯迪拉克", "series": "XT5", "city": "武汉",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let leadID = try XCTUnwrap((reply.json["lead"] as? [String: Any])?["id"] as? String)
        let known = try await eventually(timeout: .seconds(10)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.known_lead WHERE mobile = '\(leadMobile)'") == 1
        }
        XCTAssertTrue(known, "Prospects learns the lead from leads.lead.changed.v1")
        var (outcome, prospect) = try await register(traffic(leadMobile, name: "宋佳"), as: consultant)
        XCTAssertEqual(outcome, "carried_over")
        XCTAssertEqual(prospect["source"] as? String, "online_lead")
        XCTAssertEqual(prospect["series"] as? String, "XT5", "the lead's data fills what the form left empty")
        XCTAssertEqual(prospect["city"] as? String, "武汉")
        XCTAssertEqual(prospect["leadId"] as? String, leadID)
        let arrived = try await eventually(timeout: .seconds(10)) {
            let lead = try await suite.request(.GET, "/api/v1/leads/leads/\(leadID)", token: manager)
            return lead.json["state"] as? String == "arrived"
        }
        XCTAssertTrue(arrived, "Leads marks the lead arrived (prospects.lead.arrived.v1)")
        reply = try await suite.request(.GET, "/api/v1/leads/tasks?pageSize=200", token: manager)
        XCTAssertFalse(reply.items.contains { $0["leadId"] as? String == leadID }, "an arrived lead has no follow-up task left")

        // The same visitor again: traffic only, and the latest saved data wins.
        (outcome, prospect) = try await register(traffic(leadMobile, name: "宋佳佳", extra: ["nature": "second_visit"]), as: consultant)
        XCTAssertEqual(outcome, "existing")
        XCTAssertEqual(prospect["name"] as? String, "宋佳佳")
        reply = try await suite.request(.GET, "/api/v1/prospects/traffic?mobile=\(leadMobile)", token: consultant)
        XCTAssertEqual(reply.json["total"] as? Int, 2, reply.text)
        let prospectsOfMobile = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.prospect WHERE mobile = '\(leadMobile)'")
        XCTAssertEqual(prospectsOfMobile, 1)

        // A new visitor: a prospect of the registering consultant, first follow-up after the B interval.
        let mobile = Self.mobile()
        (outcome, prospect) = try await register(traffic(mobile, name: "韩梅"), as: consultant)
        XCTAssertEqual(outcome, "created")
        let prospectID = try XCTUnwrap(prospect["id"] as? String)
        let consultantID = try await suite.userID("consultant.1")
        XCTAssertEqual(prospect["consultantId"] as? String, consultantID)
        XCTAssertEqual(prospect["nextFollowUpOn"] as? String, "2026-11-29", "B: 7 days on the store's clock")

        // P5: the follow-up form; the next task is on the rule of the new level, CS3 gets a task.
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
            "level": "A", "method": "phone", "contents": ["invite", "negotiation"], "result": "continue", "contact": "repeated",
            "note": "客户对价格有顾虑，约周末试驾", "valid": true,
            "next": ["method": "showroom", "content": "test_drive", "comesTomorrow": false],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["levelBefore"] as? String, "B")
        XCTAssertEqual(reply.json["nextOn"] as? String, "2026-11-25", "A: 3 days")
        let followUpNo = try XCTUnwrap(reply.json["followUpNo"] as? String)
        XCTAssertTrue(followUpNo.hasPrefix("GJ261122"), followUpNo)
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=future&pageSize=200", token: consultant)
        let task = reply.items.first { $0["prospectId"] as? String == prospectID }
        XCTAssertEqual(task?["dueOn"] as? String, "2026-11-25")
        XCTAssertEqual(task?["planned"] as? String, "test_drive")
        let supervisor = try await suite.login("cs.supervisor.1")
        let visitTask = try await eventually(timeout: .seconds(10)) {
            let tasks = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?orderType=prospect&orderNo=\(followUpNo)", token: supervisor)
            return tasks.items.first?["customerMobile"] as? String == mobile
        }
        XCTAssertTrue(visitTask, "CustomerService opens a prospect visit task from prospects.follow_up.recorded.v1")
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups?prospectId=\(prospectID)", token: manager)
        XCTAssertEqual(reply.items.count, 1)
        XCTAssertEqual(reply.items.first?["contents"] as? [String], ["invite", "negotiation"])
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups/export?format=csv&prospectId=\(prospectID)", token: manager)
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.text.contains("客户对价格有顾虑"), reply.text)

        // Defeated, then the visitor comes back: active again at H with a task today.
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/defeat", token: consultant, json: ["reason": "competitor"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "defeated")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects?state=defeated&mobile=\(mobile)", token: manager)
        XCTAssertEqual(reply.items.count, 1)
        (outcome, prospect) = try await register(traffic(mobile, name: "韩梅", extra: ["nature": "second_visit"]), as: consultant)
        XCTAssertEqual(outcome, "reactivated")
        XCTAssertEqual(prospect["level"] as? String, "H")
        XCTAssertEqual(prospect["state"] as? String, "active")
        XCTAssertEqual(prospect["nextFollowUpOn"] as? String, "2026-11-22")

        // Due / overdue / future on the store's clock: two days on, today's task is overdue.
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=due&pageSize=200", token: consultant)
        XCTAssertTrue(reply.items.contains { $0["prospectId"] as? String == prospectID })
        try clock.set(hoursAfterStart: 48)
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=overdue&pageSize=200", token: consultant)
        XCTAssertTrue(reply.items.contains { $0["prospectId"] as? String == prospectID && $0["when"] as? String == "overdue" }, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=due&pageSize=200", token: consultant)
        XCTAssertFalse(reply.items.contains { $0["prospectId"] as? String == prospectID })

        // Ten registrations of one new mobile at the same moment: one prospect, ten visits.
        let rush = Self.mobile()
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask { try await self.register(self.traffic(rush, name: "许诺"), as: consultant).outcome }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.filter { $0 == "created" }.count, 1, "\(outcomes)")
        XCTAssertEqual(outcomes.filter { $0 == "existing" }.count, 9, "\(outcomes)")
        let rushProspects = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.prospect WHERE mobile = '\(rush)'")
        let rushTraffic = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.traffic WHERE mobile = '\(rush)'")
        XCTAssertEqual(rushProspects, 1)
        XCTAssertEqual(rushTraffic, 10)

        // Another consultant does not see it; bad input names its fields.
        let other = try await suite.login("consultant.3")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: other)
        XCTAssertEqual(reply.status, 404)
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: traffic("1234", extra: ["partySize": 0, "source": "online_lead"]))
        XCTAssertEqual(reply.status, 422)
        XCTAssertEqual(Set(reply.problemFields), ["mobile", "partySize", "source"])
    }

    // MARK: P7 — defeat approval and the defeat pool

    func testADefeatWaitsForApprovalAndThePoolOffersItToTheGroupAfter48Hours() async throws {
        let manager = try await suite.login("sales.manager.1")
        let leader = try await suite.login("sales.leader.1")
        let consultant = try await suite.login("consultant.1")
        let otherStore = try await suite.login("consultant.2")
        var reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: manager, json: [
            "defeatApproval": true, "defeatPool": true, "defeatPoolReasons": ["price", "competitor"], "publicPool": false,
            "poolOverdueDays": 3, "claimDailyCap": 10, "reclaimBlockDays": 30,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: consultant, json: reply.json)
        XCTAssertEqual(reply.status, 403, "only the roles that configure may change the rules")

        let mobile = Self.mobile()
        let (_, prospect) = try await register(traffic(mobile, name: "唐宁"), as: consultant)
        let id = try XCTUnwrap(prospect["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(id)/defeat", token: consultant, json: ["reason": "price", "note": "预算不够"])
        XCTAssertEqual(reply.json["state"] as? String, "defeat_pending", reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(id)/defeat/approve", token: consultant, json: [:])
        XCTAssertEqual(reply.status, 403, "a consultant does not approve")
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(id)/defeat/approve", token: leader, json: ["note": "属实"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "defeated")
        XCTAssertEqual(reply.json["defeatNote"] as? String, "预算不够 / 批准: 属实", "the approval's note is kept with the consultant's")
        XCTAssertNotNil(reply.json["defeatPoolSince"] as? String, "a defeat for price (价格因素) goes to the pool")

        func pool(_ token: String) async throws -> [[String: Any]] {
            try await suite.request(.GET, "/api/v1/prospects/defeat-pool?mobile=\(mobile)", token: token).items
        }
        var seen = try await pool(consultant)
        XCTAssertEqual(seen.count, 1, "the store sees its pool at once")
        seen = try await pool(otherStore)
        XCTAssertEqual(seen.count, 0, "the group's other stores do not, yet")
        try clock.set(hoursAfterStart: 47.9)
        seen = try await pool(otherStore)
        XCTAssertEqual(seen.count, 0, "not before 48 hours")
        reply = try await suite.request(.POST, "/api/v1/prospects/defeat-pool/\(id)/claim", token: otherStore, json: [:])
        XCTAssertEqual(reply.status, 404)
        try clock.set(hoursAfterStart: 48.1)
        let offered = try await pool(otherStore)
        XCTAssertEqual(offered.count, 1, "48 hours on, store 2 sees store 1's defeat")
        XCTAssertEqual(offered.first?["fromOtherStore"] as? Bool, true)
        XCTAssertEqual(offered.first?["offeredToGroupAt"] as? String, "2026-11-24T02:00:00Z")
        reply = try await suite.request(.POST, "/api/v1/prospects/defeat-pool/\(id)/claim", token: otherStore, json: [:])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "taken_over")
        let taken = try XCTUnwrap(reply.json["prospect"] as? [String: Any])
        XCTAssertEqual(taken["storeId"] as? String, StoreID.forStoreCode("HX000002").uuidString)
        XCTAssertEqual(taken["source"] as? String, "defeat_pool")
        XCTAssertEqual(taken["level"] as? String, "H")
        XCTAssertEqual(taken["nextFollowUpOn"] as? String, "2026-11-24")
        seen = try await pool(consultant)
        XCTAssertEqual(seen.count, 0, "taken: out of the pool")
    }

    // MARK: P8 — the public pool

    func testFiftyConcurrentClaimsMakeOneOwnerAndAnotherTeamsClaimWaitsForItsFormerLeader() async throws {
        let manager = try await suite.login("sales.manager.1")
        let leader1 = try await suite.login("sales.leader.1")
        let leader2 = try await suite.login("sales.leader.2")
        let consultant1 = try await suite.login("consultant.1")
        let consultant3 = try await suite.login("consultant.3")
        let consultant1ID = try await suite.userID("consultant.1")
        var reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: manager, json: [
            "defeatApproval": false, "defeatPool": false, "defeatPoolReasons": [], "publicPool": true,
            "poolOverdueDays": 3, "claimDailyCap": 100, "reclaimBlockDays": 0,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)

        let (_, prospect) = try await register(traffic(Self.mobile(), name: "周扬", extra: ["consultantId": consultant1ID]), as: manager)
        let id = try XCTUnwrap(prospect["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/release", token: leader1, json: ["prospectIds": [id]])
        XCTAssertEqual(reply.json["released"] as? Int, 1, reply.text)

        // 50 claims at once, from two users of the former team — neither of them the consultant
        // it was released from: exactly one claim succeeds, and its claimant is the owner.
        let leader1ID = try await suite.userID("sales.leader.1")
        let managerID = try await suite.userID("sales.manager.1")
        let claimants = [(token: manager, id: managerID), (token: leader1, id: leader1ID)]
        let answers = try await withThrowingTaskGroup(of: (claimant: String, status: Int).self) { group in
            for index in 0..<50 {
                let claimant = claimants[index % 2]
                group.addTask {
                    (claimant.id, try await self.suite.request(.POST, "/api/v1/prospects/public-pool/\(id)/claim", token: claimant.token, json: [:]).status)
                }
            }
            return try await group.reduce(into: [(claimant: String, status: Int)]()) { $0.append($1) }
        }
        let statuses = answers.map(\.status)
        let winners = answers.filter { $0.status == 200 }.map(\.claimant)
        XCTAssertEqual(winners.count, 1, "exactly one claim succeeds: \(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 49, "\(statuses)")
        let winner = try XCTUnwrap(winners.first)
        let takings = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.pool_taking WHERE prospect_id = '\(id)'")
        XCTAssertEqual(takings, 1)
        let takenByWinner = try await suite.database.scalar(
            "SELECT count(*)::int8 FROM prospects.pool_taking WHERE prospect_id = '\(id)' AND user_id = '\(winner)'")
        XCTAssertEqual(takenByWinner, 1, "the taking is the successful claimant's")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: manager)
        XCTAssertEqual(reply.json["inPublicPool"] as? Bool, false)
        XCTAssertEqual((reply.json["consultantId"] as? String)?.lowercased(), winner.lowercased(), "the owner is the user whose claim got 200")
        let openTasks = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.prospect_task WHERE prospect_id = '\(id)' AND state = 'open'")
        XCTAssertEqual(openTasks, 1)

        // Released again; a consultant of another team claims: the former team's leader decides.
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/release", token: manager, json: ["prospectIds": [id]])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/\(id)/claim", token: consultant3, json: [:])
        XCTAssertEqual(reply.status, 202, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "pending_approval")
        let claimID = try XCTUnwrap(reply.json["claimId"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/\(id)/claim", token: consultant1, json: [:])
        XCTAssertEqual(reply.status, 409, "a claim waiting for approval keeps the others off")
        reply = try await suite.request(.GET, "/api/v1/prospects/pool-claims?state=pending", token: leader2)
        XCTAssertFalse(reply.items.contains { $0["id"] as? String == claimID }, "not the other team's leader's to decide")
        reply = try await suite.request(.POST, "/api/v1/prospects/pool-claims/\(claimID)/approve", token: leader2, json: [:])
        XCTAssertEqual(reply.status, 404)
        reply = try await suite.request(.GET, "/api/v1/prospects/pool-claims?state=pending", token: leader1)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == claimID }, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/pool-claims/\(claimID)/approve", token: leader1, json: [:])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant3)
        XCTAssertEqual(reply.status, 200, "consultant.3 has it now")
        let consultant3ID = try await suite.userID("consultant.3")
        XCTAssertEqual(reply.json["consultantId"] as? String, consultant3ID)

        // Overdue follow-ups are released by the sweep unless a leader extended the deadline.
        let (_, late) = try await register(traffic(Self.mobile(), name: "秦川", extra: ["consultantId": consultant1ID]), as: manager)
        let (_, kept) = try await register(traffic(Self.mobile(), name: "秦岭", extra: ["consultantId": consultant1ID]), as: manager)
        let lateID = try XCTUnwrap(late["id"] as? String)
        let keptID = try XCTUnwrap(kept["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/extend", token: leader1, json: ["prospectIds": [keptID], "days": 30])
        XCTAssertEqual(reply.status, 200, reply.text)
        try clock.set(hoursAfterStart: 24 * 11)  // the B task fell due on the 29th: more than 3 days overdue on 3 Dec
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/release-overdue", token: manager, json: [:])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/public-pool?pageSize=200", token: consultant3)
        let pooled = Set(reply.items.compactMap { $0["id"] as? String })
        XCTAssertTrue(pooled.contains(lateID), reply.text)
        XCTAssertFalse(pooled.contains(keptID), "an extended deadline keeps it")

        // Deleted to the recycle bin, restored from it.
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/delete", token: leader1, json: ["prospectIds": [keptID]])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(keptID)", token: manager)
        XCTAssertEqual(reply.status, 404, "a deleted prospect is only in the recycle bin")
        reply = try await suite.request(.GET, "/api/v1/prospects/recycle-bin", token: leader1)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == keptID })
        reply = try await suite.request(.POST, "/api/v1/prospects/recycle-bin/restore", token: leader1, json: ["prospectIds": [keptID]])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(keptID)", token: consultant1)
        XCTAssertEqual(reply.json["state"] as? String, "active", reply.text)
    }

    // MARK: P10 — order and retained customers from the ERP

    func testAnERPOrderMakesTheProspectLevelOAndTheDeliveryARetainedCustomer() async throws {
        let consultant = try await suite.login("consultant.1")
        let mobile = Self.mobile()
        let (_, prospect) = try await register(traffic(mobile, name: "罗兰"), as: consultant)
        let id = try XCTUnwrap(prospect["id"] as? String)
        let orderNo = "SN" + String(Int.random(in: 10_000_000...99_999_999))
        let order = ERPSalesOrderCreated(
            storeCode: "HX000001", orderNo: orderNo, customer: Person(name: "罗兰", mobile: "+86 \(mobile)"), brand: "凯迪拉克",
            series: "XT5", model: "2026款 28T 豪华型", color: "珍珠白", amount: Decimal(string: "312800.00")!, deposit: Decimal(5000),
            consultant: "王磊", createdAt: Date())
        try await BrokerQueues.publish([CloudEvent(source: "/erp/HX000001", data: order)])
        let ordered = try await eventually(timeout: .seconds(10)) {
            let reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant)
            return reply.json["level"] as? String == "O" && reply.json["state"] as? String == "ordered"
        }
        XCTAssertTrue(ordered)
        var reply = try await suite.request(.GET, "/api/v1/prospects/orders?orderNo=\(orderNo)", token: consultant)
        XCTAssertEqual(reply.items.first?["amount"] as? Double, 312800)
        XCTAssertEqual(reply.items.first?["prospectId"] as? String, id)

        let delivery = ERPVehicleDelivered(
            storeCode: "HX000001", orderNo: orderNo, vin: "LSGKB54H7NA123456", customer: Person(name: "罗兰", mobile: mobile),
            brand: "凯迪拉克", series: "XT5", model: "2026款 28T 豪华型", consultant: "王磊", deliveredAt: Date())
        try await BrokerQueues.publish([CloudEvent(source: "/erp/HX000001", data: delivery), CloudEvent(source: "/erp/HX000001", data: delivery)])
        let retained = try await eventually(timeout: .seconds(10)) {
            try await suite.request(.GET, "/api/v1/prospects/retained-customers?orderNo=\(orderNo)", token: consultant).items.count == 1
        }
        XCTAssertTrue(retained)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant)
        XCTAssertEqual(reply.json["state"] as? String, "delivered")
        reply = try await suite.request(.GET, "/api/v1/prospects/retained-customers/export?format=csv&orderNo=\(orderNo)", token: consultant)
        XCTAssertTrue(reply.text.contains("LSGKB54H7NA123456"), reply.text)

        // An amount the order table cannot hold is dead-lettered at once, with the reason.
        var huge = order
        huge.orderNo = orderNo + "-X"
        huge.amount = Decimal(string: "123456789012.50")!
        let unusable = CloudEvent(source: "/erp/HX000001", data: huge)
        try await BrokerQueues.publish([unusable])
        var dead: ReceivedMessage?
        _ = try await eventually(timeout: .seconds(10)) {
            dead = try await BrokerQueues.run { try $0.get(queue: "prospects.dead") }
            return dead != nil
        }
        XCTAssertEqual(dead?.properties.messageID, unusable.id)
        guard case .string(let reason)? = dead?.properties.headers["x-crm-dead-reason"] else { return XCTFail("no dead-letter reason") }
        XCTAssertTrue(reason.contains("amount"), reason)
        let recorded = try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.sales_order WHERE order_no = '\(huge.orderNo)'")
        XCTAssertEqual(recorded, 0)
    }
}
