import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Identity administration through the gateway (README, "What works today"; G1–G3): a password
/// reset revokes the user's refresh tokens; an access token stays valid for its lifetime after
/// a deactivation or a role change, while refresh is refused or reads the new role; a role made
/// by the administrator grants exactly its permissions in its data scope, and a team-scope user
/// sees the tasks of their team's members; the `gm.*` demo users read the store's reports and
/// may write nothing.
final class IdentityAdminTests: XCTestCase {
    var suite: Suite!
    let store1 = StoreID.forStoreCode("HX000001").uuidString

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        if testRun?.hasSucceeded == false, let suite { print(suite.logs) }
        await suite?.stop()
    }

    // MARK: helpers

    /// Logs in; the access and the refresh token.
    private func session(_ username: String, password: String) async throws -> (access: String, refresh: String) {
        let reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": password])
        guard reply.status == 200, let access = reply.json["accessToken"] as? String, let refresh = reply.json["refreshToken"] as? String else {
            throw TestFailure("login of \(username) failed: \(reply.status) \(reply.text)")
        }
        return (access, refresh)
    }

    private func refresh(_ token: String) async throws -> Suite.Reply {
        try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": token])
    }

    /// A user of store HX000001 with `role` (and `teamID`), password `right-password`.
    private func user(admin: String, role: String, teamID: String? = nil, prefix: String) async throws -> (id: String, username: String) {
        let username = "\(prefix).\(Int.random(in: 100_000...999_999))"
        var body: [String: Any] = [
            "username": username, "displayName": "身份测试", "password": "right-password", "role": role, "storeIds": [store1],
        ]
        if let teamID { body["teamId"] = teamID }
        let reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: body)
        guard reply.status == 201, let id = reply.json["id"] as? String else { throw TestFailure("user not created: \(reply.status) \(reply.text)") }
        return (id, username)
    }

    /// Visit tasks of store 1 for new completed repair orders, one per RO number; their ids.
    private func visitTasks(_ count: Int) async throws -> [(id: String, roNo: String)] {
        let roNos = (0..<count).map { _ in "RO" + String(Int.random(in: 10_000_000...99_999_999)) }
        try await BrokerQueues.publish(roNos.map { roNo -> CloudEvent<ERPRepairOrderCompleted> in
            var order = Samples.completedRepairOrder(storeCode: "HX000001", number: 0)
            order.roNo = roNo
            return CloudEvent(source: "/erp/HX000001", data: order)
        })
        let supervisor = try await suite.login("cs.supervisor.1")
        var tasks: [(String, String)] = []
        for roNo in roNos {
            var id: String?
            _ = try await eventually(timeout: .seconds(15)) {
                id = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor).items.first?["id"] as? String
                return id != nil
            }
            tasks.append((try XCTUnwrap(id, "no visit task for \(roNo)"), roNo))
        }
        return tasks
    }

    /// The store's default visit template (or else its first) as `token`'s user sees it.
    private func defaultTemplate(token: String) async throws -> String {
        let reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates?pageSize=100", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let template = reply.items.first { $0["isDefault"] as? Bool == true } ?? reply.items.first
        return try XCTUnwrap(template?["id"] as? String, "no visit template: \(reply.text)")
    }

    // MARK: 1. a password reset revokes

    /// README: "a refresh token is good once (… logout, deactivation and a password reset revoke
    /// it)". Another change of the user revokes nothing; a new password revokes every session,
    /// and the old password no longer logs in.
    func testAPasswordResetRevokesTheUsersRefreshTokens() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "reset")
        let first = try await session(username, password: "right-password")
        let second = try await session(username, password: "right-password")

        // The control: a change that is not a password leaves the sessions alone.
        var reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["displayName": "改名"])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await refresh(first.refresh)
        XCTAssertEqual(reply.status, 200, "a new display name ended the session: \(reply.text)")
        let renewed = try XCTUnwrap(reply.json["refreshToken"] as? String)

        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["password": "another-password-1"])
        XCTAssertEqual(reply.status, 200, reply.text)
        for (what, token) in [("the renewed session", renewed), ("the second session", second.refresh)] {
            reply = try await refresh(token)
            XCTAssertEqual(reply.status, 401, "\(what) was refreshed after the password reset: \(reply.text)")
            XCTAssertTrue(reply.isProblem, reply.text)
        }
        let revoked = try await suite.database.scalar("""
            SELECT count(*)::int8 FROM identity.refresh_token WHERE user_id = '\(userID)' AND revoked_why = 'password changed'
            """)
        XCTAssertEqual(revoked, 2, "both open sessions revoked for the password change")

        // The access token issued before the reset runs out on its own.
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: second.access)
        XCTAssertEqual(reply.status, 200, reply.text)

        // The old password is refused, the new one logs in and its session refreshes.
        reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
        XCTAssertEqual(reply.status, 401, reply.text)
        let fresh = try await session(username, password: "another-password-1")
        reply = try await refresh(fresh.refresh)
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    // MARK: 2. an access token stays valid for its lifetime

    /// README: "an access token stays valid for its lifetime (`CRM_ACCESS_TOKEN_MINUTES`, 30)
    /// after such a change". A deactivated user's token still reads — at a service and at the
    /// gateway — while refresh and login are refused.
    func testADeactivatedUsersAccessTokenStaysValidButRefreshIsRefused() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "leaver")
        let open = try await session(username, password: "right-password")
        var reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: open.access)
        XCTAssertEqual(reply.status, 200, reply.text)

        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["active": false])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["active"] as? Bool, false, reply.text)
        // The services learn of it too (their directories), and still accept the token.
        let known = try await eventually(timeout: .seconds(15)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM customer_service.directory_user WHERE id = '\(userID)' AND NOT active") == 1
        }
        XCTAssertTrue(known, "customer-service never learned of the deactivation")

        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: open.access)
        XCTAssertEqual(reply.status, 200, "the access token stopped working at the service: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-templates", token: open.access)
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/auth/me", token: open.access)
        XCTAssertEqual(reply.status, 200, "the access token stopped working at the gateway: \(reply.text)")
        XCTAssertEqual(reply.json["username"] as? String, username)

        reply = try await refresh(open.refresh)
        XCTAssertEqual(reply.status, 401, "a deactivated user's session was refreshed: \(reply.text)")
        XCTAssertTrue(reply.isProblem, reply.text)
        reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
        XCTAssertEqual(reply.status, 401, reply.text)
    }

    /// After a role change the old access token keeps the old role's permissions until it
    /// expires; the refresh reads the new role, whose token has the new permissions.
    func testARoleChangeShowsAtRefreshWhileTheOldAccessTokenKeepsTheOldRole() async throws {
        let admin = try await suite.login("admin")
        let (userID, username) = try await suite.createUser(admin: admin, named: "promoted")
        let open = try await session(username, password: "right-password")
        let template = try await defaultTemplate(token: open.access)
        let statistics = "/api/v1/customer-service/visit-statistics?templateId=\(template)"
        var reply = try await suite.request(.GET, statistics, token: open.access)
        XCTAssertEqual(reply.status, 403, "an agent read the statistics: \(reply.text)")

        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["role": "cs.supervisor"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["role"] as? String, "cs.supervisor", reply.text)

        // The token in hand still works, as the agent's.
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: open.access)
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, statistics, token: open.access)
        XCTAssertEqual(reply.status, 403, "the old token gained the new role's permission: \(reply.text)")

        reply = try await refresh(open.refresh)
        XCTAssertEqual(reply.status, 200, reply.text)
        let user = try XCTUnwrap(reply.json["user"] as? [String: Any], reply.text)
        XCTAssertEqual(user["role"] as? String, "cs.supervisor")
        XCTAssertEqual(user["dataScope"] as? String, "store")
        XCTAssertTrue((user["permissions"] as? [String])?.contains("cs.statistics.read") ?? false, reply.text)
        let promoted = try XCTUnwrap(reply.json["accessToken"] as? String)
        reply = try await suite.request(.GET, statistics, token: promoted)
        XCTAssertEqual(reply.status, 200, "the refreshed token lacks the new role's permission: \(reply.text)")
    }

    // MARK: 3. roles with permissions and a data scope; teams

    /// The administrator makes a team and a team-scope role that may read visit tasks and
    /// statistics and nothing else. Its user reads what the permissions allow, gets 403 for the
    /// rest, and sees the tasks of their team's members but not another agent's; widening the
    /// role's scope to the store shows at the next login.
    func testACustomRoleGrantsItsPermissionsInItsScopeAndATeamSeesItsMembersTasks() async throws {
        let admin = try await suite.login("admin")
        var reply = try await suite.request(.GET, "/api/v1/identity/permissions", token: admin)
        XCTAssertEqual(reply.status, 200, reply.text)
        let permissions = ((reply.json["items"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
        XCTAssertTrue(Set(["cs.visit-task.read", "cs.statistics.read", "cs.visit-task.assign"]).isSubset(of: permissions), reply.text)

        let suffix = Int.random(in: 100_000...999_999)
        reply = try await suite.request(.POST, "/api/v1/identity/teams", token: admin, json: ["storeId": store1, "name": "回访三组\(suffix)"])
        XCTAssertEqual(reply.status, 201, reply.text)
        let teamID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.GET, "/api/v1/identity/teams?storeId=\(store1)", token: admin)
        XCTAssertTrue(reply.items.contains { ($0["id"] as? String)?.lowercased() == teamID.lowercased() }, reply.text)

        let roleCode = "cs.team-lead.\(suffix)"
        reply = try await suite.request(.POST, "/api/v1/identity/roles", token: admin, json: [
            "code": roleCode, "name": "回访组长", "dataScope": "team", "permissions": ["cs.visit-task.read", "cs.statistics.read"],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let roleID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        XCTAssertEqual(reply.json["dataScope"] as? String, "team", reply.text)
        XCTAssertEqual(reply.json["permissions"] as? [String], ["cs.statistics.read", "cs.visit-task.read"], reply.text)
        XCTAssertEqual(reply.json["builtIn"] as? Bool, false, reply.text)

        let lead = try await user(admin: admin, role: roleCode, teamID: teamID, prefix: "teamlead")
        let member = try await user(admin: admin, role: "cs.agent", teamID: teamID, prefix: "member")
        let known = try await eventually(timeout: .seconds(15)) {
            try await suite.database.scalar("""
                SELECT count(*)::int8 FROM customer_service.directory_user WHERE team_id = '\(teamID)' AND id IN ('\(lead.id)', '\(member.id)')
                """) == 2
        }
        XCTAssertTrue(known, "customer-service never learned the team's members")

        // One task for the team's agent, one for an agent of another team.
        let tasks = try await visitTasks(2)
        let supervisor = try await suite.login("cs.supervisor.1")
        let outsider = try await suite.userID("cs.agent.1")
        for (task, assignee) in zip(tasks, [member.id, outsider]) {
            reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/assign", token: supervisor, json: ["taskIds": [task.id], "assigneeId": assignee])
            XCTAssertEqual(reply.status, 200, reply.text)
        }

        let token = try await suite.login(lead.username, password: "right-password")
        reply = try await suite.request(.GET, "/api/v1/auth/me", token: token)
        XCTAssertEqual(reply.json["role"] as? String, roleCode, reply.text)
        XCTAssertEqual(reply.json["dataScope"] as? String, "team", reply.text)
        XCTAssertEqual(reply.json["permissions"] as? [String], ["cs.statistics.read", "cs.visit-task.read"], reply.text)

        // The team scope: the member's task, not the other agent's.
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(tasks[0].roNo)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.items.count, 1, "the team member's task is not in the team lead's list: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(tasks[1].roNo)", token: token)
        XCTAssertEqual(reply.items.count, 0, "another team's task is in the team lead's list: \(reply.text)")
        var status = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks[0].id)", token: token).status
        XCTAssertEqual(status, 200)
        status = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks[1].id)", token: token).status
        XCTAssertEqual(status, 404)

        // What the permissions allow, and what they do not.
        let template = try await defaultTemplate(token: supervisor)
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-statistics?templateId=\(template)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let refused: [(HTTPMethod, String, [String: Any]?)] = [
            (.POST, "/api/v1/customer-service/visit-tasks/assign", ["taskIds": [tasks[0].id], "assigneeId": lead.id]),
            (.POST, "/api/v1/customer-service/complaints", [
                "complainantName": "赖朝朝", "complainantMobile": "15972197426", "source": "phone", "category": "quality",
                "level": "general", "content": "等待时间太长",
            ]),
            (.GET, "/api/v1/customer-service/complaints", nil),
            (.GET, "/api/v1/after-sales/vehicles", nil),
            (.GET, "/api/v1/identity/users", nil),
        ]
        for (method, path, body) in refused {
            reply = try await suite.request(method, path, token: token, json: body)
            XCTAssertEqual(reply.status, 403, "\(method) \(path): \(reply.text)")
            XCTAssertTrue(reply.isProblem, reply.text)
        }
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks[0].id)", token: supervisor)
        XCTAssertEqual((reply.json["assigneeId"] as? String)?.lowercased(), member.id.lowercased(), "the refused assignment changed the task")

        // The role widened to the store: the other agent's task shows after the next login.
        reply = try await suite.request(.PATCH, "/api/v1/identity/roles/\(roleID)", token: admin, json: ["dataScope": "store"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["dataScope"] as? String, "store", reply.text)
        let widened = try await suite.login(lead.username, password: "right-password")
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(tasks[1].roNo)", token: widened)
        XCTAssertEqual(reply.items.count, 1, "a store-scope role does not see the store's task: \(reply.text)")
    }

    // MARK: 4. the general managers

    /// README demo users: `gm.1`, `gm.2` see "the store's reports". A gm reads the visit
    /// statistics (and their export) and the audit log of their store — the same numbers the
    /// store's customer-service supervisor gets — not the other store's; and every write they
    /// try is refused, and writes nothing.
    func testAGeneralManagerReadsTheStoresReportsAndMayNotWrite() async throws {
        let gm = try await suite.login("gm.1")
        var reply = try await suite.request(.GET, "/api/v1/auth/me", token: gm)
        XCTAssertEqual(reply.json["role"] as? String, "gm", reply.text)
        XCTAssertEqual(reply.json["dataScope"] as? String, "store", reply.text)

        let supervisor = try await suite.login("cs.supervisor.1")
        let template = try await defaultTemplate(token: gm)
        let statistics = "/api/v1/customer-service/visit-statistics?templateId=\(template)"
        reply = try await suite.request(.GET, statistics, token: gm)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["templateId"] as? String)?.lowercased(), template.lowercased(), reply.text)
        let theSupervisors = try await suite.request(.GET, statistics, token: supervisor)
        XCTAssertEqual(theSupervisors.status, 200, theSupervisors.text)
        XCTAssertEqual(reply.json["visits"] as? Int, theSupervisors.json["visits"] as? Int, "the gm and the supervisor see different numbers")
        XCTAssertEqual(reply.json["templateName"] as? String, theSupervisors.json["templateName"] as? String)
        reply = try await suite.request(.GET, "/api/v1/customer-service/visit-statistics/export?templateId=\(template)&format=csv", token: gm)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertTrue(reply.headers.first(name: "content-type")?.hasPrefix("text/csv") ?? false, "\(reply.headers)")
        // The other store's gm gets nothing of store 1's.
        let gm2 = try await suite.login("gm.2")
        reply = try await suite.request(.GET, statistics, token: gm2)
        XCTAssertEqual(reply.status, 404, "gm.2 read store 1's statistics: \(reply.text)")

        // The store's other lists are theirs to read.
        for path in [
            "/api/v1/customer-service/visit-tasks", "/api/v1/customer-service/complaints", "/api/v1/after-sales/repair-orders",
            "/api/v1/after-sales/vehicles", "/api/v1/leads/leads", "/api/v1/prospects/prospects", "/api/v1/identity/audit-log",
        ] {
            reply = try await suite.request(.GET, path, token: gm)
            XCTAssertEqual(reply.status, 200, "\(path): \(reply.text)")
        }

        // Writes they have no permission for.
        let mileage = Int.random(in: 1_000_000...1_999_999)
        let gmID = try await suite.userID("gm.1")
        let mobile = "139" + String(Int.random(in: 10_000_000...99_999_999))
        let writes: [(HTTPMethod, String, [String: Any])] = [
            (.POST, "/api/v1/after-sales/repair-orders", [
                "vin": "LFV3A28K7K3012345", "plate": "鄂A81245", "customer": ["name": "赖朝朝", "mobile": "15972197426"],
                "businessType": "paidMaintenance", "mileageKm": mileage,
            ]),
            (.POST, "/api/v1/customer-service/visit-templates", [
                "name": "总经理模板\(mileage)", "kind": "after_sales", "questions": [["text": "满意吗？", "type": "rating"]],
            ]),
            (.POST, "/api/v1/customer-service/complaints", [
                "complainantName": "赖朝朝", "complainantMobile": "15972197426", "source": "phone", "category": "quality",
                "level": "general", "content": "总经理\(mileage)",
            ]),
            (.POST, "/api/v1/leads/leads", ["name": "陈云", "mobile": mobile, "source": "autohome"]),
            (.PATCH, "/api/v1/identity/users/\(gmID)", ["displayName": "自封管理员"]),
            (.POST, "/api/v1/identity/roles", ["code": "gm.own.\(mileage)", "name": "自建", "dataScope": "group", "permissions": ["identity.admin"]]),
        ]
        for (method, path, body) in writes {
            reply = try await suite.request(method, path, token: gm, json: body)
            XCTAssertEqual(reply.status, 403, "gm.1 \(method) \(path): \(reply.text)")
            XCTAssertTrue(reply.isProblem, reply.text)
        }
        let written = try await suite.database.scalar("""
            SELECT (SELECT count(*) FROM aftersales.repair_order WHERE mileage_km = \(mileage))
                 + (SELECT count(*) FROM customer_service.visit_template WHERE name = '总经理模板\(mileage)')
                 + (SELECT count(*) FROM customer_service.complaint WHERE content = '总经理\(mileage)')
                 + (SELECT count(*) FROM leads.lead WHERE mobile = '\(mobile)')
                 + (SELECT count(*) FROM identity.role WHERE code = 'gm.own.\(mileage)')
                 + (SELECT count(*) FROM identity.app_user WHERE username = 'gm.1' AND display_name = '自封管理员')
            """)
        XCTAssertEqual(written, 0, "a refused write wrote")

        // The refused attempts are in the store's audit log, which gm.1 reads and gm.2 does not.
        reply = try await suite.request(.GET, "/api/v1/identity/audit-log?userId=\(gmID)&pageSize=50", token: gm)
        XCTAssertEqual(reply.status, 200, reply.text)
        let statuses = reply.items.filter { ($0["method"] as? String) != "GET" }.compactMap { $0["status"] as? Int }
        XCTAssertEqual(statuses.filter { $0 == 403 }.count, writes.count, "the refused writes in gm.1's audit log: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/identity/audit-log?userId=\(gmID)&pageSize=50", token: gm2)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.items.filter { ($0["status"] as? Int) == 403 }.count, 0, "gm.2 sees store 1's audit log: \(reply.text)")
    }
}
