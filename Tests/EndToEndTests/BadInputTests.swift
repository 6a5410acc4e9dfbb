import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Bad input on every write endpoint of `/openapi.yaml` gets a 4xx problem+json, never a 5xx;
/// and the typical mistakes — a bad mobile, over-long text, an unknown id — name their field.
final class BadInputTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    func testEveryWriteEndpointAnswersBadBodiesWithAProblem() async throws {
        let admin = try await suite.login("admin")
        let writes = try OpenAPIOperations.all().filter(\.isWrite)
        XCTAssertGreaterThan(writes.count, 10)
        let badBodies: [(name: String, body: String)] = [
            ("malformed JSON", #"{"name": "#),
            ("an array", "[1, 2]"),
            ("a string", #""text""#),
            ("wrong types", #"{"name": 5, "username": [], "password": {}, "storeId": "x", "result": 3, "to": false, "text": 1, "kind": null, "assigneeId": 7, "taskIds": "x", "vin": 17, "leadIds": "x", "consultantId": 5, "reason": [], "channel": 1, "available": "yes", "intervals": 3, "displayName": 1, "color": 2, "handlerId": true}"#),
        ]
        // Operations without a body ignore whatever is sent; the others must refuse it.
        for operation in writes where operation.hasBody && operation.path != "/api/v1/auth/login" && operation.path != "/api/v1/auth/refresh" {
            let path = operation.path.replacingOccurrences(of: "{id}", with: UUID().uuidString)
                .replacingOccurrences(of: "{token}", with: "no-such-claim-link")
            for bad in badBodies {
                let reply = try await suite.request(HTTPMethod(rawValue: operation.method), path, token: admin, rawBody: bad.body)
                XCTAssertTrue((400..<500).contains(reply.status), "\(operation) with \(bad.name): \(reply.status) \(reply.text)")
                XCTAssertTrue(reply.isProblem, "\(operation) with \(bad.name): \(reply.text)")
                if bad.name == "malformed JSON", operation.hasJSONBody { XCTAssertEqual(reply.status, 400, "\(operation): \(reply.text)") }
            }
        }
        for path in ["/api/v1/auth/login", "/api/v1/auth/refresh"] {
            let reply = try await suite.request(.POST, path, rawBody: #"{"username": "#)
            XCTAssertEqual(reply.status, 400, reply.text)
            let missing = try await suite.request(.POST, path, json: [String: String]())
            XCTAssertEqual(missing.status, 422, missing.text)
            XCTAssertFalse(missing.problemFields.isEmpty)
        }
    }

    func testTypicalMistakesNameTheirFields() async throws {
        let supervisor = try await suite.login("cs.supervisor.1")
        let admin = try await suite.login("admin")
        var reply = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: supervisor, json: [
            "complainantName": String(repeating: "张", count: 51), "complainantMobile": "12345", "source": "fax", "category": "",
            "level": "general", "content": String(repeating: "很", count: 2001),
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["complainantName", "complainantMobile", "source", "category", "content"])

        reply = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: supervisor, json: [
            "complainantName": "张三", "complainantMobile": "13871150099", "source": "phone", "category": "price",
            "level": "catastrophic", "content": "太贵",
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["level"])

        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/assign", token: supervisor, json: [
            "taskIds": [UUID().uuidString], "assigneeId": UUID().uuidString,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["taskIds[0]"])

        reply = try await suite.request(.POST, "/api/v1/customer-service/visit-templates", token: supervisor, json: [
            "name": "", "kind": "after_sales", "questions": [["text": "满意吗？", "type": "single_choice", "options": [["text": "是"]]]],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["name", "questions[0].options"])

        reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": "x", "displayName": "新人", "mobile": "+86 138 7115 009", "password": "short", "role": "wizard", "storeIds": [UUID().uuidString],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["username", "mobile", "password"])
        reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": "new.user.\(Int.random(in: 1000...9999))", "displayName": "新人", "password": "long-enough", "role": "wizard", "storeIds": [UUID().uuidString],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["role", "storeIds[0]"])
        reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": "new.user.\(Int.random(in: 1000...9999))", "displayName": "新人", "password": "long-enough", "role": "cs.agent",
            "storeIds": [StoreID.forStoreCode("HX000001").uuidString], "supervisorId": UUID().uuidString, "teamId": UUID().uuidString,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["supervisorId", "teamId"])
    }

    /// The API's one rule for query strings (`/openapi.yaml`, info): a parameter sent empty is
    /// the same as one left out — a filter not applied, a page default, a required parameter
    /// missing — in every service; any other value is read exactly, and a bad one is a 422 naming it.
    func testAnEmptyQueryValueIsTheSameAsLeavingTheParameterOut() async throws {
        let manager = try await suite.login("sales.manager.1")
        let admin = try await suite.login("admin")
        let supervisor = try await suite.login("cs.supervisor.1")
        let sa = try await suite.login("sa.1")
        let mobile = "139" + String(format: "%08d", Int.random(in: 0...99_999_999))
        var reply = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: ["name": "陈云", "mobile": mobile, "source": "phone"])
        XCTAssertEqual(reply.status, 201, reply.text)

        // Leads: empty filters and page parameters change nothing.
        let leads = "/api/v1/leads/leads?mobile=\(mobile)"
        for query in ["", "&to=", "&to", "&from=&to=&consultantId=&state=&level=&source=&name=", "&page=&pageSize="] {
            reply = try await suite.request(.GET, leads + query, token: manager)
            XCTAssertEqual(reply.status, 200, "\(query): \(reply.text)")
            XCTAssertEqual(reply.items.count, 1, "\(query): \(reply.text)")
            XCTAssertEqual(reply.json["page"] as? Int, 1, query)
            XCTAssertEqual(reply.json["pageSize"] as? Int, 20, query)
        }
        // … while a value is a filter, read exactly: `+` is a space, a plus is %2B.
        reply = try await suite.request(.GET, leads + "&to=2000-01-01T00:00:00%2B08:00", token: manager)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.items.count, 0, reply.text)
        reply = try await suite.request(.GET, "/api/v1/leads/leads?mobile=%2B86+\(mobile.prefix(3))+\(mobile.dropFirst(3))", token: manager)
        XCTAssertEqual(reply.items.count, 1, "a mobile written +86 139 …: \(reply.text)")
        for bad in ["notadate", "2026-02-30", "2026-11-22T25:00:00Z", "2026-11-22T09:30:00+08:00", "%202026-11-22", "2026-11-22T09:30:00"] {
            reply = try await suite.request(.GET, leads + "&to=\(bad)", token: manager)
            XCTAssertEqual(reply.status, 422, "to=\(bad): \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["to"], "to=\(bad): \(reply.text)")
        }
        // A code is read exactly too: white space alone is a value, and no code (schemathesis sent `kind=%09`).
        for (token, path, field) in [
            (manager, leads + "&state=%09", "state"), (supervisor, "/api/v1/customer-service/visit-templates?kind=%09", "kind"),
            (sa, "/api/v1/after-sales/repair-orders?businessType=%20", "businessType"),
        ] {
            reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 422, "\(path): \(reply.text)")
            XCTAssertEqual(reply.problemFields, [field], "\(path): \(reply.text)")
        }
        reply = try await suite.request(.GET, leads + "&page=0&pageSize=%2010", token: manager)
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["page", "pageSize"], reply.text)

        // The same in the other services and the gateway.
        let empty: [(token: String, path: String)] = [
            (manager, "/api/v1/prospects/tasks?consultantId=&when=&level="),
            (manager, "/api/v1/prospects/orders?delivered=&from=&to=&page="),
            (supervisor, "/api/v1/customer-service/complaints?state=&handlerId=&overdue=&from=&to=&pageSize="),
            (supervisor, "/api/v1/customer-service/visit-tasks?assigneeId=&orderType=&to="),
            (sa, "/api/v1/after-sales/repair-orders?state=&businessType=&from=&to=&vin="),
            (sa, "/api/v1/after-sales/reminders?date=&kind=&done=&page="),
            (admin, "/api/v1/identity/audit-log?userId=&from=&to=&page="),
            (admin, "/api/v1/identity/users?storeId=&pageSize="),
        ]
        for (token, path) in empty {
            reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 200, "\(path): \(reply.text)")
        }
        let bad: [(token: String, path: String, field: String)] = [
            (manager, "/api/v1/prospects/tasks?consultantId=%20", "consultantId"),
            (manager, "/api/v1/prospects/orders?delivered=TRUE", "delivered"),
            (supervisor, "/api/v1/customer-service/complaints?overdue=yes", "overdue"),
            (supervisor, "/api/v1/customer-service/visit-tasks?to=2026-13-01", "to"),
            (sa, "/api/v1/after-sales/repair-orders?state=OPEN", "state"),
            (sa, "/api/v1/after-sales/reminders?date=2027-02-29", "date"),
            (sa, "/api/v1/after-sales/reminders?kind=%20", "kind"),
            (sa, "/api/v1/after-sales/reminders?done=yes", "done"),
            (admin, "/api/v1/identity/audit-log?userId=42", "userId"),
            (admin, "/api/v1/identity/users?page=%2B1", "page"),
        ]
        for (token, path, field) in bad {
            reply = try await suite.request(.GET, path, token: token)
            XCTAssertEqual(reply.status, 422, "\(path): \(reply.text)")
            XCTAssertEqual(reply.problemFields, [field], "\(path): \(reply.text)")
        }
        // A required parameter sent empty is missing.
        for path in ["/api/v1/customer-service/complaints/export?format=", "/api/v1/customer-service/visit-statistics?templateId="] {
            reply = try await suite.request(.GET, path, token: supervisor)
            XCTAssertEqual(reply.status, 422, "\(path): \(reply.text)")
            XCTAssertEqual(reply.problemFields.count, 1, "\(path): \(reply.text)")
            XCTAssertTrue(reply.text.contains("is required"), "\(path): \(reply.text)")
        }
    }

    func testVehiclesRefuseBadVINsPlatesAndMobiles() async throws {
        let sa = try await suite.login("sa.1")
        let cases: [(vin: String, message: String)] = [
            ("LFV3A28K7K301234", "must be 17 characters"),
            ("LFV3A28KOK3012345", "must not contain I, O or Q"),
            ("LFV3A28K5K3012345", "check digit (9th character) should be 7"),
            ("1HGCM82623A004352", "check digit (9th character) should be 3"),
        ]
        for bad in cases {
            let reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
                "vin": bad.vin, "plate": "A81245", "brand": "奥迪", "series": "A6L", "model": "45 TFSI",
                "owner": ["name": "赖朝朝", "mobile": "1597219742"],
            ])
            XCTAssertEqual(reply.status, 422, reply.text)
            XCTAssertEqual(Set(reply.problemFields), ["vin", "plate", "owner.mobile"], reply.text)
            XCTAssertTrue(reply.text.contains(bad.message), "\(bad.vin): \(reply.text)")
        }
        // A European VIN has no check digit to enforce.
        let european = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": "WVWZZZ1JZXW\(Int.random(in: 100_000...999_999))", "brand": "大众", "series": "高尔夫", "model": "1.4T",
            "owner": ["name": "赖朝朝", "mobile": "15972197426"],
        ])
        XCTAssertEqual(european.status, 201, european.text)
    }

    func testFiveWrongPasswordsLockTheAccount() async throws {
        let admin = try await suite.login("admin")
        let username = "locked.\(Int.random(in: 10000...99999))"
        var reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": username, "displayName": "测试", "password": "right-password", "role": "cs.agent",
            "storeIds": [StoreID.forStoreCode("HX000001").uuidString],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let userID = try XCTUnwrap(reply.json["id"] as? String)
        for attempt in 1...5 {
            reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "wrong-\(attempt)"])
            XCTAssertEqual(reply.status, attempt < 5 ? 401 : 423, "attempt \(attempt): \(reply.text)")
        }
        reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
        XCTAssertEqual(reply.status, 423, "locked even with the right password: \(reply.text)")
        reply = try await suite.request(.PATCH, "/api/v1/identity/users/\(userID)", token: admin, json: ["unlock": true])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/auth/login", json: ["username": username, "password": "right-password"])
        XCTAssertEqual(reply.status, 200, reply.text)
        // The refresh token gives a new pair; an access token is no refresh token.
        let refresh = try XCTUnwrap(reply.json["refreshToken"] as? String)
        let access = try XCTUnwrap(reply.json["accessToken"] as? String)
        let status1 = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": refresh]).status
        XCTAssertEqual(status1, 200)
        let status2 = try await suite.request(.POST, "/api/v1/auth/refresh", json: ["refreshToken": access]).status
        XCTAssertEqual(status2, 401)
        let status3 = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks", token: refresh).status
        XCTAssertEqual(status3, 401)
        let status4 = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks").status
        XCTAssertEqual(status4, 401)
        // The audit log has every login attempt, newest first, with the answer it got: four
        // refusals (401), the fifth that locked (423), the right password while locked (423),
        // and the login after the unlock (200).
        reply = try await suite.request(.GET, "/api/v1/identity/audit-log?userId=\(userID)&path=/api/v1/auth/login&pageSize=200", token: admin)
        XCTAssertEqual(reply.status, 200, reply.text)
        let logged = reply.items.map { "\($0["status"] as? Int ?? 0) \($0["summary"] as? String ?? "")" }
        XCTAssertEqual(logged, [
            "200 logged in",
            "423 login refused: account locked",
            "423 login refused: wrong password; account locked",
            "401 login refused: wrong password",
            "401 login refused: wrong password",
            "401 login refused: wrong password",
            "401 login refused: wrong password",
        ], reply.text)
        XCTAssertEqual(reply.json["total"] as? Int, 7)
        // … and the unlock, as a write through the gateway.
        reply = try await suite.request(.GET, "/api/v1/identity/audit-log?path=/api/v1/identity/users/\(userID)&method=PATCH", token: admin)
        XCTAssertEqual(reply.items.map { $0["status"] as? Int }, [200], reply.text)
    }

    func testAUserOfTwoStoresSwitchesStore() async throws {
        let admin = try await suite.login("admin")
        var reply = try await suite.request(.POST, "/api/v1/auth/switch-store", token: admin, json: ["storeId": StoreID.forStoreCode("HX000002").uuidString])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.json["store"] as? [String: Any])?["code"] as? String, "HX000002")
        let agent = try await suite.login("cs.agent.1")
        reply = try await suite.request(.POST, "/api/v1/auth/switch-store", token: agent, json: ["storeId": StoreID.forStoreCode("HX000002").uuidString])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["storeId"])
    }
}
