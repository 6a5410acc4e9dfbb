import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// The lucky wheel (大转盘, M4; seed §9.4) on the real PostgreSQL and RabbitMQ: two crm-marketing
/// processes side by side and the crm-coupons they ask for coupon prizes, each test in a store
/// of its own.
///
/// - 1,000 simultaneous draws from distinct mobiles, half through each process: a prize with
///   stock 10 has exactly 10 winners and its stock ends at 0, never below; one mobile drawing 20
///   times at once with 3 draws gets 3;
/// - a coupon prize: the winner holds the coupon in Coupons; once the definition is sold out the
///   draw is "no prize" and the wheel keeps its stock; asked again with the same key, Coupons
///   answers the same coupon; its internal route refuses a caller without the installation's token;
/// - with Coupons stopped, a coupon prize's draw answers `issuing` and the settling pass issues it
///   once Coupons is back — one coupon;
/// - the draw log, the winners list and their export in the store's words; bad wheels are 422.
final class MarketingWheelTests: XCTestCase {
    private struct Setup {
        let coupons: ServiceProcess
        let first: ServiceProcess
        let second: ServiceProcess
        let database: AdminDatabase
        let group = UUID()
        let store = UUID()

        func stop() async {
            await first.stop()
            await second.stop()
            await coupons.stop()
            database.shutdown()
        }

        var logs: String {
            "--- first\n\(first.log.suffix(3000))\n--- second\n\(second.log.suffix(3000))\n--- coupons\n\(coupons.log.suffix(3000))"
        }

        func marketing() async throws -> DirectCaller {
            try await DirectCaller.make(first, store: store, group: group, role: "marketing", permissions: [.manageWheels, .manageMarketingEvents])
        }

        func finance() async throws -> DirectCaller {
            try await DirectCaller.make(coupons, store: store, group: group, role: "finance", permissions: [.readCoupons, .defineCoupons])
        }
    }

    private func start() async throws -> Setup {
        let database = try await AdminDatabase()
        let coupons = try ServiceProcess(.coupons)
        let first = try ServiceProcess(.marketing), second = try ServiceProcess(.marketing)
        let marketingSettings = ["CRM_COUPONS_URL": "http://127.0.0.1:\(coupons.port)", "CRM_SCHEDULER_INTERVAL_MS": "200"]
        try coupons.start()
        try first.start(overrides: marketingSettings)
        try second.start(overrides: marketingSettings)
        let setup = Setup(coupons: coupons, first: first, second: second, database: database)
        try await coupons.waitUntilReady()
        try await first.waitUntilReady()
        try await second.waitUntilReady()
        // The store, as the gateway would announce it to both services.
        for schema in ["marketing", "coupons"] {
            _ = try await database.scalar("""
                INSERT INTO \(schema).directory_store (id, group_id, code, name, time_zone, version)
                VALUES ('\(setup.store)', '\(setup.group)', 'DZ\(setup.store.uuidString.prefix(6))', '转盘测试店', 'Asia/Shanghai', 1)
                RETURNING 1
                """)
        }
        return setup
    }

    /// `yyyy-MM-dd HH:mm` on Shanghai's clock, `days` from now.
    private static func storeTime(daysFromNow days: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date().addingTimeInterval(days * 86_400))
    }

    private static func wheelBody(prizes: [[String: Any]], drawsPerPerson: Int = 1, extra: [String: Any] = [:]) -> [String: Any] {
        [
            "name": "双十二幸运大转盘", "rules": "每人限抽一次", "startsAt": storeTime(daysFromNow: -0.1), "endsAt": storeTime(daysFromNow: 2),
            "drawsPerPerson": drawsPerPerson, "drawPeriod": "wheel", "prizes": prizes,
        ].merging(extra) { $1 }
    }

    /// Creates a wheel and puts it online; its JSON.
    private func onlineWheel(_ manager: DirectCaller, _ body: [String: Any]) async throws -> [String: Any] {
        let created = try await manager.request(.POST, "/api/v1/marketing/wheels", json: body)
        guard created.status == 201, let id = created.json["id"] as? String else { throw TestFailure("creating a wheel: \(created.status) \(created.text)") }
        XCTAssertTrue((created.json["number"] as? String)?.hasPrefix("DZ") == true, created.text)
        XCTAssertEqual(created.json["state"] as? String, "pending")
        let online = try await manager.request(.POST, "/api/v1/marketing/wheels/\(id)/online")
        XCTAssertEqual(online.status, 200, online.text)
        XCTAssertEqual(online.json["open"] as? Bool, true, online.text)
        return online.json
    }

    private static func drawPath(_ wheel: String) -> String { "/api/v1/public/marketing/wheels/\(wheel)/draws" }

    private static func mobile(_ prefix: String, _ index: Int) -> String { prefix + String(format: "%08d", index) }

    // MARK: Stock and draws under concurrency

    func testAThousandDrawsAtOnceNeverPassTheStockAndAMobileGetsItsDrawsOnly() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.marketing()
            // Half the spins land on the 10 service packages, a fifth on the 5 dash cams.
            let wheel = try await onlineWheel(manager, Self.wheelBody(prizes: [
                ["name": "免费保养一次", "kind": "gift", "basisPoints": 5_000, "stock": 10],
                ["name": "行车记录仪", "kind": "gift", "basisPoints": 2_000, "stock": 5],
            ]))
            let id = wheel["id"] as! String
            XCTAssertEqual(wheel["noPrizeBasisPoints"] as? Int, 3_000)
            let ports = [setup.first.port, setup.second.port]

            let answers = try await withThrowingTaskGroup(of: (Int, String, String?).self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, Self.drawPath(id), json: ["mobile": Self.mobile("137", index), "name": "客户\(index)"])
                        return (reply.status, reply.json["outcome"] as? String ?? reply.text, reply.json["prizeName"] as? String)
                    }
                }
                var answers: [String: Int] = [:]
                for try await (status, outcome, prize) in group {
                    XCTAssertEqual(status, 201, outcome)
                    answers["\(outcome)/\(prize ?? "-")", default: 0] += 1
                }
                return answers
            }
            XCTAssertEqual(answers["won/免费保养一次"], 10, "\(answers)")
            XCTAssertEqual(answers["won/行车记录仪"], 5, "\(answers)")
            XCTAssertEqual(answers["no_prize/-"], 985, "\(answers)")
            let prizes = try await setup.database.rows("""
                SELECT name || ':' || stock || ':' || won FROM marketing.wheel_prize WHERE wheel_id = '\(id)' ORDER BY position
                """)
            XCTAssertEqual(prizes, ["免费保养一次:0:10", "行车记录仪:0:5"])
            let winners = try await setup.database.scalar("SELECT count(*)::int8 FROM marketing.wheel_draw WHERE wheel_id = '\(id)' AND outcome = 'won'")
            let outOfStock = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM marketing.wheel_draw WHERE wheel_id = '\(id)' AND note = 'out_of_stock'
                """)
            XCTAssertEqual(winners, 15)
            let announced = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM marketing.outbox
                WHERE event_type = 'marketing.prize.won.v1' AND envelope->'data'->>'wheelId' = '\(id)'
                """)
            XCTAssertEqual(announced, 15, "one marketing.prize.won.v1 per prize won")
            XCTAssertGreaterThan(outOfStock, 300, "spins landing on a prize out of stock are no prize")

            // The same mobile draws 20 times at once with 3 draws: 3 spins, 17 refusals.
            let three = try await onlineWheel(manager, Self.wheelBody(
                prizes: [["name": "纪念品", "basisPoints": 100, "stock": 1]], drawsPerPerson: 3))
            let threeID = three["id"] as! String
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, Self.drawPath(threeID), json: ["mobile": "13800001111"])
                        return (reply.status, reply.json["title"] as? String)
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await (status, title) in group {
                    statuses[status, default: 0] += 1
                    if status == 409 { XCTAssertEqual(title, "No draws left") }
                }
                return statuses
            }
            XCTAssertEqual(statuses, [201: 3, 409: 17])
            let drawn = try await setup.database.scalar("SELECT count(*)::int8 FROM marketing.wheel_draw WHERE wheel_id = '\(threeID)'")
            XCTAssertEqual(drawn, 3)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Coupon prizes

    func testACouponPrizeComesFromCouponsAndASoldOutOneIsNoPrizeThatKeepsTheStock() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.marketing()
            let finance = try await setup.finance()
            let definition = try await finance.request(.POST, "/api/v1/coupons/definitions", json: [
                "name": "大转盘保养券", "kind": "cash", "faceValue": 200, "quantity": 1, "perCustomerLimit": 1,
                "validity": "days_from_issue", "validDays": 30, "usableIn": "store", "description": "大转盘奖品",
            ])
            XCTAssertEqual(definition.status, 201, definition.text)
            let definitionID = try XCTUnwrap(definition.json["id"] as? String)
            let wheel = try await onlineWheel(manager, Self.wheelBody(prizes: [
                ["name": "200元保养券", "kind": "coupon", "couponDefinitionId": definitionID, "basisPoints": 10_000, "stock": 5],
            ]))
            let id = wheel["id"] as! String
            let prizes = wheel["prizes"] as? [[String: Any]] ?? []
            XCTAssertEqual(prizes.first?["couponDefinitionNumber"] as? String, definition.json["number"] as? String)

            // The first winner gets the only coupon.
            let first = try await setup.first.request(.POST, Self.drawPath(id), json: ["mobile": "13911110001", "name": "张三"])
            XCTAssertEqual(first.status, 201, first.text)
            XCTAssertEqual(first.json["outcome"] as? String, "won", first.text)
            XCTAssertEqual(first.json["outcomeLabel"] as? String, "中奖")
            // The public answer never carries the code (the draw proves nothing about who holds the
            // mobile); the coupon is the mobile's in Coupons, and the draw log has its code.
            XCTAssertNil(first.json["couponCode"], first.text)
            XCTAssertNotNil(first.json["couponLastDay"] as? String, first.text)
            let held = try await setup.database.rows("SELECT code || ':' || mobile || ':' || state FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual(held.count, 1)
            let code = String(held.first?.prefix(16) ?? "")
            XCTAssertEqual(held, ["\(code):13911110001:unused"])
            let logged = try await setup.database.rows("SELECT coupon_code FROM marketing.wheel_draw WHERE wheel_id = '\(id)' AND outcome = 'won'")
            XCTAssertEqual(logged, [code])

            // Sold out: no prize, and the wheel keeps the stock.
            let second = try await setup.second.request(.POST, Self.drawPath(id), json: ["mobile": "13911110002"])
            XCTAssertEqual(second.status, 201, second.text)
            XCTAssertEqual(second.json["outcome"] as? String, "no_prize", second.text)
            XCTAssertNil(second.json["prizeName"] as? String)
            let stock = try await setup.database.rows("SELECT stock || ':' || won FROM marketing.wheel_prize WHERE wheel_id = '\(id)'")
            XCTAssertEqual(stock, ["4:1"])
            let note = try await setup.database.rows("SELECT note FROM marketing.wheel_draw WHERE wheel_id = '\(id)' AND mobile = '13911110002'")
            XCTAssertEqual(note, ["sold_out"])

            // Asked again with the first draw's key, Coupons answers the same coupon and issues none.
            let drawID = try XCTUnwrap(first.json["drawId"] as? String)
            let body: [String: Any] = [
                "key": drawID, "definitionId": definitionID, "storeId": setup.store.uuidString, "mobile": "13911110001", "source": "大转盘",
            ]
            let again = try await internalRequest(setup.coupons.port, "/internal/v1/coupons/prize-issues", json: body, token: "dealer-crm-internal-development-token")
            XCTAssertEqual(again.status, 200, again.text)
            XCTAssertEqual(again.json["code"] as? String, code)
            let issued = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual(issued, 1)
            // The internal route is closed to a caller without the installation's token, and to a staff token.
            let anonymous = try await internalRequest(setup.coupons.port, "/internal/v1/coupons/prize-issues", json: body, token: nil)
            XCTAssertEqual(anonymous.status, 401)
            let staff = try await internalRequest(setup.coupons.port, "/internal/v1/coupons/prize-issues", json: body, token: finance.token)
            XCTAssertEqual(staff.status, 401)

            // The winners list and its export, in the store's words.
            let winners = try await manager.request(.GET, "/api/v1/marketing/wheels/\(id)/draws?outcome=won")
            XCTAssertEqual(winners.status, 200, winners.text)
            XCTAssertEqual(winners.items.map { $0["mobile"] as? String }, ["13911110001"])
            XCTAssertEqual(winners.items.first?["couponCode"] as? String, code)
            let export = try await manager.request(.GET, "/api/v1/marketing/wheels/\(id)/draws/export?format=csv")
            XCTAssertEqual(export.status, 200, export.text)
            XCTAssertTrue(export.text.contains("抽奖结果"), export.text)
            XCTAssertTrue(export.text.contains("中奖") && export.text.contains("谢谢参与"), export.text)
            XCTAssertTrue(export.text.contains("优惠券已领完"), export.text)
            XCTAssertTrue(export.text.contains(code), export.text)
            let badFilter = try await manager.request(.GET, "/api/v1/marketing/wheels/\(id)/draws?outcome=lucky")
            XCTAssertEqual(badFilter.status, 422)
            XCTAssertTrue(badFilter.text.contains("won (中奖)"), badFilter.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    func testACouponPrizeDrawnWhileCouponsIsDownIsIssuedOnceWhenItIsBack() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.marketing()
            let finance = try await setup.finance()
            let definition = try await finance.request(.POST, "/api/v1/coupons/definitions", json: [
                "name": "精洗券", "kind": "item", "covers": "精洗一次", "quantity": 10, "perCustomerLimit": 1,
                "validity": "days_from_issue", "validDays": 30, "usableIn": "store", "description": "大转盘奖品",
            ])
            XCTAssertEqual(definition.status, 201, definition.text)
            let definitionID = try XCTUnwrap(definition.json["id"] as? String)
            let wheel = try await onlineWheel(manager, Self.wheelBody(prizes: [
                ["name": "精洗券", "kind": "coupon", "couponDefinitionId": definitionID, "basisPoints": 10_000, "stock": 3],
            ]))
            let id = wheel["id"] as! String

            await setup.coupons.stop()
            let drawn = try await setup.first.request(.POST, Self.drawPath(id), json: ["mobile": "13922220001"])
            XCTAssertEqual(drawn.status, 201, drawn.text)
            XCTAssertEqual(drawn.json["outcome"] as? String, "issuing", drawn.text)
            let drawID = try XCTUnwrap(drawn.json["drawId"] as? String)
            // The page reads the draw again with its mobile; without it the draw is not found.
            let read = try await setup.second.request(.GET, "\(Self.drawPath(id))/\(drawID)?mobile=13922220001")
            XCTAssertEqual(read.json["outcome"] as? String, "issuing", read.text)
            let stranger = try await setup.second.request(.GET, "\(Self.drawPath(id))/\(drawID)?mobile=13922220002")
            XCTAssertEqual(stranger.status, 404)

            try setup.coupons.start()
            try await setup.coupons.waitUntilReady()
            // Both replicas' settling passes ask Coupons with the draw's key: one coupon.
            let settled = try await eventually(timeout: .seconds(60)) {
                try await setup.database.scalar("SELECT count(*)::int8 FROM marketing.wheel_draw WHERE id = '\(drawID)' AND outcome = 'won'") == 1
            }
            XCTAssertTrue(settled, "the draw was never settled")
            let coupons = try await setup.database.rows("SELECT mobile FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual(coupons, ["13922220001"])
            let won = try await setup.second.request(.GET, "\(Self.drawPath(id))/\(drawID)?mobile=13922220001")
            XCTAssertEqual(won.json["outcome"] as? String, "won", won.text)
            XCTAssertNil(won.json["couponCode"], won.text)
            let issuedCode = try await setup.database.rows("SELECT code FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            let stock = try await setup.database.rows("SELECT stock || ':' || won FROM marketing.wheel_prize WHERE wheel_id = '\(id)'")
            XCTAssertEqual(stock, ["2:1"])
            let announced = try await setup.database.rows("""
                SELECT envelope->'data'->>'couponCode' FROM marketing.outbox
                WHERE event_type = 'marketing.prize.won.v1' AND envelope->'data'->>'drawId' = '\(drawID)'
                """)
            XCTAssertEqual(announced, issuedCode, "the coupon prize is announced once, with its code")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Rules and bad input

    func testBadWheelsAreRefusedWithEveryFieldAndTheAudienceIsKept() async throws {
        let setup = try await start()
        do {
            let manager = try await setup.marketing()
            let bad = try await manager.request(.POST, "/api/v1/marketing/wheels", json: [
                "name": "", "startsAt": "明天", "endsAt": Self.storeTime(daysFromNow: 1), "audience": "vip", "drawPeriod": "hour",
                "prizes": [
                    ["name": "A", "basisPoints": 8_000, "stock": 1],
                    ["name": "B", "basisPoints": 3_000, "stock": -1, "kind": "coupon"],
                ],
            ])
            XCTAssertEqual(bad.status, 422, bad.text)
            XCTAssertTrue(bad.isProblem)
            let fields = Set(bad.problemFields)
            for field in ["name", "startsAt", "audience", "drawPeriod", "prizes", "prizes[1].stock", "prizes[1].couponDefinitionId"] {
                XCTAssertTrue(fields.contains(field), "\(field) not named: \(bad.text)")
            }
            XCTAssertTrue(bad.text.contains("registrants (活动报名客户)"), "the audience's allowed values with labels: \(bad.text)")
            let unknownCoupon = try await manager.request(.POST, "/api/v1/marketing/wheels", json: Self.wheelBody(prizes: [
                ["name": "券", "kind": "coupon", "couponDefinitionId": UUID().uuidString, "basisPoints": 100, "stock": 1],
            ]))
            XCTAssertEqual(unknownCoupon.status, 422, unknownCoupon.text)
            XCTAssertEqual(unknownCoupon.problemFields, ["prizes[0].couponDefinitionId"])

            // A wheel for an event's registrants: others are not eligible.
            let event = try await manager.request(.POST, "/api/v1/marketing/events", json: [
                "name": "车主答谢会", "startsAt": Self.storeTime(daysFromNow: -0.1), "endsAt": Self.storeTime(daysFromNow: 1),
                "content": "<p onclick=\"steal()\">现场抽奖</p><script>alert(1)</script><a href=\"javascript:alert(2)\">规则</a>",
                "rules": "<img src=x onerror=alert(3)>每人一次", "capacity": 10,
            ])
            XCTAssertEqual(event.status, 201, event.text)
            // The event's content and rules are shown as rich text: stored without what could run.
            for field in ["content", "rules"] {
                let text = event.json[field] as? String ?? ""
                for dangerous in ["<script", "onclick", "onerror", "javascript:"] {
                    XCTAssertFalse(text.lowercased().contains(dangerous), "\(field) kept \(dangerous): \(text)")
                }
            }
            XCTAssertTrue((event.json["content"] as? String)?.contains("现场抽奖") == true, event.text)
            let eventID = try XCTUnwrap(event.json["id"] as? String)
            _ = try await manager.request(.POST, "/api/v1/marketing/events/\(eventID)/online")
            let registered = try await setup.first.request(
                .POST, "/api/v1/public/marketing/events/\(eventID)/registrations", json: ["mobile": "13933330001", "name": "李四"])
            XCTAssertEqual(registered.status, 201, registered.text)
            let wheel = try await onlineWheel(manager, Self.wheelBody(
                prizes: [["name": "纪念品", "basisPoints": 10_000, "stock": 10]], extra: ["audience": "registrants", "audienceEventId": eventID]))
            let id = wheel["id"] as! String
            let outsider = try await setup.second.request(.POST, Self.drawPath(id), json: ["mobile": "13933330002"])
            XCTAssertEqual(outsider.status, 409, outsider.text)
            XCTAssertEqual(outsider.json["title"] as? String, "Not eligible")
            let registrant = try await setup.second.request(.POST, Self.drawPath(id), json: ["mobile": "13933330001"])
            XCTAssertEqual(registrant.status, 201, registrant.text)
            XCTAssertEqual(registrant.json["outcome"] as? String, "won")
            XCTAssertEqual(registrant.json["drawsLeft"] as? Int, 0)
            // An online wheel cannot be edited or deleted; offline, it takes no draws.
            let edit = try await manager.request(.PUT, "/api/v1/marketing/wheels/\(id)", json: Self.wheelBody(prizes: [["name": "x", "basisPoints": 1, "stock": 1]]))
            XCTAssertEqual(edit.status, 409, edit.text)
            XCTAssertTrue(edit.text.contains("已上架"), edit.text)
            _ = try await manager.request(.POST, "/api/v1/marketing/wheels/\(id)/offline")
            let closed = try await setup.first.request(.POST, Self.drawPath(id), json: ["mobile": "13933330001"])
            XCTAssertEqual(closed.status, 409, closed.text)
            XCTAssertEqual(closed.json["title"] as? String, "Not open")
            // A pending wheel is not public.
            let pending = try await manager.request(.POST, "/api/v1/marketing/wheels", json: Self.wheelBody(prizes: [["name": "x", "basisPoints": 1, "stock": 1]]))
            let pendingID = try XCTUnwrap(pending.json["id"] as? String, pending.text)
            let hidden = try await setup.first.request(.GET, "/api/v1/public/marketing/wheels/\(pendingID)")
            XCTAssertEqual(hidden.status, 404)
            let deleted = try await manager.request(.DELETE, "/api/v1/marketing/wheels/\(pendingID)")
            XCTAssertEqual(deleted.status, 200, deleted.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Through the gateway

    /// The demo marketing manager writes a wheel through the gateway; a customer's phone spins it
    /// without a token, and past the public prefix's limit gets a 429 with Retry-After.
    func testThroughTheGatewayACustomerSpinsWithoutATokenAndIsRateLimited() async throws {
        let suite = try await Suite.start(gatewayEnvironment: ["CRM_PUBLIC_RATE_PER_SECOND": "0.2", "CRM_PUBLIC_RATE_BURST": "3"])
        do {
            let token = try await suite.login("marketing.1")
            let created = try await suite.request(.POST, "/api/v1/marketing/wheels", token: token, json: Self.wheelBody(prizes: [
                ["name": "车载香薰", "basisPoints": 10_000, "stock": 100],
            ]))
            XCTAssertEqual(created.status, 201, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)
            let online = try await suite.request(.POST, "/api/v1/marketing/wheels/\(id)/online", token: token)
            XCTAssertEqual(online.status, 200, online.text)
            // A consultant may not write wheels.
            let consultant = try await suite.login("consultant.1")
            let refused = try await suite.request(.GET, "/api/v1/marketing/wheels", token: consultant)
            XCTAssertEqual(refused.status, 403, refused.text)

            let page = try await suite.request(.GET, "/api/v1/public/marketing/wheels/\(id)")
            XCTAssertEqual(page.status, 200, page.text)
            XCTAssertEqual((page.json["prizes"] as? [[String: Any]])?.first?["name"] as? String, "车载香薰")
            XCTAssertNil((page.json["prizes"] as? [[String: Any]])?.first?["stock"], "the page shows no stock")
            let drawn = try await suite.request(.POST, Self.drawPath(id), json: ["mobile": "13944440001"])
            XCTAssertEqual(drawn.status, 201, drawn.text)
            XCTAssertEqual(drawn.json["outcome"] as? String, "won")
            _ = try await suite.request(.GET, "/api/v1/public/marketing/wheels/\(id)")
            let limited = try await suite.request(.POST, Self.drawPath(id), json: ["mobile": "13944440002"])
            XCTAssertEqual(limited.status, 429, limited.text)
            XCTAssertNotNil(limited.headers.first(name: "Retry-After"), "a 429 says when to come back")
            let draws = try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.wheel_draw WHERE wheel_id = '\(id)'")
            XCTAssertEqual(draws, 1, "the refused draw never reached Marketing")
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// A request straight to a service with `Authorization: Bearer <token>` (nil: none).
    private func internalRequest(_ port: Int, _ path: String, json: Any, token: String?) async throws -> Suite.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Suite.Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }
}
