import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// P8's public-pool rules through the gateway: direct assignment (直接分配), the daily claim cap
/// and the re-claim block, and P3's assignment of prospects. The Prospects service reads its
/// clock from a file: it starts at 2027-03-10 10:00 in Shanghai (02:00 UTC), a day no other
/// test class uses, so today's claims are this class's alone.
final class PublicPoolRulesTests: XCTestCase {
    static let start = "2027-03-10T02:00:00Z"
    static let today = "2027-03-10"
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

    static func mobile() -> String { "136" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    /// Store 1's sales rules: the public pool on, with this cap and block.
    func setPoolRules(claimDailyCap: Int, reclaimBlockDays: Int) async throws {
        let manager = try await suite.login("sales.manager.1")
        let reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: manager, json: [
            "defeatApproval": false, "defeatPool": false, "defeatPoolReasons": [], "publicPool": true,
            "poolOverdueDays": 3, "claimDailyCap": claimDailyCap, "reclaimBlockDays": reclaimBlockDays,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["claimDailyCap"] as? Int, claimDailyCap, reply.text)
        XCTAssertEqual(reply.json["reclaimBlockDays"] as? Int, reclaimBlockDays, reply.text)
    }

    /// A new prospect of store 1 registered by the manager for `consultantID`; its id.
    func prospect(for consultantID: String, name: String = "白露") async throws -> String {
        let manager = try await suite.login("sales.manager.1")
        let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: manager, json: [
            "name": name, "mobile": Self.mobile(), "arrival": "showroom", "partySize": 1, "arrivedAt": "2027-03-10T01:30:00Z",
            "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": "B", "consultantId": consultantID,
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["outcome"] as? String, "created", reply.text)
        let prospect = try XCTUnwrap(reply.json["prospect"] as? [String: Any], reply.text)
        XCTAssertEqual((prospect["consultantId"] as? String)?.lowercased(), consultantID.lowercased())
        return try XCTUnwrap(prospect["id"] as? String)
    }

    func release(_ ids: [String]) async throws {
        let manager = try await suite.login("sales.manager.1")
        let reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/release", token: manager, json: ["prospectIds": ids])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["released"] as? Int, ids.count, reply.text)
    }

    func claim(_ id: String, as token: String) async throws -> Suite.Reply {
        try await suite.request(.POST, "/api/v1/prospects/public-pool/\(id)/claim", token: token, json: [:])
    }

    // MARK: direct assignment (直接分配)

    /// A prospect of team 1 released to the pool: a manager's direct assignment gives it to
    /// consultant.3 of team 2 at once — out of the pool, theirs, with a task today — where the
    /// same assignment without `direct` waits for team 1's leader.
    func testDirectAssignmentGivesThePoolProspectToTheNamedConsultant() async throws {
        try await setPoolRules(claimDailyCap: 100, reclaimBlockDays: 0)
        let manager = try await suite.login("sales.manager.1")
        let leader = try await suite.login("sales.leader.1")
        let consultant1ID = try await suite.userID("consultant.1")
        let consultant3ID = try await suite.userID("consultant.3")
        let consultant3 = try await suite.login("consultant.3")
        let direct = try await prospect(for: consultant1ID, name: "直分")
        let viaLeader = try await prospect(for: consultant1ID, name: "待批")
        try await release([direct, viaLeader])

        // A leader lacks prospects.pool.assign-directly.
        var reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/assign", token: leader, json: [
            "prospectIds": [direct], "consultantId": consultant3ID, "direct": true,
        ])
        XCTAssertEqual(reply.status, 403, reply.text)

        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/assign", token: manager, json: [
            "prospectIds": [direct], "consultantId": consultant3ID, "direct": true,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        let items = reply.json["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.count, 1, reply.text)
        XCTAssertEqual(items.first?["prospectId"] as? String, direct)
        XCTAssertEqual(items.first?["outcome"] as? String, "assigned", "direct: no approval of the former team's leader: \(reply.text)")

        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(direct)", token: consultant3)
        XCTAssertEqual(reply.status, 200, "consultant.3 has it now: \(reply.text)")
        XCTAssertEqual((reply.json["consultantId"] as? String)?.lowercased(), consultant3ID.lowercased())
        XCTAssertEqual(reply.json["inPublicPool"] as? Bool, false)
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=due&pageSize=200", token: consultant3)
        let task = reply.items.first { $0["prospectId"] as? String == direct }
        XCTAssertEqual(task?["dueOn"] as? String, Self.today, "a follow-up task today: \(reply.text)")
        XCTAssertEqual((task?["consultantId"] as? String)?.lowercased(), consultant3ID.lowercased())
        reply = try await suite.request(.GET, "/api/v1/prospects/public-pool?pageSize=200", token: manager)
        XCTAssertFalse(reply.items.contains { $0["id"] as? String == direct }, "out of the pool")

        // Without `direct`, the same assignment is a claim for team 1's leader to decide.
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/assign", token: manager, json: [
            "prospectIds": [viaLeader], "consultantId": consultant3ID,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["items"] as? [[String: Any]])?.first?["outcome"] as? String, "pending_approval", reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(viaLeader)", token: manager)
        XCTAssertEqual(reply.json["inPublicPool"] as? Bool, true, reply.text)
        XCTAssertNil(reply.json["consultantId"] as? String, reply.text)
    }

    // MARK: P3 — assignment

    /// `POST /prospects/prospects/assign` gives every named prospect to the named consultant,
    /// and their open task goes with them.
    func testAssignmentGivesTheProspectsToTheNamedConsultant() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant1ID = try await suite.userID("consultant.1")
        let consultant3ID = try await suite.userID("consultant.3")
        let consultant3 = try await suite.login("consultant.3")
        let consultant1 = try await suite.login("consultant.1")
        let first = try await prospect(for: consultant1ID, name: "甲")
        let second = try await prospect(for: consultant1ID, name: "乙")
        var reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(first)", token: consultant3)
        XCTAssertEqual(reply.status, 404, "not consultant.3's yet")

        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/assign", token: manager, json: [
            "prospectIds": [first, second], "consultantId": consultant3ID,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        for id in [first, second] {
            reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant3)
            XCTAssertEqual(reply.status, 200, "consultant.3 has \(id) now: \(reply.text)")
            XCTAssertEqual((reply.json["consultantId"] as? String)?.lowercased(), consultant3ID.lowercased(), reply.text)
            reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant1)
            XCTAssertEqual(reply.status, 404, "no longer consultant.1's")
        }
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?pageSize=200", token: consultant3)
        let tasks = reply.items.filter { [first, second].contains($0["prospectId"] as? String ?? "") }
        XCTAssertEqual(tasks.count, 2, "the open tasks went with them: \(reply.text)")
        XCTAssertTrue(tasks.allSatisfy { ($0["consultantId"] as? String)?.lowercased() == consultant3ID.lowercased() }, reply.text)
        XCTAssertTrue(tasks.allSatisfy { $0["dueOn"] as? String == "2027-03-17" }, "still the B task: \(reply.text)")
    }

    // MARK: daily claim cap

    /// With a cap of 2 a day, consultant.1's third claim of the day is refused with a problem
    /// that names the cap; the next day (on the store's clock) the claim goes through.
    func testTheDailyClaimCapRefusesTheClaimPastIt() async throws {
        try await setPoolRules(claimDailyCap: 2, reclaimBlockDays: 0)
        let managerID = try await suite.userID("sales.manager.1")
        let consultant1 = try await suite.login("consultant.1")
        var ids: [String] = []
        for index in 0..<3 { ids.append(try await prospect(for: managerID, name: "公海\(index)")) }
        try await release(ids)

        for id in ids.prefix(2) {
            let reply = try await claim(id, as: consultant1)
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(reply.json["outcome"] as? String, "assigned", reply.text)
        }
        var reply = try await claim(ids[2], as: consultant1)
        XCTAssertEqual(reply.status, 409, "the third claim of the day is past the cap: \(reply.text)")
        XCTAssertTrue(reply.isProblem, reply.text)
        let detail = reply.json["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("2") && detail.contains("day"), "the problem names the cap of 2 a day: \(detail)")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(ids[2])", token: consultant1)
        XCTAssertEqual(reply.status, 404, "still not consultant.1's")

        // 23:30 in Shanghai: still the same day.
        try clock.set(hoursAfterStart: 13.5)
        reply = try await claim(ids[2], as: consultant1)
        XCTAssertEqual(reply.status, 409, "still 10 March in Shanghai: \(reply.text)")
        // 00:30 the next day in Shanghai (16:30 UTC, still 10 March in UTC): a new day's cap.
        try clock.set(hoursAfterStart: 14.5)
        reply = try await claim(ids[2], as: consultant1)
        XCTAssertEqual(reply.status, 200, "11 March on the store's clock: a new day's cap: \(reply.text)")
        XCTAssertEqual(reply.json["outcome"] as? String, "assigned", reply.text)
    }

    // MARK: re-claim block

    /// With a 5-day block, consultant.3 may not claim back a prospect released from them until
    /// 5 days after the release; then they may.
    func testTheReclaimBlockRefusesTheFormerConsultantWithinTheBlock() async throws {
        try await setPoolRules(claimDailyCap: 100, reclaimBlockDays: 5)
        let consultant3ID = try await suite.userID("consultant.3")
        let consultant3 = try await suite.login("consultant.3")
        let id = try await prospect(for: consultant3ID, name: "回头")
        try await release([id])

        var reply = try await claim(id, as: consultant3)
        XCTAssertEqual(reply.status, 409, "released from consultant.3 just now: \(reply.text)")
        XCTAssertTrue(reply.isProblem, reply.text)
        let detail = reply.json["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("5 days"), "the problem names the 5-day block: \(detail)")
        try clock.set(hoursAfterStart: 5 * 24 - 1)
        reply = try await claim(id, as: consultant3)
        XCTAssertEqual(reply.status, 409, "an hour before the block ends: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/prospects/public-pool?pageSize=200", token: consultant3)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == id }, "still in the pool: \(reply.text)")

        try clock.set(hoursAfterStart: 5 * 24 + 1)
        reply = try await claim(id, as: consultant3)
        XCTAssertEqual(reply.status, 200, "the block is over: \(reply.text)")
        XCTAssertEqual(reply.json["outcome"] as? String, "assigned", reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(id)", token: consultant3)
        XCTAssertEqual((reply.json["consultantId"] as? String)?.lowercased(), consultant3ID.lowercased(), reply.text)
    }
}
