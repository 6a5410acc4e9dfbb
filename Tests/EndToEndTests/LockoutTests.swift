import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Lock-out (README, G3): five failed logins in a row lock an account for 15 minutes
/// (`CRM_LOCKOUT_MINUTES`) on the gateway's clock, and a good login starts the count again; and
/// the times of refresh tokens (issued, used, revoked, expired) are that clock's too. The gateway
/// runs on a clock file the test moves, starting years after the real date, so that a time taken
/// from the machine's clock or the database's `now()` shows.
final class LockoutTests: XCTestCase {
    static let start = RFC3339.date(from: "2031-03-10T02:00:00Z")!
    var suite: Suite!
    var clock: TestClockFile!

    override func setUp() async throws {
        suite = try await Suite.start()
        clock = try TestClockFile(Self.start)
        try await suite.restartGateway(on: clock)
    }

    override func tearDown() async throws {
        if testRun?.hasSucceeded == false, let suite { print(suite.logs) }
        await suite?.stop()
        clock?.remove()
    }

    func login(_ username: String, _ password: String) async throws -> Suite.Reply {
        try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": password])
    }

    func testFiveFailedLoginsLockTheAccountForFifteenMinutesOnTheGatewaysClock() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "locked")
        var answers: [Int] = []
        for attempt in 1...5 { answers.append(try await login(username, "wrong-\(attempt)").status) }
        XCTAssertEqual(answers, [401, 401, 401, 401, 423], "the fifth failure locks")

        let lockedUntil = Self.start.addingTimeInterval(15 * 60)
        var reply = try await login(username, "right-password")
        XCTAssertEqual(reply.status, 423, "locked even with the right password: \(reply.text)")
        XCTAssertTrue(reply.isProblem, reply.text)
        XCTAssertTrue(reply.text.contains(RFC3339.string(from: lockedUntil)), "locked until 15 minutes after the fifth failure: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/identity/users/\(userID)", token: admin)
        XCTAssertEqual((reply.json["lockedUntil"] as? String).flatMap(RFC3339.date(from:)), lockedUntil, reply.text)

        // A second short of 15 minutes, still locked; a second past, the right password is let in.
        try clock.set(lockedUntil.addingTimeInterval(-1))
        reply = try await login(username, "right-password")
        XCTAssertEqual(reply.status, 423, "14 min 59 s on: \(reply.text)")
        try clock.set(lockedUntil.addingTimeInterval(1))
        // The administrator sees the lock is over (before a login clears it in the database).
        reply = try await suite.request(.GET, "/api/v1/identity/users/\(userID)", token: admin)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertNil(reply.json["lockedUntil"] as? String, "the administrator no longer sees a lock: \(reply.text)")
        reply = try await login(username, "right-password")
        XCTAssertEqual(reply.status, 200, "15 min 1 s on: \(reply.text)")
    }

    func testAGoodLoginStartsTheCountOfFailuresAgain() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "locked")
        var answers: [Int] = []
        for attempt in 1...4 { answers.append(try await login(username, "wrong-\(attempt)").status) }
        answers.append(try await login(username, "right-password").status)
        for attempt in 5...8 { answers.append(try await login(username, "wrong-\(attempt)").status) }
        XCTAssertEqual(answers, [401, 401, 401, 401, 200, 401, 401, 401, 401], "four failures after a good login do not lock")
        let state = "SELECT count(*)::int8 FROM identity.app_user WHERE id = '\(userID)' AND failed_logins = 4 AND locked_until IS NULL"
        var unlocked = try await suite.database.scalar(state)
        XCTAssertEqual(unlocked, 1, "four failures counted since the good login, no lock")

        // The fifth failure in a row locks.
        var reply = try await login(username, "wrong-9")
        XCTAssertEqual(reply.status, 423, reply.text)
        reply = try await login(username, "right-password")
        XCTAssertEqual(reply.status, 423, reply.text)
        unlocked = try await suite.database.scalar(state)
        XCTAssertEqual(unlocked, 0)
    }

    /// The access and refresh tokens themselves expire on the machine's clock, as every service
    /// checks them; the gateway's record of a refresh token — when it was issued, used up or
    /// revoked, and whether it has expired — is kept on the service clock.
    func testRefreshTokenTimesFollowTheGatewaysClock() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "locked")
        func instant(_ seconds: TimeInterval) -> String { RFC3339.string(from: Self.start.addingTimeInterval(seconds)) }
        func tokens(_ condition: String) async throws -> Int {
            try await suite.database.scalar("SELECT count(*)::int8 FROM identity.refresh_token WHERE user_id = '\(userID)' AND \(condition)")
        }
        let week = 168.0 * 3600

        var reply = try await login(username, "right-password")
        XCTAssertEqual(reply.status, 200, reply.text)
        var refresh = try XCTUnwrap(reply.json["refreshToken"] as? String)
        var recorded = try await tokens("issued_at = '\(instant(0))' AND expires_at = '\(instant(week))' AND revoked_at IS NULL")
        XCTAssertEqual(recorded, 1, "issued now on the gateway's clock, for a week")

        try clock.set(Self.start.addingTimeInterval(3600))
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh])
        XCTAssertEqual(reply.status, 200, reply.text)
        refresh = try XCTUnwrap(reply.json["refreshToken"] as? String)
        let access = try XCTUnwrap(reply.json["accessToken"] as? String)
        recorded = try await tokens("issued_at = '\(instant(0))' AND revoked_at = '\(instant(3600))' AND revoked_why = 'refreshed'")
        XCTAssertEqual(recorded, 1, "used up an hour on")
        recorded = try await tokens("issued_at = '\(instant(3600))' AND expires_at = '\(instant(3600 + week))' AND revoked_at IS NULL")
        XCTAssertEqual(recorded, 1)

        try clock.set(Self.start.addingTimeInterval(7200))
        reply = try await suite.request(.POST, "/api/v1/auth/logout", token: access, json: ["refreshToken": refresh])
        XCTAssertEqual(reply.status, 200, reply.text)
        recorded = try await tokens("issued_at = '\(instant(3600))' AND revoked_at = '\(instant(7200))' AND revoked_why = 'logout'")
        XCTAssertEqual(recorded, 1, "revoked two hours on")

        // A week and a minute after it was issued on the gateway's clock, a refresh token is no
        // longer good, though by the machine's clock it has not expired.
        reply = try await login(username, "right-password")
        refresh = try XCTUnwrap(reply.json["refreshToken"] as? String)
        try clock.set(Self.start.addingTimeInterval(7200 + week + 60))
        reply = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh])
        XCTAssertEqual(reply.status, 401, reply.text)
        XCTAssertTrue(reply.isProblem, reply.text)
    }
}
