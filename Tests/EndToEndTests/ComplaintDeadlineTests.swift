import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// CS6: a complaint's deadline per level, and its overdue flag (超时) on the service clock.
/// crm-customer-service runs as its own process on a clock file the test rewrites; the
/// complaints belong to a store of this test alone, so the overdue list holds nothing else.
///
/// The clock starts years ahead of the real date: a deadline or an overdue flag computed from
/// the machine's clock or the database's `now()` instead of the service clock shows.
final class ComplaintDeadlineTests: XCTestCase {
    static let start = RFC3339.date(from: "2031-03-10T02:00:00Z")!
    var customerService: ServiceProcess!
    var clock: TestClockFile!

    override func setUp() async throws {
        clock = try TestClockFile(Self.start)
        customerService = try ServiceProcess(.customerService)
        try customerService.start(overrides: clock.environment)
        try await customerService.waitUntilReady()
    }

    override func tearDown() async throws {
        await customerService?.stop()
        clock?.remove()
    }

    func testEachLevelHasItsDeadlineAndOnlyOpenComplaintsPastItAreOverdue() async throws {
        let supervisor = try await DirectCaller.make(
            customerService, role: "cs.supervisor",
            permissions: [.readComplaints, .openComplaints, .handleComplaints, .closeComplaints])

        func open(_ level: String, receivedAt: Date? = nil, name: String) async throws -> [String: Any] {
            var body: [String: Any] = [
                "complainantName": name, "complainantMobile": "139" + String(format: "%08d", Int.random(in: 0...99_999_999)),
                "source": "phone", "category": "quality", "level": level, "content": "刹车异响未修好",
            ]
            if let receivedAt { body["receivedAt"] = RFC3339.string(from: receivedAt) }
            let reply = try await supervisor.request(.POST, "/api/v1/customer-service/complaints", json: body)
            XCTAssertEqual(reply.status, 201, reply.text)
            return reply.json
        }
        func date(_ value: Any?) -> Date? { (value as? String).flatMap(RFC3339.date(from:)) }
        func move(_ id: String, to state: String) async throws {
            let reply = try await supervisor.request(.POST, "/api/v1/customer-service/complaints/\(id)/transitions", json: ["to": state])
            XCTAssertEqual(reply.json["state"] as? String, state, reply.text)
        }

        // Received now (the service clock's now): the deadline is receipt plus the level's time.
        let hours: [String: Double] = ["minor": 7 * 24, "general": 3 * 24, "urgent": 24, "severe": 4]
        var ids: [String: String] = [:]
        for (level, allowed) in hours {
            let complaint = try await open(level, name: "投诉人\(level)")
            ids[level] = try XCTUnwrap(complaint["id"] as? String)
            XCTAssertEqual(date(complaint["receivedAt"]), Self.start, "\(level): received at the service clock's now")
            XCTAssertEqual(date(complaint["dueAt"]), Self.start.addingTimeInterval(allowed * 3600), "\(level): due \(allowed) h after receipt")
            XCTAssertEqual(complaint["overdue"] as? Bool, false, level)
        }
        // Received an hour ago — in the future on the real clock, not on the service's: the
        // deadline counts from receipt, not from when it was entered.
        let earlier = try await open("general", receivedAt: Self.start.addingTimeInterval(-3600), name: "早到")
        XCTAssertEqual(date(earlier["dueAt"]), Self.start.addingTimeInterval(71 * 3600))
        // Received tomorrow on the service clock: refused.
        let tomorrow = try await supervisor.request(.POST, "/api/v1/customer-service/complaints", json: [
            "complainantName": "明天", "complainantMobile": "13900000000", "source": "phone", "category": "quality", "level": "minor",
            "content": "x", "receivedAt": RFC3339.string(from: Self.start.addingTimeInterval(24 * 3600)),
        ])
        XCTAssertEqual(tomorrow.status, 422, tomorrow.text)
        XCTAssertEqual(tomorrow.problemFields, ["receivedAt"])

        // Two more severe ones, handled before their deadline: one resolved, one closed.
        let resolvedComplaint = try await open("severe", name: "已解决")
        let closedComplaint = try await open("severe", name: "已关闭")
        let resolved = try XCTUnwrap(resolvedComplaint["id"] as? String)
        let closed = try XCTUnwrap(closedComplaint["id"] as? String)
        try clock.set(hoursAfterStart: 1)
        for id in [resolved, closed] {
            try await move(id, to: "in_progress")
            try await move(id, to: "resolved")
        }
        try await move(closed, to: "closed")
        let resolvedNow = try await supervisor.request(.GET, "/api/v1/customer-service/complaints/\(resolved)")
        XCTAssertEqual(date(resolvedNow.json["resolvedAt"]), Self.start.addingTimeInterval(3600), "resolved at the service clock's now")

        /// The ids the overdue filter lists, and the overdue flag of every complaint of the store.
        func overdue() async throws -> (listed: Set<String>, flagged: Set<String>, notListed: Set<String>) {
            let listed = try await supervisor.request(.GET, "/api/v1/customer-service/complaints?overdue=true&pageSize=200")
            let notListed = try await supervisor.request(.GET, "/api/v1/customer-service/complaints?overdue=false&pageSize=200")
            let all = try await supervisor.request(.GET, "/api/v1/customer-service/complaints?pageSize=200")
            XCTAssertEqual(all.items.count, 7, all.text)
            let idsOf = { (reply: Suite.Reply) in Set(reply.items.compactMap { $0["id"] as? String }) }
            return (idsOf(listed), Set(all.items.filter { $0["overdue"] as? Bool == true }.compactMap { $0["id"] as? String }), idsOf(notListed))
        }
        let everyone = Set(ids.values).union([try XCTUnwrap(earlier["id"] as? String), resolved, closed])

        // A minute before the severe deadline: nothing is overdue.
        try clock.set(hoursAfterStart: 4 - 1.0 / 60)
        var seen = try await overdue()
        XCTAssertEqual(seen.listed, [])
        XCTAssertEqual(seen.flagged, [])
        XCTAssertEqual(seen.notListed, everyone)

        // Past the severe deadline (4 h), not the urgent one (24 h): the open severe one only.
        try clock.set(hoursAfterStart: 5)
        seen = try await overdue()
        XCTAssertEqual(seen.listed, [ids["severe"]!], "only the open severe complaint is past its deadline")
        XCTAssertEqual(seen.flagged, [ids["severe"]!])
        XCTAssertEqual(seen.notListed, everyone.subtracting([ids["severe"]!]))
        let single = try await supervisor.request(.GET, "/api/v1/customer-service/complaints/\(ids["severe"]!)")
        XCTAssertEqual(single.json["overdue"] as? Bool, true, single.text)
        let resolvedLater = try await supervisor.request(.GET, "/api/v1/customer-service/complaints/\(resolved)")
        XCTAssertEqual(resolvedLater.json["overdue"] as? Bool, false, "resolved before its deadline: not overdue")

        // Past the urgent deadline too; the general and minor ones still have time.
        try clock.set(hoursAfterStart: 25)
        seen = try await overdue()
        XCTAssertEqual(seen.listed, [ids["severe"]!, ids["urgent"]!])
        XCTAssertEqual(seen.flagged, seen.listed)

        // Taking the overdue one up keeps it overdue; resolving it ends that.
        try await move(ids["severe"]!, to: "in_progress")
        seen = try await overdue()
        XCTAssertTrue(seen.listed.contains(ids["severe"]!), "in progress past its deadline is still overdue")
        try await move(ids["severe"]!, to: "resolved")
        seen = try await overdue()
        XCTAssertEqual(seen.listed, [ids["urgent"]!])

        // A week and a day on: every open one is overdue, the handled ones are not.
        try clock.set(hoursAfterStart: 8 * 24)
        seen = try await overdue()
        XCTAssertEqual(seen.listed, [ids["urgent"]!, ids["general"]!, ids["minor"]!, try XCTUnwrap(earlier["id"] as? String)])
        XCTAssertEqual(seen.flagged, seen.listed)
        XCTAssertEqual(seen.notListed, [ids["severe"]!, resolved, closed])
    }
}
