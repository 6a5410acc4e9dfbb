import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Follow-up tasks of Leads (L6) and Prospects (P4) on the store's rules and the store's clock.
/// Both services stand at 2027-04-20 17:00 UTC, which is already 2027-04-21 01:00 in Shanghai
/// (the stores' time zone): a rule that took the day from UTC would be a day behind.
final class FollowUpRulesTests: XCTestCase {
    static let now = "2027-04-20T17:00:00Z"
    /// Today in Shanghai.
    static let today = "2027-04-21"
    /// Today in UTC: yesterday in Shanghai.
    static let utcToday = "2027-04-20"
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start(leadsEnvironment: ["CRM_FIXED_TIME": Self.now], prospectsEnvironment: ["CRM_FIXED_TIME": Self.now])
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    static func mobile() -> String { "135" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    static let leadDefaults: [[String: Any]] = [
        ["level": "H", "intervalDays": 1], ["level": "A", "intervalDays": 3], ["level": "B", "intervalDays": 7], ["level": "C", "intervalDays": 14],
    ]
    static let prospectDefaults: [[String: Any]] = leadDefaults + [["level": "O", "intervalDays": 7]]

    /// Puts store 2's rules back to the defaults, so that other tests see them.
    func restoreStore2Rules() async throws {
        let manager = try await suite.login("sales.manager.2")
        var reply = try await suite.request(.PUT, "/api/v1/leads/rules", token: manager, json: ["intervals": Self.leadDefaults])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/prospects/rules", token: manager, json: ["intervals": Self.prospectDefaults])
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    static func interval(_ rules: Suite.Reply, _ level: String) -> Int? {
        (rules.json["intervals"] as? [[String: Any]])?.first { $0["level"] as? String == level }?["intervalDays"] as? Int
    }

    // MARK: the store's interval per intent level

    /// Store 2 sets B to 4 days for leads, and A to 5 and C to 10 days for prospects: the next
    /// follow-up task falls that many days after today on the store's clock, not after the
    /// defaults (B 7, A 3, C 14). Store 2's rules are put back at the end.
    func testTheNextTaskFollowsTheStoresIntervalForTheLevel() async throws {
        let manager = try await suite.login("sales.manager.2")
        let consultant = try await suite.login("consultant.2")
        let consultantID = try await suite.userID("consultant.2")
        do {
            // Leads: B 4 days; the other levels keep theirs.
            var reply = try await suite.request(.PUT, "/api/v1/leads/rules", token: manager, json: ["intervals": [["level": "B", "intervalDays": 4]]])
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(Self.interval(reply, "B"), 4, reply.text)
            XCTAssertEqual(Self.interval(reply, "A"), 3, "a level left out keeps its interval: \(reply.text)")
            reply = try await suite.request(.PUT, "/api/v1/leads/rules", token: consultant, json: ["intervals": [["level": "B", "intervalDays": 2]]])
            XCTAssertEqual(reply.status, 403, "a consultant does not configure the rules")
            reply = try await suite.request(.GET, "/api/v1/leads/rules", token: consultant)
            XCTAssertEqual(Self.interval(reply, "B"), 4, reply.text)

            reply = try await suite.request(.POST, "/api/v1/leads/leads", token: consultant, json: ["name": "范冰", "mobile": Self.mobile(), "source": "phone"])
            XCTAssertEqual(reply.status, 201, reply.text)
            let leadID = try XCTUnwrap((reply.json["lead"] as? [String: Any])?["id"] as? String, reply.text)
            reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/follow-ups", token: consultant, json: [
                "channel": "phone", "content": "下周再联系", "level": "B",
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            XCTAssertEqual(reply.json["nextFollowUpOn"] as? String, "2027-04-25", "B: the store's 4 days from 21 April")
            reply = try await suite.request(.GET, "/api/v1/leads/tasks?when=future&pageSize=200", token: consultant)
            let leadTask = reply.items.first { $0["leadId"] as? String == leadID }
            XCTAssertEqual(leadTask?["dueOn"] as? String, "2027-04-25", reply.text)
            // Another level still has its default.
            reply = try await suite.request(.POST, "/api/v1/leads/leads/\(leadID)/follow-ups", token: consultant, json: [
                "channel": "phone", "content": "意向提高", "level": "A",
            ])
            XCTAssertEqual(reply.json["nextFollowUpOn"] as? String, "2027-04-24", "A: still 3 days: \(reply.text)")

            // Prospects: A 5 days, C 10 days.
            reply = try await suite.request(.PUT, "/api/v1/prospects/rules", token: manager, json: [
                "intervals": [["level": "A", "intervalDays": 5], ["level": "C", "intervalDays": 10]],
            ])
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(Self.interval(reply, "A"), 5, reply.text)
            XCTAssertEqual(Self.interval(reply, "C"), 10, reply.text)
            XCTAssertEqual(Self.interval(reply, "B"), 7, reply.text)
            reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "岳云", "mobile": Self.mobile(), "arrival": "showroom", "partySize": 1, "arrivedAt": "2027-04-20T16:30:00Z",
                "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": "A",
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let prospect = try XCTUnwrap(reply.json["prospect"] as? [String: Any], reply.text)
            let prospectID = try XCTUnwrap(prospect["id"] as? String)
            XCTAssertEqual((prospect["consultantId"] as? String)?.lowercased(), consultantID.lowercased())
            XCTAssertEqual(prospect["nextFollowUpOn"] as? String, "2027-04-26", "A: the store's 5 days from 21 April")
            reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
                "level": "C", "method": "phone", "contents": ["invite"], "result": "continue", "contact": "repeated",
                "note": "暂不考虑", "valid": true, "next": ["method": "phone", "content": "appointment", "comesTomorrow": false],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            XCTAssertEqual(reply.json["nextOn"] as? String, "2027-05-01", "C: the store's 10 days from 21 April")
            reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=future&pageSize=200", token: consultant)
            let prospectTask = reply.items.first { $0["prospectId"] as? String == prospectID }
            XCTAssertEqual(prospectTask?["dueOn"] as? String, "2027-05-01", reply.text)
        } catch {
            try? await restoreStore2Rules()
            throw error
        }
        try await restoreStore2Rules()
    }

    // MARK: due / overdue / future on the store's clock

    /// At 01:00 on 21 April in Shanghai (17:00 on the 20th in UTC): a task due on the 20th is
    /// overdue, one due on the 21st is due, one on the 22nd future — for leads and prospects.
    /// Taken by the UTC day, the first two would be due and future.
    func testTasksAreDueOverdueOrFutureByTheShanghaiDateNotTheUTCDate() async throws {
        let consultant = try await suite.login("consultant.1")

        // Leads a consultant enters are theirs, with a task due today — the store's today.
        var leadIDs: [String] = []
        for _ in 0..<3 {
            let reply = try await suite.request(.POST, "/api/v1/leads/leads", token: consultant, json: ["name": "夏雨", "mobile": Self.mobile(), "source": "phone"])
            XCTAssertEqual(reply.status, 201, reply.text)
            let lead = try XCTUnwrap(reply.json["lead"] as? [String: Any], reply.text)
            XCTAssertEqual(lead["nextFollowUpOn"] as? String, Self.today, "today is 21 April in Shanghai")
            leadIDs.append(try XCTUnwrap(lead["id"] as? String))
        }
        _ = try await suite.database.scalar("UPDATE leads.lead_task SET due_on = '\(Self.utcToday)' WHERE lead_id = '\(leadIDs[0])' AND state = 'open' RETURNING 1")
        _ = try await suite.database.scalar("UPDATE leads.lead_task SET due_on = '2027-04-22' WHERE lead_id = '\(leadIDs[2])' AND state = 'open' RETURNING 1")
        for (when, expected) in [("overdue", leadIDs[0]), ("due", leadIDs[1]), ("future", leadIDs[2])] {
            let reply = try await suite.request(.GET, "/api/v1/leads/tasks?when=\(when)&pageSize=200", token: consultant)
            XCTAssertEqual(reply.status, 200, reply.text)
            let mine = reply.items.filter { leadIDs.contains($0["leadId"] as? String ?? "") }
            XCTAssertEqual(mine.compactMap { $0["leadId"] as? String }, [expected], "leads \(when): \(reply.text)")
            XCTAssertTrue(mine.allSatisfy { $0["when"] as? String == when }, reply.text)
        }
        var reply = try await suite.request(.GET, "/api/v1/leads/tasks?pageSize=200", token: consultant)
        let leadWhen = Dictionary(uniqueKeysWithValues: reply.items.compactMap { item -> (String, String)? in
            guard let id = item["leadId"] as? String, leadIDs.contains(id) else { return nil }
            return (id, item["when"] as? String ?? "")
        })
        XCTAssertEqual(leadWhen, [leadIDs[0]: "overdue", leadIDs[1]: "due", leadIDs[2]: "future"], reply.text)

        // Prospects: the same three days.
        var prospectIDs: [String] = []
        for _ in 0..<3 {
            let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "秋实", "mobile": Self.mobile(), "arrival": "showroom", "partySize": 1, "arrivedAt": "2027-04-20T16:30:00Z",
                "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": "H",
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let prospect = try XCTUnwrap(reply.json["prospect"] as? [String: Any], reply.text)
            XCTAssertEqual(prospect["nextFollowUpOn"] as? String, "2027-04-22", "H: a day after 21 April")
            prospectIDs.append(try XCTUnwrap(prospect["id"] as? String))
        }
        for (id, day) in zip(prospectIDs, [Self.utcToday, Self.today, "2027-04-22"]) {
            _ = try await suite.database.scalar("UPDATE prospects.prospect_task SET due_on = '\(day)' WHERE prospect_id = '\(id)' AND state = 'open' RETURNING 1")
        }
        for (when, expected) in [("overdue", prospectIDs[0]), ("due", prospectIDs[1]), ("future", prospectIDs[2])] {
            let reply = try await suite.request(.GET, "/api/v1/prospects/tasks?when=\(when)&pageSize=200", token: consultant)
            XCTAssertEqual(reply.status, 200, reply.text)
            let mine = reply.items.filter { prospectIDs.contains($0["prospectId"] as? String ?? "") }
            XCTAssertEqual(mine.compactMap { $0["prospectId"] as? String }, [expected], "prospects \(when): \(reply.text)")
            XCTAssertTrue(mine.allSatisfy { $0["when"] as? String == when }, reply.text)
        }
        reply = try await suite.request(.GET, "/api/v1/prospects/tasks?pageSize=200", token: consultant)
        let prospectWhen = Dictionary(uniqueKeysWithValues: reply.items.compactMap { item -> (String, String)? in
            guard let id = item["prospectId"] as? String, prospectIDs.contains(id) else { return nil }
            return (id, item["when"] as? String ?? "")
        })
        XCTAssertEqual(prospectWhen, [prospectIDs[0]: "overdue", prospectIDs[1]: "due", prospectIDs[2]: "future"], reply.text)
    }
}
