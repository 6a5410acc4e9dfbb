import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Insurance renewal (续保招揽, SPEC AS6) end to end through the gateway, with AfterSales on a
/// clock the tests move (store HX000001, Asia/Shanghai) and its renewal pass every second:
/// stage 1 and stage 2 open on the right store day and not a minute before; failure when the
/// expiry passes; success by hand and by the ERP's `erp.insurance_policy.issued.v1` (delivered
/// twice, and the same policy under a new event id: one renewal); the next cycle's task; a
/// defeat needs a reason of the dictionary; the tasks are spread over the specialists and a
/// specialist sees only theirs; two crm-aftersales processes open every task once.
///
/// The database outlives the suite: every car is new (random VIN, owner named after the run's
/// tag), and the assertions look at this run's cars only.
final class RenewalTests: XCTestCase {
    var suite: Suite!
    var clock: TestClockFile!
    var secondProcess: ServiceProcess?
    /// A renewal specialist a test added to store 1, deactivated again at the end, so that
    /// other tests' tasks are not spread to a user they do not know.
    var extraSpecialist: String?
    /// 10:00 on 15 June 2026 in Shanghai.
    static let start = "2026-06-15T02:00:00Z"
    static let passEnvironment = ["CRM_RENEWAL_PASS_SECONDS": "1"]
    let tag = "续保\(Int.random(in: 100_000...999_999))"

    override func setUp() async throws {
        clock = try TestClockFile(Self.start)
        suite = try await Suite.start(afterSalesEnvironment: clock.environment.merging(Self.passEnvironment) { _, pass in pass })
        let known = try await eventually(timeout: .seconds(30)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM aftersales.directory_user WHERE username IN ('renewal.1', 'renewal.2', 'as.director.1', 'sa.1')
                """) == 4
        }
        XCTAssertTrue(known, "AfterSales learns the demo users")
        try await setRules(level1: 90, level2: 30)
    }

    override func tearDown() async throws {
        await secondProcess?.stop()
        if let suite, let extraSpecialist {
            let admin = try await suite.login("admin")
            let reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(extraSpecialist)", token: admin, json: ["active": false])
            XCTAssertEqual(reply.status, 200, reply.text)
        }
        if let suite {
            try? await setRules(level1: 90, level2: 30)
            await suite.stop()
        }
        clock?.remove()
    }

    // MARK: helpers

    func setRules(level1: Int, level2: Int) async throws {
        let admin = try await suite.login("admin")
        let reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-settings", token: admin, json: [
            "level1Days": level1, "level2Days": level2,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    /// A new car of store 1 whose insurance ends on `expiry`; its id and VIN.
    func makeCar(expiry: String) async throws -> (id: String, vin: String) {
        let sa = try await suite.login("sa.1")
        let vin = AfterSalesRecordsTests.vin()
        let reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": CustomerFileTests.plate(), "brand": "别克", "series": "君越", "model": "2026款 652T",
            "insuranceExpiry": expiry, "owner": ["name": tag + "车主", "mobile": CustomerFileTests.mobile()],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        return (try XCTUnwrap(reply.json["id"] as? String, reply.text), vin)
    }

    /// The car's renewal tasks as the director sees them, the soonest expiry first.
    func tasks(_ vin: String) async throws -> [[String: Any]] {
        let director = try await suite.login("as.director.1")
        let reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?vin=\(vin)&pageSize=50", token: director)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.items
    }

    /// Waits until the car has `count` tasks and `check` holds of them; the tasks.
    @discardableResult
    func waitForTasks(_ vin: String, count: Int, _ what: String, check: @escaping ([[String: Any]]) -> Bool = { _ in true }) async throws -> [[String: Any]] {
        var last: [[String: Any]] = []
        let seen = try await eventually(timeout: .seconds(20)) {
            last = try await self.tasks(vin)
            return last.count == count && check(last)
        }
        XCTAssertTrue(seen, "\(what): \(last)\n\(suite.logs.suffix(3000))")
        return last
    }

    /// Lets a few passes run (one a second), for checks that nothing happens.
    func letPassesRun() async throws {
        try await Task.sleep(for: .seconds(3.5))
    }

    func moveClock(to instant: String) throws {
        try clock.set(try XCTUnwrap(RFC3339.date(from: instant)))
    }

    // MARK: stages and failure

    /// Expiry 2026-09-14: stage 1 opens on 16 June (90 days before) — at 00:00 Shanghai, not
    /// at 23:59 the day before; stage 2 on 15 August (30 days before), not on the 14th; the
    /// task fails at 00:00 on 15 September, not at 23:59 on the expiry day.
    func testStagesOpenOnTheStoreDayAndTheTaskFailsWhenTheExpiryPasses() async throws {
        let car = try await makeCar(expiry: "2026-09-14")
        try moveClock(to: "2026-06-15T15:59:00Z")  // 23:59 on 15 June: 91 days before
        try await letPassesRun()
        let observed1 = try await tasks(car.vin).count
        XCTAssertEqual(observed1, 0, "no task 91 days before the expiry")

        try moveClock(to: "2026-06-15T16:00:00Z")  // 00:00 on 16 June
        var task = try await waitForTasks(car.vin, count: 1, "stage 1 opens 90 days before")[0]
        let id = try XCTUnwrap(task["id"] as? String)
        XCTAssertEqual(task["stage"] as? String, "level1")
        XCTAssertEqual(task["state"] as? String, "open")
        XCTAssertEqual(task["insuranceExpiry"] as? String, "2026-09-14")
        XCTAssertEqual(task["createdOn"] as? String, "2026-06-16")
        XCTAssertEqual(task["ownerName"] as? String, tag + "车主")
        XCTAssertNotNil(task["assigneeId"] as? String, "assigned to a renewal specialist: \(task)")

        try moveClock(to: "2026-08-14T15:59:00Z")  // 23:59 on 14 August: 31 days before
        try await letPassesRun()
        task = try await tasks(car.vin)[0]
        XCTAssertEqual(task["stage"] as? String, "level1", "still stage 1 31 days before")

        try moveClock(to: "2026-08-14T16:00:00Z")  // 00:00 on 15 August
        task = try await waitForTasks(car.vin, count: 1, "stage 2 30 days before") { $0[0]["stage"] as? String == "level2" }[0]
        XCTAssertEqual(task["id"] as? String, id, "the same task moves on")

        try moveClock(to: "2026-09-14T15:59:00Z")  // 23:59 on the expiry day
        try await letPassesRun()
        let observed2 = try await tasks(car.vin)[0]["state"] as? String
        XCTAssertEqual(observed2, "open", "still open on the expiry day")

        try moveClock(to: "2026-09-14T16:00:00Z")  // 00:00 the day after
        task = try await waitForTasks(car.vin, count: 1, "fails the day after the expiry") { $0[0]["state"] as? String == "expired" }[0]
        XCTAssertNotNil(task["closedAt"] as? String)
        // Too late for a renewal by hand: the task is no longer open.
        let director = try await suite.login("as.director.1")
        let late = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(task["id"] as! String)/renewal", token: director, json: [
            "insurer": "中国人保财险", "policyNo": "LATE\(tag)", "premium": 3000, "newExpiry": "2027-09-14",
        ])
        XCTAssertEqual(late.status, 409, late.text)
        XCTAssertTrue(late.isProblem)
    }

    /// The rules refuse bad numbers, naming every field; a specialist reads them but cannot
    /// change them; a larger stage-1 window opens the tasks it now reaches, at the next pass.
    func testTheRenewalRulesAreCheckedAndApplied() async throws {
        let admin = try await suite.login("admin")
        var reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-settings", token: admin, json: ["level1Days": 30, "level2Days": 30])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["level2Days"])
        reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-settings", token: admin, json: ["level1Days": 0, "level2Days": 400])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["level1Days", "level2Days"])
        let specialist = try await suite.login("renewal.1")
        reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-settings", token: specialist, json: ["level1Days": 60, "level2Days": 10])
        XCTAssertEqual(reply.status, 403, reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-settings", token: specialist)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["level1Days"] as? Int, 90)
        XCTAssertEqual(reply.json["level2Days"] as? Int, 30)

        // 15 June + 100 days = 23 September: outside 90 days, inside 120.
        let car = try await makeCar(expiry: "2026-09-23")
        try await letPassesRun()
        let observed3 = try await tasks(car.vin).count
        XCTAssertEqual(observed3, 0, "100 days before the expiry, with stage 1 at 90")
        try await setRules(level1: 120, level2: 100)
        let task = try await waitForTasks(car.vin, count: 1, "stage 1 at 120 days") { $0[0]["stage"] as? String == "level2" }[0]
        XCTAssertEqual(task["createdOn"] as? String, "2026-06-15", "opened today, at stage 2 already (100 days before)")
    }

    // MARK: success

    /// Expiry 2026-07-15, 30 days away: the task opens at stage 2. A follow-up, then the renewal
    /// by hand; the car's expiry becomes the new one, and the next cycle's task opens 90 days
    /// before it — on 16 April 2027.
    func testARenewalByHandSucceedsAndStartsTheNextCycle() async throws {
        let car = try await makeCar(expiry: "2026-07-15")
        let task = try await waitForTasks(car.vin, count: 1, "the task opens at once")[0]
        XCTAssertEqual(task["stage"] as? String, "level2", "30 days before the expiry")
        let id = try XCTUnwrap(task["id"] as? String)
        let specialistID = try await suite.userID("renewal.1")
        XCTAssertEqual((task["assigneeId"] as? String)?.lowercased(), specialistID.lowercased(), "store 1's only specialist")
        let specialist = try await suite.login("renewal.1")

        var reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: [
            "note": "客户考虑中，下周再联系", "nextFollowUpOn": "2026-06-20",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["nextFollowUpOn"] as? String, "2026-06-20")
        let followUps = try XCTUnwrap(reply.json["followUps"] as? [[String: Any]])
        XCTAssertEqual(followUps.count, 1)
        XCTAssertEqual(followUps.first?["stage"] as? String, "level2")
        XCTAssertEqual((followUps.first?["authorId"] as? String)?.lowercased(), specialistID.lowercased())
        XCTAssertEqual(followUps.first?["recordedAt"] as? String, "2026-06-15T02:00:00Z")

        // A new expiry that is not after the old one, and bad fields, are named.
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/renewal", token: specialist, json: [
            "insurer": " ", "policyNo": "P1", "premium": 12.345, "newExpiry": "2026-07-15",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["insurer", "premium", "newExpiry"])
        // A new expiry more than 3 years on (a typo's 2199), and an impossible day, are named too.
        for newExpiry in ["2199-12-31", "2027-02-30"] {
            reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/renewal", token: specialist, json: [
                "insurer": "中国人保财险", "policyNo": "P2", "premium": 100, "newExpiry": newExpiry,
            ])
            XCTAssertEqual(reply.status, 422, "\(newExpiry): \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["newExpiry"], newExpiry)
        }

        let policyNo = "PDAA\(Int.random(in: 100_000_000...999_999_999))"
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/renewal", token: specialist, json: [
            "insurer": "中国人保财险", "policyNo": policyNo, "premium": 4862.37, "newExpiry": "2027-07-15",
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "renewed")
        let renewal = try XCTUnwrap(reply.json["renewal"] as? [String: Any], reply.text)
        XCTAssertEqual(renewal["premium"] as? Double, 4862.37)
        XCTAssertEqual(renewal["newExpiry"] as? String, "2027-07-15")
        XCTAssertEqual(renewal["issuedOn"] as? String, "2026-06-15")
        XCTAssertEqual(renewal["source"] as? String, "crm")
        // Once is enough.
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/renewal", token: specialist, json: [
            "insurer": "中国人保财险", "policyNo": policyNo + "X", "premium": 1, "newExpiry": "2027-07-16",
        ])
        XCTAssertEqual(reply.status, 409, reply.text)
        let sa = try await suite.login("sa.1")
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(car.id)", token: sa)
        XCTAssertEqual(reply.json["insuranceExpiry"] as? String, "2027-07-15", "the new policy's expiry is the car's")

        // The next cycle: 90 days before 15 July 2027 is 16 April 2027.
        try moveClock(to: "2027-04-15T15:59:00Z")
        try await letPassesRun()
        let observed4 = try await tasks(car.vin).count
        XCTAssertEqual(observed4, 1, "no new task 91 days before the new expiry")
        try moveClock(to: "2027-04-15T16:00:00Z")
        let cycle = try await waitForTasks(car.vin, count: 2, "the next cycle's task")
        XCTAssertEqual(cycle.map { $0["insuranceExpiry"] as? String }, ["2026-07-15", "2027-07-15"])
        XCTAssertEqual(cycle.map { $0["state"] as? String }, ["renewed", "open"])
        XCTAssertEqual(cycle[1]["stage"] as? String, "level1")
        XCTAssertEqual(cycle[1]["createdOn"] as? String, "2027-04-16")
    }

    /// The ERP's policy for a car with an open task, delivered twice, then sent again under a
    /// new event id: one renewal, the task succeeded, the car's expiry moved once.
    func testAnERPPolicySucceedsTheTaskOnceWhateverTheRedeliveries() async throws {
        let car = try await makeCar(expiry: "2026-07-10")
        let idValue = try await waitForTasks(car.vin, count: 1, "the task opens")[0]["id"] as? String
        let id = try XCTUnwrap(idValue)
        let policyNo = "PDAA\(Int.random(in: 100_000_000...999_999_999))"
        let policy = ERPInsurancePolicyIssued(
            storeCode: "HX000001", vin: car.vin, insurer: "平安产险", policyNo: policyNo, premium: Decimal(string: "3210.50")!,
            startsOn: "2026-07-11", expiresOn: "2027-07-10", issuedAt: RFC3339.date(from: "2026-06-15T10:30:00+08:00")!)
        let event = CloudEvent(source: "/erp/HX000001", subject: policyNo, data: policy)
        let again = CloudEvent(source: "/erp/HX000001", subject: policyNo, data: policy)
        try await BrokerQueues.publish([event, event, again])
        let handled = try await eventually(timeout: .seconds(20)) {
            try await self.suite.database.scalar(
                "SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN ('\(event.id)', '\(again.id)')") == 2
        }
        XCTAssertTrue(handled, "AfterSales handles both events\n\(suite.logs.suffix(3000))")
        let count = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.insurance_renewal WHERE vin = '\(car.vin)'")
        XCTAssertEqual(count, 1, "one renewal")
        let director = try await suite.login("as.director.1")
        let reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/\(id)", token: director)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "renewed")
        let renewal = try XCTUnwrap(reply.json["renewal"] as? [String: Any], reply.text)
        XCTAssertEqual(renewal["source"] as? String, "erp")
        XCTAssertEqual(renewal["policyNo"] as? String, policyNo)
        XCTAssertEqual(renewal["premium"] as? Double, 3210.5)
        XCTAssertEqual(renewal["issuedOn"] as? String, "2026-06-15")
        XCTAssertNil(renewal["recordedBy"] as? String)
        let sa = try await suite.login("sa.1")
        let vehicle = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(car.id)", token: sa)
        XCTAssertEqual(vehicle.json["insuranceExpiry"] as? String, "2027-07-10")
        // The renewed list and the export agree.
        let renewed = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?state=renewed&vin=\(car.vin)", token: director)
        XCTAssertEqual(renewed.items.count, 1, renewed.text)
    }

    /// The ERP's policies decide by the day they were issued, not the day they arrive: one
    /// issued on the expiry day but delivered after the pass failed the task still succeeds it;
    /// one issued the day after does not, yet its expiry is the car's and starts the next cycle.
    /// A policy for a car the store has no file for is acknowledged and changes nothing.
    func testAnERPPolicyCountsByTheDayItWasIssued() async throws {
        let inTime = try await makeCar(expiry: "2026-06-20")
        let late = try await makeCar(expiry: "2026-06-20")
        try await waitForTasks(inTime.vin, count: 1, "the task opens")
        try await waitForTasks(late.vin, count: 1, "the task opens")
        try moveClock(to: "2026-06-20T16:00:00Z")  // 00:00 on 21 June
        try await waitForTasks(inTime.vin, count: 1, "fails the day after") { $0[0]["state"] as? String == "expired" }
        try await waitForTasks(late.vin, count: 1, "fails the day after") { $0[0]["state"] as? String == "expired" }

        func policy(_ vin: String, issuedAt: String) -> CloudEvent<ERPInsurancePolicyIssued> {
            CloudEvent(source: "/erp/HX000001", data: ERPInsurancePolicyIssued(
                storeCode: "HX000001", vin: vin, insurer: "太平洋产险", policyNo: "AWUH\(Int.random(in: 100_000_000...999_999_999))",
                premium: 2800, expiresOn: "2027-06-20", issuedAt: RFC3339.date(from: issuedAt)!))
        }
        let unknownCar = AfterSalesRecordsTests.vin()
        let events = [
            policy(inTime.vin, issuedAt: "2026-06-20T23:50:00+08:00"), policy(late.vin, issuedAt: "2026-06-21T00:10:00+08:00"),
            policy(unknownCar, issuedAt: "2026-06-20T10:00:00+08:00"),
        ]
        try await BrokerQueues.publish(events)
        let ids = events.map { "'\($0.id)'" }.joined(separator: ", ")
        let handled = try await eventually(timeout: .seconds(20)) {
            try await self.suite.database.scalar("SELECT count(*)::int8 FROM aftersales.inbox WHERE event_id IN (\(ids))") == 3
        }
        XCTAssertTrue(handled, "AfterSales handles the three events\n\(suite.logs.suffix(3000))")
        let unknown = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.insurance_renewal WHERE vin = '\(unknownCar)'")
        XCTAssertEqual(unknown, 0, "no file, nothing recorded")

        let saved = try await tasks(inTime.vin)
        XCTAssertEqual(saved.map { $0["state"] as? String }, ["renewed"], "issued on the expiry day: \(saved)")
        XCTAssertEqual((saved.first?["renewal"] as? [String: Any])?["issuedOn"] as? String, "2026-06-20")
        let lost = try await tasks(late.vin)
        XCTAssertEqual(lost.map { $0["state"] as? String }, ["expired"], "issued the day after: \(lost)")
        XCTAssertNil(lost.first?["renewal"])
        let sa = try await suite.login("sa.1")
        for car in [inTime, late] {
            let vehicle = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(car.id)", token: sa)
            XCTAssertEqual(vehicle.json["insuranceExpiry"] as? String, "2027-06-20", "the new policy's expiry is the car's")
        }
        // The next cycle for both: 90 days before 20 June 2027 is 22 March 2027.
        try moveClock(to: "2027-03-21T16:00:00Z")
        try await waitForTasks(inTime.vin, count: 2, "the next cycle") { $0[1]["insuranceExpiry"] as? String == "2027-06-20" }
        try await waitForTasks(late.vin, count: 2, "the next cycle") { $0[1]["state"] as? String == "open" }
    }

    // MARK: defeat, scope and spread

    /// A defeat needs a reason of the store's dictionary: without one (or with a word that is
    /// no code) a 422 lists the codes with their labels. The export shows labels.
    func testADefeatNeedsADictionaryReasonAndTheExportShowsLabels() async throws {
        let car = try await makeCar(expiry: "2026-08-01")
        let task = try await waitForTasks(car.vin, count: 1, "the task opens")[0]
        let id = try XCTUnwrap(task["id"] as? String)
        XCTAssertEqual(task["stage"] as? String, "level1", "47 days before the expiry")
        let specialist = try await suite.login("renewal.1")
        var reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: [
            "note": "客户说太贵", "defeated": true,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["defeatReason"])
        // The store's word for `price` as it is now: other tests of the run reword store 1's sets.
        let reasons = try await suite.request(.GET, "/api/v1/dictionaries/afterSalesDefeatReason", token: specialist)
        let priceLabel = try XCTUnwrap(
            (reasons.json["entries"] as? [[String: Any]])?.first { $0["code"] as? String == "price" }?["label"] as? String, reasons.text)
        XCTAssertTrue(reply.text.contains("price (\(priceLabel))"), reply.text)
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: [
            "note": "", "defeated": true, "defeatReason": "价格太高", "nextFollowUpOn": "2026-06-01",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["note", "defeatReason", "nextFollowUpOn"])
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: [
            "note": "回访", "nextFollowUpOn": "2026-06-14", "defeatReason": "price",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["nextFollowUpOn", "defeatReason"])
        let observed5 = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.renewal_follow_up WHERE task_id = '\(id)'")
        XCTAssertEqual(observed5, 0)

        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: [
            "note": "客户已在别处续保", "defeated": true, "defeatReason": "price",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["state"] as? String, "defeated")
        XCTAssertEqual(reply.json["defeatReason"] as? String, "price")
        XCTAssertEqual((reply.json["followUps"] as? [[String: Any]])?.last?["defeatReason"] as? String, "price")
        reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(id)/follow-ups", token: specialist, json: ["note": "再联系"])
        XCTAssertEqual(reply.status, 409, "a defeated task takes no follow-up: \(reply.text)")

        let director = try await suite.login("as.director.1")
        let export = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/export?vin=\(car.vin)&format=xlsx", token: director)
        XCTAssertEqual(export.status, 200, export.text)
        let sheet = try Spreadsheet.read(export.body)
        let headers = try XCTUnwrap(sheet.first)
        XCTAssertEqual(sheet.count, 2, "\(sheet)")
        let row = Dictionary(zip(headers, sheet[1]), uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(row["状态"], "战败")
        XCTAssertEqual(row["战败原因"], priceLabel)
        XCTAssertEqual(row["续保招揽级别"], "一级续保招揽")
        XCTAssertEqual(row["分配状态"], "已分配")
        XCTAssertEqual(row["续保专员"], "林芳")
        XCTAssertEqual(row["车架号"], car.vin)
        XCTAssertEqual(row["续保提醒失效时间"], "2026-08-01")
        // A bad filter names its parameter.
        let bad = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?state=won&expiryFrom=2026-02-30", token: director)
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(Set(bad.problemFields), ["state", "expiryFrom"])
    }

    /// With a second specialist in store 1, new tasks are spread evenly between them; each sees
    /// and follows up only their own; the director sees all and reassigns; store 2 sees none.
    func testTasksAreSpreadOverTheSpecialistsWhoSeeOnlyTheirOwn() async throws {
        let admin = try await suite.login("admin")
        let username = "renewal.t\(Int.random(in: 100_000...999_999))"
        var reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": username, "displayName": "续保测试", "password": "right-password", "role": "renewal",
            "storeIds": [StoreID.forStoreCode("HX000001").uuidString],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let newID = try XCTUnwrap(reply.json["id"] as? String)
        extraSpecialist = newID
        let known = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("SELECT count(*)::int8 FROM aftersales.directory_user WHERE username = '\(username)' AND active") == 1
        }
        XCTAssertTrue(known)
        // Everything open in store 1 before this test is someone's already; the counts now decide.
        let firstID = try await suite.userID("renewal.1")
        func openCount(_ user: String) async throws -> Int {
            Int(try await suite.database.scalar("""
                SELECT count(*)::int8 FROM aftersales.renewal_task WHERE assignee_id = '\(user)' AND state = 'open'
                """))
        }
        let before = (try await openCount(firstID), try await openCount(newID))
        var cars: [(id: String, vin: String)] = []
        for _ in 0..<6 { cars.append(try await makeCar(expiry: "2026-08-20")) }
        var tasks: [[String: Any]] = []
        for car in cars { tasks += try await waitForTasks(car.vin, count: 1, "the task opens") { $0[0]["assigneeId"] is String } }
        let after = (try await openCount(firstID), try await openCount(newID))
        // Greedy: the new specialist catches up first, then they alternate.
        let gap = before.0 - before.1
        let expectedNew = min(6, max(0, gap)) + max(0, 6 - max(0, gap)) / 2
        XCTAssertEqual(after.1 - before.1, expectedNew, "before \(before), after \(after)")
        XCTAssertEqual((after.0 - before.0) + (after.1 - before.1), 6)

        let mine = tasks.filter { ($0["assigneeId"] as? String)?.lowercased() == newID.lowercased() }
        let theirs = tasks.filter { ($0["assigneeId"] as? String)?.lowercased() == firstID.lowercased() }
        let newToken = try await suite.login(username, password: "right-password")
        reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?expiryFrom=2026-08-20&expiryTo=2026-08-20&pageSize=200", token: newToken)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertTrue(reply.items.allSatisfy { ($0["assigneeId"] as? String)?.lowercased() == newID.lowercased() }, reply.text)
        XCTAssertEqual(Set(reply.items.compactMap { $0["id"] as? String }).intersection(tasks.compactMap { $0["id"] as? String }).count, mine.count)
        if let other = theirs.first?["id"] as? String {
            reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/\(other)", token: newToken)
            XCTAssertEqual(reply.status, 404, "another specialist's task: \(reply.text)")
            reply = try await suite.request(.POST, "/api/v1/after-sales/renewal-tasks/\(other)/follow-ups", token: newToken, json: ["note": "越权"])
            XCTAssertEqual(reply.status, 404, reply.text)
            // The director gives it to the new specialist, who then sees it.
            let director = try await suite.login("as.director.1")
            reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-tasks/\(other)/assignee", token: director, json: ["assigneeId": newID])
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual((reply.json["assigneeId"] as? String)?.lowercased(), newID.lowercased())
            reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/\(other)", token: newToken)
            XCTAssertEqual(reply.status, 200, reply.text)
            // Only a specialist of the store takes a task; a specialist cannot assign.
            let saID = try await suite.userID("sa.1")
            reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-tasks/\(other)/assignee", token: director, json: ["assigneeId": saID])
            XCTAssertEqual(reply.status, 422, reply.text)
            XCTAssertEqual(reply.problemFields, ["assigneeId"])
            reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-tasks/\(other)/assignee", token: newToken, json: ["assigneeId": firstID])
            XCTAssertEqual(reply.status, 403, reply.text)
        } else {
            XCTFail("renewal.1 got none of the 6 tasks: \(tasks)")
        }
        // Store 2's director sees the whole of store 2 and nothing of store 1: the 404s and the
        // empty list are the store's doing, not the own scope's.
        let director2 = try await suite.login("as.director.2")
        let taskID = try XCTUnwrap(tasks[0]["id"] as? String)
        reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/\(taskID)", token: director2)
        XCTAssertEqual(reply.status, 404, reply.text)
        let vin = try XCTUnwrap(tasks[0]["vin"] as? String)
        reply = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?vin=\(vin)", token: director2)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["total"] as? Int, 0, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/after-sales/renewal-tasks/\(taskID)/assignee", token: director2, json: ["assigneeId": firstID])
        XCTAssertEqual(reply.status, 404, reply.text)
    }

    // MARK: two processes

    /// Two crm-aftersales processes on the same clock run the pass each second: when the day
    /// comes, each of 20 cars gets exactly one task.
    func testTwoProcessesOpenEveryTaskOnce() async throws {
        let second = try ServiceProcess(.afterSales)
        try second.start(overrides: clock.environment.merging(Self.passEnvironment) { _, pass in pass })
        secondProcess = second
        try await second.waitUntilReady()
        // 15 June + 91 days: the tasks open at 00:00 on 16 June.
        var vins: [String] = []
        for _ in 0..<20 { vins.append(try await makeCar(expiry: "2026-09-14").vin) }
        try await letPassesRun()
        let list = vins.map { "'\($0)'" }.joined(separator: ", ")
        let observed6 = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.renewal_task WHERE vin IN (\(list))")
        XCTAssertEqual(observed6, 0)
        try moveClock(to: "2026-06-15T16:00:00Z")
        let opened = try await eventually(timeout: .seconds(20)) {
            try await self.suite.database.scalar("SELECT count(*)::int8 FROM aftersales.renewal_task WHERE vin IN (\(list))") == 20
        }
        XCTAssertTrue(opened, "the tasks open\n\(suite.logs.suffix(2000))")
        try await letPassesRun()
        let observed7 = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.renewal_task WHERE vin IN (\(list))")
        XCTAssertEqual(observed7, 20)
        let observed8 = try await suite.database.scalar(
            "SELECT count(DISTINCT vin)::int8 FROM aftersales.renewal_task WHERE vin IN (\(list)) AND assignee_id IS NOT NULL")
        XCTAssertEqual(observed8, 20)
        XCTAssertTrue(second.isRunning, "the second process is still up: \(second.log.suffix(2000))")
    }
}

/// `CRM_RENEWAL_PASS_SECONDS` is checked at start: a value that is not a whole number of seconds
/// from 1 to 86400 stops crm-aftersales with exit 78 and one line naming the variable.
final class RenewalConfigurationTests: XCTestCase {
    func testABadRenewalPassIntervalStopsTheServiceNamingTheVariable() async throws {
        for bad in ["0", "86401", "5s", "-1", "5.5"] {
            let process = Process()
            process.executableURL = ServiceProcess.binaryFolder.appendingPathComponent("crm-aftersales")
            process.environment = [
                "PATH": "/usr/bin:/bin", "CRM_ENVIRONMENT": "development", "CRM_HTTP_PORT": String(try ServiceProcess.freePort()),
                "CRM_RENEWAL_PASS_SECONDS": bad,
            ]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                XCTFail("crm-aftersales kept running with CRM_RENEWAL_PASS_SECONDS=\(bad)")
                continue
            }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 78, "\(bad): \(text)")
            XCTAssertEqual(text.split(separator: "\n").count, 1, "\(bad): \(text)")
            XCTAssertTrue(text.hasPrefix("configuration error: CRM_RENEWAL_PASS_SECONDS:"), "\(bad): \(text)")
        }
    }
}
