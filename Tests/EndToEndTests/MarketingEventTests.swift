import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Events (活动管理 and 集客报名, M3; seed §9.3) on the real PostgreSQL and RabbitMQ, two
/// crm-marketing processes side by side, each test in a store of its own:
///
/// - 300 simultaneous registrations from distinct mobiles for 100 places, half through each
///   process: exactly 100 rows, 200 answers "Full"; one mobile registering 20 times at once: one
///   registration, and every answer carries its id;
/// - registering for a pending or offline event: 409; check-in is idempotent and says when;
/// - a consultant cannot write events (403); an invitation task's follow-up is its consultant's;
/// - through the gateway: a customer registers without a token, staff log in as `marketing.1`.
final class MarketingEventTests: XCTestCase {
    private struct Setup {
        let first: ServiceProcess
        let second: ServiceProcess
        let database: AdminDatabase
        let group = UUID()
        let store = UUID()

        func stop() async {
            await first.stop()
            await second.stop()
            database.shutdown()
        }

        var logs: String { "--- first\n\(first.log.suffix(3000))\n--- second\n\(second.log.suffix(3000))" }

        func caller(_ role: String, _ permissions: [Permission], user: UUID = UUID(), scope: DataScope = .store) async throws -> DirectCaller {
            try await DirectCaller.make(first, store: store, group: group, role: role, scope: scope, permissions: permissions, user: user)
        }
    }

    private func start() async throws -> Setup {
        let database = try await AdminDatabase()
        let first = try ServiceProcess(.marketing), second = try ServiceProcess(.marketing)
        try first.start()
        try second.start()
        let setup = Setup(first: first, second: second, database: database)
        try await first.waitUntilReady()
        try await second.waitUntilReady()
        // The store, as the gateway would announce it.
        _ = try await database.scalar("""
            INSERT INTO marketing.directory_store (id, group_id, code, name, time_zone, version)
            VALUES ('\(setup.store)', '\(setup.group)', 'MK\(setup.store.uuidString.prefix(6))', '市场测试店', 'Asia/Shanghai', 1)
            RETURNING 1
            """)
        return setup
    }

    private static let manager: [Permission] = [.manageMarketingEvents]
    private static let consultant: [Permission] = [.readProspects, .writeProspects, .followUpInvitations]

    /// `yyyy-MM-dd HH:mm` on Shanghai's clock, `days` from now.
    private static func storeTime(daysFromNow days: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date().addingTimeInterval(days * 86_400))
    }

    private static func eventBody(capacity: Int, name: String = "新春试驾会") -> [String: Any] {
        [
            "name": name, "theme": "新车品鉴", "startsAt": storeTime(daysFromNow: 1), "endsAt": storeTime(daysFromNow: 2),
            "charge": "deposit", "amount": 99, "content": "到店试驾，赠送精美礼品", "rules": "每个手机号限报一次",
            "shareTitle": "华星汽车新春试驾会", "shareText": "报名即送礼", "capacity": capacity,
        ]
    }

    /// Creates an event and puts it online; its id.
    private func onlineEvent(_ manager: DirectCaller, capacity: Int) async throws -> String {
        let created = try await manager.request(.POST, "/api/v1/marketing/events", json: Self.eventBody(capacity: capacity))
        guard created.status == 201, let id = created.json["id"] as? String else { throw TestFailure("creating an event: \(created.status) \(created.text)") }
        XCTAssertEqual(created.json["state"] as? String, "pending")
        XCTAssertTrue((created.json["number"] as? String)?.hasPrefix("HD") == true, created.text)
        let online = try await manager.request(.POST, "/api/v1/marketing/events/\(id)/online")
        XCTAssertEqual(online.status, 200, online.text)
        XCTAssertEqual(online.json["state"] as? String, "online")
        XCTAssertEqual(online.json["open"] as? Bool, true)
        return id
    }

    private static func registrationPath(_ event: String) -> String { "/api/v1/public/marketing/events/\(event)/registrations" }

    // MARK: Registrations

    func testRegistrationsNeverPassTheCapacityAndAMobileRegistersOnceWithTwoProcesses() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.caller("marketing", Self.manager)
            let event = try await onlineEvent(manager, capacity: 100)
            let ports = [setup.first.port, setup.second.port]

            // 300 customers register at once, half through each process, without a token.
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<300 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, Self.registrationPath(event),
                            json: ["mobile": "135" + String(format: "%08d", index), "name": "客户\(index)", "channelCode": "poster-\(index % 3)"])
                        return (reply.status, reply.json["title"] as? String ?? "")
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await (status, title) in group {
                    statuses[status, default: 0] += 1
                    if status == 409 { XCTAssertEqual(title, "Full") }
                }
                return statuses
            }
            XCTAssertEqual(statuses, [201: 100, 409: 200])
            let rows = try await setup.database.scalar("SELECT count(*)::int8 FROM marketing.event_registration WHERE event_id = '\(event)'")
            let registered = try await setup.database.scalar("SELECT registered::int8 FROM marketing.marketing_event WHERE id = '\(event)'")
            XCTAssertEqual([rows, registered], [100, 100])
            let announced = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM marketing.outbox
                WHERE event_type = 'marketing.registration.created.v1' AND envelope->'data'->>'eventId' = '\(event)'
                """)
            XCTAssertEqual(announced, 100, "one marketing.registration.created.v1 per registration")
            let counts = try await manager.request(.GET, "/api/v1/marketing/events/\(event)/counts")
            XCTAssertEqual(counts.json["registered"] as? Int, 100, counts.text)
            XCTAssertEqual(counts.json["remaining"] as? Int, 0)
            XCTAssertEqual(counts.json["checkedIn"] as? Int, 0)
            let page = try await ServiceProcess.request(port: ports[1], .GET, "/api/v1/public/marketing/events/\(event)")
            XCTAssertEqual(page.json["remaining"] as? Int, 0, page.text)
            let full = try await ServiceProcess.request(port: ports[0], .POST, Self.registrationPath(event), json: ["mobile": "13912340000", "name": "晚到"])
            XCTAssertEqual(full.status, 409)
            XCTAssertTrue((full.json["detail"] as? String)?.contains("报名已满") == true, full.text)

            // One customer registers 20 times at once: one registration, every answer its id.
            let other = try await onlineEvent(manager, capacity: 50)
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, Self.registrationPath(other), json: ["mobile": "+86 137-1234-5678", "name": "周先生"])
                        return (reply.status, reply.json["id"] as? String ?? reply.text)
                    }
                }
                var answers: [(Int, String)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            XCTAssertEqual(answers.filter { $0.0 == 201 }.count, 1, "\(answers)")
            XCTAssertEqual(answers.filter { $0.0 == 200 }.count, 19, "\(answers)")
            XCTAssertEqual(Set(answers.map(\.1)).count, 1, "every answer carries the same registration: \(answers)")
            let held = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM marketing.event_registration WHERE event_id = '\(other)' AND mobile = '13712345678'")
            XCTAssertEqual(held, 1)
            let otherRegistered = try await setup.database.scalar("SELECT registered::int8 FROM marketing.marketing_event WHERE id = '\(other)'")
            XCTAssertEqual(otherRegistered, 1)

            // A bad mobile and an empty name are one 422 naming both; an unknown event a 404.
            let bad = try await ServiceProcess.request(port: ports[0], .POST, Self.registrationPath(other), json: ["mobile": "12345", "name": " "])
            XCTAssertEqual(bad.status, 422)
            XCTAssertEqual(Set(bad.problemFields), ["mobile", "name"])
            let unknown = try await ServiceProcess.request(port: ports[0], .POST, Self.registrationPath(UUID().uuidString), json: ["mobile": "13712345678", "name": "周"])
            XCTAssertEqual(unknown.status, 404)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    func testOnlyAnOnlineEventTakesRegistrationsAndCheckInIsIdempotent() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.caller("marketing", Self.manager)
            // Every bad field of a draft at once.
            var badDraft = Self.eventBody(capacity: 0)
            badDraft["name"] = ""
            badDraft["startsAt"] = "2026-02-30 09:00"
            badDraft["charge"] = "fee"
            badDraft["amount"] = NSNull()
            let bad = try await manager.request(.POST, "/api/v1/marketing/events", json: badDraft)
            XCTAssertEqual(bad.status, 422, bad.text)
            XCTAssertEqual(Set(bad.problemFields), ["name", "startsAt", "amount", "capacity"], bad.text)

            let created = try await manager.request(.POST, "/api/v1/marketing/events", json: Self.eventBody(capacity: 10))
            let event = try XCTUnwrap(created.json["id"] as? String, created.text)
            XCTAssertEqual(created.json["amount"] as? Double, 99)
            let path = Self.registrationPath(event)
            // Pending (待上架): the page is not published — 404, as its page answers.
            let pending = try await setup.first.request(.POST, path, json: ["mobile": "13800000001", "name": "李"])
            XCTAssertEqual(pending.status, 404, pending.text)
            let unpublished = try await setup.first.request(.GET, "/api/v1/public/marketing/events/\(event)")
            XCTAssertEqual(unpublished.status, 404)
            // A pending event may be edited.
            var edited = Self.eventBody(capacity: 20, name: "新春试驾会（改）")
            edited["charge"] = "free"
            edited["amount"] = nil
            let replaced = try await manager.request(.PUT, "/api/v1/marketing/events/\(event)", json: edited)
            XCTAssertEqual(replaced.status, 200, replaced.text)
            XCTAssertEqual(replaced.json["capacity"] as? Int, 20)
            XCTAssertNil(replaced.json["amount"] as? Double)

            let online = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/online")
            XCTAssertEqual(online.status, 200, online.text)
            let registered = try await setup.second.request(.POST, path, json: ["mobile": "13800000001", "name": "李先生", "channelCode": "wechat-moments"])
            XCTAssertEqual(registered.status, 201, registered.text)
            let registrationID = try XCTUnwrap(registered.json["id"] as? String)
            XCTAssertEqual(registered.json["alreadyRegistered"] as? Bool, false)
            // Online: no edits, no delete.
            let editedOnline = try await manager.request(.PUT, "/api/v1/marketing/events/\(event)", json: edited)
            XCTAssertEqual(editedOnline.status, 409, editedOnline.text)
            let delete = try await manager.request(.DELETE, "/api/v1/marketing/events/\(event)")
            XCTAssertEqual(delete.status, 409, delete.text)
            XCTAssertTrue((delete.json["detail"] as? String)?.contains("已上架") == true, delete.text)

            // Offline (已下架): 409, and what was registered stays.
            let offline = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/offline")
            XCTAssertEqual(offline.json["state"] as? String, "offline", offline.text)
            let refused = try await setup.first.request(.POST, path, json: ["mobile": "13800000002", "name": "王"])
            XCTAssertEqual(refused.status, 409, refused.text)
            XCTAssertEqual(refused.json["title"] as? String, "Not open")
            XCTAssertTrue((refused.json["detail"] as? String)?.contains("已下架") == true, refused.text)
            // A mobile that did register gets the same answer: a closed event tells nobody who registered.
            let registeredAgain = try await setup.first.request(.POST, path, json: ["mobile": "13800000001", "name": "李先生"])
            XCTAssertEqual(registeredAgain.status, 409, registeredAgain.text)
            XCTAssertNil(registeredAgain.json["id"], registeredAgain.text)

            // Check-in by mobile, then again by the registration's id: the second says when.
            let first = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/check-ins", json: ["mobile": "138 0000 0001"])
            XCTAssertEqual(first.status, 200, first.text)
            XCTAssertEqual(first.json["alreadyCheckedIn"] as? Bool, false)
            let again = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/check-ins", json: ["registrationId": registrationID])
            XCTAssertEqual(again.status, 200, again.text)
            XCTAssertEqual(again.json["alreadyCheckedIn"] as? Bool, true)
            XCTAssertTrue((again.json["message"] as? String)?.contains("already checked in at") == true, again.text)
            let firstAt = (first.json["registration"] as? [String: Any])?["checkedInAt"] as? String
            XCTAssertEqual((again.json["registration"] as? [String: Any])?["checkedInAt"] as? String, firstAt)
            let nobody = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/check-ins", json: ["mobile": "13800000009"])
            XCTAssertEqual(nobody.status, 404)
            let counts = try await manager.request(.GET, "/api/v1/marketing/events/\(event)/counts")
            XCTAssertEqual(counts.json["checkedIn"] as? Int, 1, counts.text)
            XCTAssertEqual(counts.json["registered"] as? Int, 1)
            XCTAssertEqual(counts.json["remaining"] as? Int, 19)

            // The list, filtered, and its export in the store's words.
            let list = try await manager.request(.GET, "/api/v1/marketing/events/\(event)/registrations?checkedIn=true&channelCode=wechat-moments")
            XCTAssertEqual(list.items.count, 1, list.text)
            let export = try await manager.request(.GET, "/api/v1/marketing/events/\(event)/registrations/export?format=csv")
            XCTAssertEqual(export.status, 200)
            XCTAssertTrue(export.text.contains("已签到") && export.text.contains("13800000001"), export.text)
            let events = try await manager.request(.GET, "/api/v1/marketing/events/export?format=csv&state=offline")
            XCTAssertTrue(events.text.contains("已下架"), events.text)

            // A consultant cannot write events.
            let consultant = try await setup.caller("consultant", Self.consultant, scope: .own)
            let forbidden = try await consultant.request(.POST, "/api/v1/marketing/events", json: Self.eventBody(capacity: 5))
            XCTAssertEqual(forbidden.status, 403, forbidden.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Invitation tasks

    func testAnInvitationTaskIsFollowedUpByItsConsultantOnly() async throws {
        let setup = try await start()
        do {
            let (wang, ma) = (UUID(), UUID())
            let tag = setup.store.uuidString.prefix(6)
            _ = try await setup.database.scalar("""
                INSERT INTO marketing.directory_user (id, username, display_name, team_id, store_ids, role, active, version)
                VALUES ('\(wang)', 'consultant.wang.\(tag)', '王磊', NULL, ARRAY['\(setup.store)'::uuid], 'consultant', true, 1),
                       ('\(ma)', 'consultant.ma.\(tag)', '马超', NULL, ARRAY['\(setup.store)'::uuid], 'consultant', true, 1)
                RETURNING 1
                """)
            // A prospect Marketing learned from Prospects.
            let prospect = UUID()
            _ = try await setup.database.scalar("""
                INSERT INTO marketing.customer_prospect (prospect_id, store_id, name, mobile, source, level, state, in_recycle_bin, changed_at)
                VALUES ('\(prospect)', '\(setup.store)', '刘博', '15172444384', 'walk_in', 'A', 'active', false, now()) RETURNING 1
                """)
            let manager = try await setup.caller("marketing", Self.manager)
            let event = try await onlineEvent(manager, capacity: 30)
            let customers = try await manager.request(.GET, "/api/v1/marketing/customers?level=A")
            XCTAssertEqual(customers.items.first?["prospectId"] as? String, prospect.uuidString, customers.text)

            let created = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/invitations", json: [
                "consultantId": wang.uuidString, "customers": [["mobile": "18383874732", "name": "姚远"]], "prospectIds": [prospect.uuidString],
            ])
            XCTAssertEqual(created.status, 201, created.text)
            let tasks = created.json["created"] as? [[String: Any]] ?? []
            XCTAssertEqual(tasks.count, 2, created.text)
            XCTAssertEqual(tasks.first?["consultantName"] as? String, "王磊")
            let task = try XCTUnwrap(tasks.first?["id"] as? String)
            // Inviting the same customer again keeps the task.
            let repeated = try await manager.request(.POST, "/api/v1/marketing/events/\(event)/invitations", json: [
                "consultantId": ma.uuidString, "customers": [["mobile": "18383874732"]],
            ])
            XCTAssertEqual((repeated.json["skipped"] as? [[String: Any]])?.count, 1, repeated.text)

            let wangCaller = try await setup.caller("consultant", Self.consultant, user: wang, scope: .own)
            let maCaller = try await setup.caller("consultant", Self.consultant, user: ma, scope: .own)
            let wangsTasks = try await wangCaller.request(.GET, "/api/v1/marketing/invitations")
            XCTAssertEqual(wangsTasks.items.count, 2, wangsTasks.text)
            let masTasks = try await maCaller.request(.GET, "/api/v1/marketing/invitations")
            XCTAssertEqual(masTasks.items.count, 0, masTasks.text)

            let followUp: [String: Any] = [
                "method": "phone", "content": "电话邀约参加新春试驾会", "result": "invited", "note": "周六上午到店",
                "nextFollowUpOn": Self.storeTime(daysFromNow: 1).prefix(10).description,
            ]
            let refused = try await maCaller.request(.POST, "/api/v1/marketing/invitations/\(task)/follow-ups", json: followUp)
            XCTAssertEqual(refused.status, 403, refused.text)
            let recorded = try await wangCaller.request(.POST, "/api/v1/marketing/invitations/\(task)/follow-ups", json: followUp)
            XCTAssertEqual(recorded.status, 201, recorded.text)
            XCTAssertEqual((recorded.json["task"] as? [String: Any])?["result"] as? String, "invited")
            XCTAssertEqual((recorded.json["followUps"] as? [[String: Any]])?.count, 1)
            let badFollowUp = try await wangCaller.request(.POST, "/api/v1/marketing/invitations/\(task)/follow-ups", json: [
                "method": "pigeon", "content": "", "result": "maybe", "nextFollowUpOn": "2020-01-01",
            ])
            XCTAssertEqual(Set(badFollowUp.problemFields), ["method", "content", "result", "nextFollowUpOn"], badFollowUp.text)

            let managerList = try await manager.request(.GET, "/api/v1/marketing/invitations?eventId=\(event)&result=invited")
            XCTAssertEqual(managerList.items.count, 1, managerList.text)
            let open = try await manager.request(.GET, "/api/v1/marketing/invitations?eventId=\(event)&result=open")
            XCTAssertEqual(open.items.count, 1, open.text)
            // A consultant does not hand out tasks.
            let notAManager = try await wangCaller.request(.POST, "/api/v1/marketing/events/\(event)/invitations", json: [
                "consultantId": wang.uuidString, "customers": [["mobile": "13522441174"]],
            ])
            XCTAssertEqual(notAManager.status, 403)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Through the gateway

    /// What the WeChat page does: read the event and register through the gateway without a
    /// token; staff log in as the demo marketing manager, and a consultant may not write events.
    func testACustomerRegistersThroughTheGatewayWithoutLoggingIn() async throws {
        let database = try await AdminDatabase()
        let marketing = try ServiceProcess(.marketing), gateway = try ServiceProcess(.gateway)
        do {
            try marketing.start()
            try await marketing.waitUntilReady()
            try gateway.start(overrides: [
                "CRM_SEED_DEMO": "1", "CRM_BCRYPT_COST": "4", "CRM_MARKETING_URL": "http://127.0.0.1:\(marketing.port)",
            ])
            try await gateway.waitUntilReady()
            // The gateway seeds the demo users after it is ready: the first one of a fresh
            // database may not be there yet, so a login is tried for a few seconds.
            func login(_ username: String) async throws -> String {
                var reply: Suite.Reply?
                _ = try await eventually(timeout: .seconds(15)) {
                    reply = try await ServiceProcess.request(
                        port: gateway.port, .POST, "/api/v1/auth/login", json: ["username": username, "password": "dealer-demo"])
                    return reply?.json["accessToken"] is String
                }
                guard let token = reply?.json["accessToken"] as? String else { throw TestFailure("login \(username): \(reply?.text ?? "")") }
                return token
            }
            let manager = try await login("marketing.1")
            let created = try await ServiceProcess.request(
                port: gateway.port, .POST, "/api/v1/marketing/events", token: manager, json: Self.eventBody(capacity: 100))
            XCTAssertEqual(created.status, 201, created.text)
            let event = try XCTUnwrap(created.json["id"] as? String)
            let online = try await ServiceProcess.request(port: gateway.port, .POST, "/api/v1/marketing/events/\(event)/online", token: manager)
            XCTAssertEqual(online.status, 200, online.text)

            let page = try await ServiceProcess.request(port: gateway.port, .GET, "/api/v1/public/marketing/events/\(event)")
            XCTAssertEqual(page.status, 200, page.text)
            XCTAssertEqual(page.json["chargeLabel"] as? String, "诚意金")
            XCTAssertEqual(page.json["open"] as? Bool, true)
            let registered = try await ServiceProcess.request(
                port: gateway.port, .POST, Self.registrationPath(event), json: ["mobile": "13912340001", "name": "周先生"])
            XCTAssertEqual(registered.status, 201, registered.text)
            XCTAssertNil(registered.json["name"], "the public answer never shows the name on file")

            let consultant = try await login("consultant.1")
            let forbidden = try await ServiceProcess.request(
                port: gateway.port, .POST, "/api/v1/marketing/events", token: consultant, json: Self.eventBody(capacity: 5))
            XCTAssertEqual(forbidden.status, 403, forbidden.text)
            let anonymous = try await ServiceProcess.request(port: gateway.port, .GET, "/api/v1/marketing/events")
            XCTAssertEqual(anonymous.status, 401)
        } catch {
            XCTFail("\(error)\n--- marketing\n\(marketing.log.suffix(3000))\n--- gateway\n\(gateway.log.suffix(3000))")
        }
        await gateway.stop()
        await marketing.stop()
        database.shutdown()
    }
}
