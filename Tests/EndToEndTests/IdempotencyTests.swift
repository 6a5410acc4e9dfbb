import Contracts
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// `Idempotency-Key` through the gateway (DESIGN, HTTP; README): a retried POST, PUT or PATCH
/// with the same key gets the first answer (`Idempotent-Replayed: true`) and writes once; the
/// same key with another body is a 422 that writes nothing; a retry while the first request
/// still runs is a 409; after 24 hours on the gateway's clock the key runs as a new request.
/// Each claim is checked in the database — rows, versions — not only in the answers.
final class IdempotencyTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        if testRun?.hasSucceeded == false, let suite { print(suite.logs) }
        await suite?.stop()
    }

    /// A repair order without an RO number: without the key a retry would open a second order.
    /// The mileage, drawn at random, tells this test's orders from any other's.
    static func repairOrder(mileageKm: Int) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "vin": "LFV3A28K7K3012345", "plate": "鄂A81245", "customer": ["name": "赖朝朝", "mobile": "15972197426"],
            "businessType": "paidMaintenance", "mileageKm": mileageKm,
        ] as [String: Any], options: [.sortedKeys])
    }

    func orders(mileageKm: Int) async throws -> Int {
        try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE mileage_km = \(mileageKm)")
    }

    /// "Writes once" under a real race: 200 requests with one key at the same moment open one
    /// repair order; every other answer is the 409 "still running" or the replayed 201.
    func testTwoHundredSimultaneousRequestsWithOneKeyWriteOnce() async throws {
        let sa = try await suite.login("sa.1")
        let mileage = Int.random(in: 100_000...900_000)
        let body = try Self.repairOrder(mileageKm: mileage)
        let key = "race-\(UUID().uuidString)"
        let statuses = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let reply = try await self.suite.request(
                        .POST, "/api/v1/after-sales/repair-orders", token: sa, bytes: body, timeout: 60, headers: ["Idempotency-Key": key])
                    return (reply.status, reply.headers.first(name: "idempotent-replayed") == "true")
                }
            }
            return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        let firsts = statuses.filter { $0.0 == 201 && !$0.1 }.count
        XCTAssertEqual(firsts, 1, "exactly one request ran: \(statuses.map { $0.0 })")
        XCTAssertTrue(statuses.allSatisfy { $0.0 == 201 || $0.0 == 409 }, "\(Set(statuses.map { $0.0 }))")
        let written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 1, "one repair order for 200 requests with one key")
    }

    func testARetriedPostGetsTheFirstAnswerAndWritesOnce() async throws {
        let sa = try await suite.login("sa.1")
        let key = UUID().uuidString
        let mileage = Int.random(in: 1_000_000...1_999_999)
        let body = try Self.repairOrder(mileageKm: mileage)
        func post(_ body: Data, key: String, token: String) async throws -> Suite.Reply {
            try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, bytes: body, headers: ["Idempotency-Key": key])
        }

        let first = try await post(body, key: key, token: sa)
        XCTAssertEqual(first.status, 201, first.text)
        XCTAssertNil(first.headers.first(name: "Idempotent-Replayed"))
        let again = try await post(body, key: key, token: sa)
        XCTAssertEqual(again.status, 201, again.text)
        XCTAssertEqual(again.headers.first(name: "Idempotent-Replayed"), "true")
        XCTAssertEqual(again.body, first.body, "the retry gets the first answer, byte for byte")
        var written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 1, "two requests with one key open one repair order")

        // The same key with another body is refused, naming the header, and writes nothing.
        let otherBody = try Self.repairOrder(mileageKm: mileage + 1)
        let other = try await post(otherBody, key: key, token: sa)
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertTrue(other.isProblem, other.text)
        XCTAssertEqual(other.problemFields, ["Idempotency-Key"], other.text)
        XCTAssertNil(other.headers.first(name: "Idempotent-Replayed"))
        written = try await orders(mileageKm: mileage + 1)
        XCTAssertEqual(written, 0, "the refused request wrote nothing")
        // … and so is the same key on another target.
        let elsewhere = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(elsewhere.status, 422, elsewhere.text)
        XCTAssertEqual(elsewhere.problemFields, ["Idempotency-Key"], elsewhere.text)
        // The refusals left the key as it was: the first request again still gets its answer.
        let third = try await post(body, key: key, token: sa)
        XCTAssertEqual(third.headers.first(name: "Idempotent-Replayed"), "true", third.text)
        XCTAssertEqual(third.body, first.body)
        written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 1)

        // Keys belong to the user: another user's same key is a request of their own.
        let sa2 = try await suite.login("sa.2")
        let theirs = try await post(body, key: key, token: sa2)
        XCTAssertEqual(theirs.status, 201, theirs.text)
        XCTAssertNil(theirs.headers.first(name: "Idempotent-Replayed"))
        XCTAssertNotEqual(theirs.json["id"] as? String, first.json["id"] as? String)
        written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 2)
    }

    func testARetriedPutGetsTheFirstAnswerAndWritesOnce() async throws {
        let supervisor = try await suite.login("cs.supervisor.1")
        func template(_ name: String) -> [String: Any] {
            ["name": name, "kind": "after_sales", "questions": [["text": "对这次保养满意吗？", "type": "rating"]]]
        }
        let suffix = String(Int.random(in: 100_000...999_999))
        var reply = try await suite.request(.POST, "/api/v1/customer-service/visit-templates", token: supervisor, json: template("回访甲\(suffix)"))
        XCTAssertEqual(reply.status, 201, reply.text)
        let id = try XCTUnwrap(reply.json["id"] as? String)
        let path = "/api/v1/customer-service/visit-templates/\(id)"
        let key = UUID().uuidString
        let body = try JSONSerialization.data(withJSONObject: template("回访乙\(suffix)"), options: [.sortedKeys])
        // xmin is the transaction that wrote the row's current version: any second UPDATE changes it.
        let rowVersion = "SELECT xmin::text::int8 FROM customer_service.visit_template WHERE id = '\(id)'"

        let first = try await suite.request(.PUT, path, token: supervisor, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.json["name"] as? String, "回访乙\(suffix)")
        let written = try await suite.database.scalar(rowVersion)
        let again = try await suite.request(.PUT, path, token: supervisor, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.headers.first(name: "Idempotent-Replayed"), "true")
        XCTAssertEqual(again.body, first.body)
        var current = try await suite.database.scalar(rowVersion)
        XCTAssertEqual(current, written, "the retry did not write the template again")

        // Changed since without a key: the retry still answers as the first time and writes nothing.
        reply = try await suite.request(.PUT, path, token: supervisor, json: template("回访丙\(suffix)"))
        XCTAssertEqual(reply.status, 200, reply.text)
        let changed = try await suite.database.scalar(rowVersion)
        let late = try await suite.request(.PUT, path, token: supervisor, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(late.headers.first(name: "Idempotent-Replayed"), "true", late.text)
        XCTAssertEqual(late.json["name"] as? String, "回访乙\(suffix)")
        current = try await suite.database.scalar(rowVersion)
        XCTAssertEqual(current, changed)
        reply = try await suite.request(.GET, path, token: supervisor)
        XCTAssertEqual(reply.json["name"] as? String, "回访丙\(suffix)", "the retry did not put the first name back")

        // Another body under the key: 422, and the template stays as it is.
        let other = try await suite.request(.PUT, path, token: supervisor, json: template("回访丁\(suffix)"), headers: ["Idempotency-Key": key])
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertEqual(other.problemFields, ["Idempotency-Key"], other.text)
        current = try await suite.database.scalar(rowVersion)
        XCTAssertEqual(current, changed, "the refused request wrote nothing")
    }

    func testARetriedPatchGetsTheFirstAnswerAndWritesOnce() async throws {
        let admin = try await suite.login("admin")
        let userID = try await suite.createUser(admin: admin, named: "idem").id
        let path = "/api/v1/identity/users/\(userID)"
        let key = UUID().uuidString
        let body = try JSONSerialization.data(withJSONObject: ["displayName": "幂等甲"], options: [.sortedKeys])
        let version = "SELECT version FROM identity.app_user WHERE id = '\(userID)'"
        var current = try await suite.database.scalar(version)
        XCTAssertEqual(current, 1)

        let first = try await suite.request(.PATCH, path, token: admin, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.json["displayName"] as? String, "幂等甲")
        let again = try await suite.request(.PATCH, path, token: admin, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.headers.first(name: "Idempotent-Replayed"), "true")
        XCTAssertEqual(again.body, first.body)
        current = try await suite.database.scalar(version)
        XCTAssertEqual(current, 2, "one change for two requests with one key")

        let other = try await suite.request(.PATCH, path, token: admin, json: ["displayName": "幂等乙"], headers: ["Idempotency-Key": key])
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertTrue(other.isProblem, other.text)
        XCTAssertEqual(other.problemFields, ["Idempotency-Key"], other.text)
        current = try await suite.database.scalar(version)
        XCTAssertEqual(current, 2, "the refused request wrote nothing")
        let named = try await suite.database.scalar("SELECT count(*)::int8 FROM identity.app_user WHERE id = '\(userID)' AND display_name = '幂等甲'")
        XCTAssertEqual(named, 1)
    }

    /// The first request is held inside its transaction for real: the test locks the user's row
    /// before the first PATCH, whose UPDATE then waits, and lets it go after the retry.
    func testARetryWhileTheFirstRequestStillRunsIsAConflict() async throws {
        let admin = try await suite.login("admin")
        let userID = try await suite.createUser(admin: admin, named: "idem").id
        let path = "/api/v1/identity/users/\(userID)"
        let key = UUID().uuidString
        let body = try JSONSerialization.data(withJSONObject: ["displayName": "慢请求"], options: [.sortedKeys])
        let database = suite.database

        let (locked, lockTaken) = AsyncStream<Void>.makeStream()
        let holder = Task {
            defer { lockTaken.finish() }
            try await database.client.withConnection { connection in
                let logger = Logger(label: "crm-test")
                try await connection.query("BEGIN", logger: logger)
                try await connection.query("SELECT 1 FROM identity.app_user WHERE id = \(UUID(uuidString: userID)!) FOR UPDATE", logger: logger)
                lockTaken.yield()
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                try await connection.query("ROLLBACK", logger: logger)
            }
        }
        var held = false
        for await _ in locked {
            held = true
            break
        }
        guard held else {
            try await holder.value
            throw TestFailure("the user's row could not be locked")
        }
        let suite = self.suite!
        let first = Task { try await suite.request(.PATCH, path, token: admin, bytes: body, timeout: 120, headers: ["Idempotency-Key": key]) }
        do {
            let waiting = try await eventually(timeout: .seconds(30)) {
                try await database.scalar("""
                    SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE identity.app_user SET%'
                    """) == 1
            }
            XCTAssertTrue(waiting, "the first request waits on the row inside its transaction")
            let pending = try await database.scalar("SELECT count(*)::int8 FROM identity.idempotency_key WHERE key = '\(key)' AND state = 'pending'")
            XCTAssertEqual(pending, 1)

            let retry = try await suite.request(.PATCH, path, token: admin, bytes: body, timeout: 20, headers: ["Idempotency-Key": key])
            XCTAssertEqual(retry.status, 409, retry.text)
            XCTAssertTrue(retry.isProblem, retry.text)
            XCTAssertTrue(retry.text.contains("still running"), retry.text)
            XCTAssertNil(retry.headers.first(name: "Idempotent-Replayed"))
        } catch {
            holder.cancel()
            throw error
        }
        holder.cancel()
        try await holder.value

        let answer = try await first.value
        XCTAssertEqual(answer.status, 200, answer.text)
        let retry = try await suite.request(.PATCH, path, token: admin, bytes: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(retry.status, 200, retry.text)
        XCTAssertEqual(retry.headers.first(name: "Idempotent-Replayed"), "true")
        XCTAssertEqual(retry.body, answer.body)
        let version = try await database.scalar("SELECT version FROM identity.app_user WHERE id = '\(userID)'")
        XCTAssertEqual(version, 2, "the user was changed once")
    }

    /// The 24 hours are the gateway's clock: moved 24 h less a minute on, the key still replays;
    /// 24 h and a minute on, the same key and request run anew. The clock starts years after the
    /// real date, so that an expiry on the database's `now()` or the machine's clock shows.
    func testAKeyIsFreeAgainAfter24HoursOnTheGatewaysClock() async throws {
        let start = RFC3339.date(from: "2031-03-10T02:00:00Z")!
        let clock = try TestClockFile(start)
        defer { clock.remove() }
        try await suite.restartGateway(on: clock)
        let sa = try await suite.login("sa.1")
        let key = UUID().uuidString
        let mileage = Int.random(in: 1_000_000...1_999_999)
        let body = try Self.repairOrder(mileageKm: mileage)
        func post() async throws -> Suite.Reply {
            try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, bytes: body, headers: ["Idempotency-Key": key])
        }

        let first = try await post()
        XCTAssertEqual(first.status, 201, first.text)
        try clock.set(start.addingTimeInterval(24 * 3600 - 60))
        let within = try await post()
        XCTAssertEqual(within.status, 201, within.text)
        XCTAssertEqual(within.headers.first(name: "Idempotent-Replayed"), "true", "23 h 59 min on, the key still replays")
        XCTAssertEqual(within.body, first.body)
        var written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 1)

        try clock.set(start.addingTimeInterval(24 * 3600 + 60))
        let after = try await post()
        XCTAssertEqual(after.status, 201, after.text)
        XCTAssertNil(after.headers.first(name: "Idempotent-Replayed"), "24 h 1 min on, the key runs as a new request")
        XCTAssertNotEqual(after.json["id"] as? String, first.json["id"] as? String)
        written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 2)
        // … whose answer is now the one kept.
        let again = try await post()
        XCTAssertEqual(again.headers.first(name: "Idempotent-Replayed"), "true")
        XCTAssertEqual(again.body, after.body)
        written = try await orders(mileageKm: mileage)
        XCTAssertEqual(written, 2)
    }
}

extension Suite {
    /// Stops the gateway and starts it again — same port, same services behind it, same demo
    /// seed — on `clock`.
    func restartGateway(on clock: TestClockFile) async throws {
        await gateway.stop()
        var settings = [
            "CRM_SEED_DEMO": "1", "CRM_BCRYPT_COST": "4",
            "CRM_FIXED_TIME": RFC3339.string(from: clock.start), "CRM_CLOCK_FILE": clock.url.path,
        ]
        for process in processes where process.identity != .gateway {
            settings["CRM_\(process.identity.name.uppercased().replacingOccurrences(of: "-", with: "_"))_URL"] = "http://127.0.0.1:\(process.port)"
        }
        try gateway.start(overrides: settings)
        try await gateway.waitUntilReady()
    }

    /// A new user made by the administrator: `<prefix>.<random>`, a customer-service agent of
    /// store HX000001 with the password `right-password`.
    func createUser(admin: String, named prefix: String) async throws -> (id: String, username: String) {
        let username = "\(prefix).\(Int.random(in: 100_000...999_999))"
        let reply = try await request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": username, "displayName": "测试用户", "password": "right-password", "role": "cs.agent",
            "storeIds": [StoreID.forStoreCode("HX000001").uuidString],
        ])
        guard reply.status == 201, let id = reply.json["id"] as? String else { throw TestFailure("user not created: \(reply.status) \(reply.text)") }
        return (id, username)
    }
}

/// An answer too large to keep is still remembered: a retry is told the write was done instead
/// of doing it again.
final class IdempotencyLargeAnswerTests: XCTestCase {
    func testARetryOfAWriteWhoseAnswerWasTooLargeToKeepIsAConflictAndWritesNothing() async throws {
        // Every repair order's answer is larger than 256 bytes, the smallest limit allowed.
        let suite = try await Suite.start(gatewayEnvironment: ["CRM_IDEMPOTENT_ANSWER_LIMIT_BYTES": "256"])
        do {
            let sa = try await suite.login("sa.1")
            let mileage = Int.random(in: 100_000...900_000)
            let body = try IdempotencyTests.repairOrder(mileageKm: mileage)
            let key = "large-\(UUID().uuidString)"
            let first = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, bytes: body, headers: ["Idempotency-Key": key])
            XCTAssertEqual(first.status, 201, first.text)
            XCTAssertGreaterThan(first.body.count, 256, "the answer must exceed the limit for this test to mean anything")
            let again = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa, bytes: body, headers: ["Idempotency-Key": key])
            XCTAssertEqual(again.status, 409, again.text)
            XCTAssertTrue(again.isProblem)
            let written = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE mileage_km = \(mileage)")
            XCTAssertEqual(written, 1, "the retry wrote nothing")
        } catch {
            await suite.stop()
            throw error
        }
        await suite.stop()
    }
}
