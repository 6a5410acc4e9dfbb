import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Coupons (C1–C5; seed §6, §8.1) on the real PostgreSQL and RabbitMQ, two crm-coupons processes
/// side by side, each test in a group of stores of its own:
///
/// - 1,000 simultaneous claims of a 500-coupon definition: exactly 500 coupons, 500 "sold out";
///   one mobile claiming 20 times at once under a limit of 2: exactly 2;
/// - 50 simultaneous redemptions of one code: exactly one; a code with a digit changed or two
///   neighbours swapped: 422 before any lookup; an undo puts it back, once;
/// - a push that does not fit issues nothing; the store's approval switch holds a task for a
///   manager other than its author;
/// - validity ends at 00:00 of the issuing store's next day (Shanghai and Berlin), on a fixed clock;
/// - revocation with the group's switch on waits for HQ and blocks redemption meanwhile;
/// - store scope: another store cannot see or redeem a store-only coupon; a group-wide one redeems anywhere.
final class CouponTests: XCTestCase {
    /// Two crm-coupons processes on `clock`, and the stores of a fresh group announced to them.
    private struct Setup {
        let first: ServiceProcess
        let second: ServiceProcess
        let database: AdminDatabase
        let group = UUID()
        let store1 = UUID()
        let store2 = UUID()

        func stop() async {
            await first.stop()
            await second.stop()
            database.shutdown()
        }

        var logs: String { "--- first\n\(first.log.suffix(3000))\n--- second\n\(second.log.suffix(3000))" }

        /// A member of staff of `store` (store 1 by default) calling `process` (the first by default).
        func caller(
            _ role: String, _ permissions: [Permission], store: UUID? = nil, on process: ServiceProcess? = nil, scope: DataScope = .store
        ) async throws -> DirectCaller {
            try await DirectCaller.make(
                process ?? first, store: store ?? store1, group: group, role: role, scope: scope, permissions: permissions)
        }
    }

    private func start(clock: TestClockFile? = nil, secondTimeZone: String = "Asia/Shanghai") async throws -> Setup {
        let database = try await AdminDatabase()
        let first = try ServiceProcess(.coupons), second = try ServiceProcess(.coupons)
        try first.start(overrides: clock?.environment ?? [:])
        try second.start(overrides: clock?.environment ?? [:])
        let setup = Setup(first: first, second: second, database: database)
        try await first.waitUntilReady()
        try await second.waitUntilReady()
        // The group's two stores, as the gateway would announce them.
        _ = try await database.scalar("""
            INSERT INTO coupons.directory_store (id, group_id, code, name, time_zone, version)
            VALUES ('\(setup.store1)', '\(setup.group)', 'CP\(setup.store1.uuidString.prefix(6))', '优惠券一店', 'Asia/Shanghai', 1),
                   ('\(setup.store2)', '\(setup.group)', 'CP\(setup.store2.uuidString.prefix(6))', '优惠券二店', '\(secondTimeZone)', 1)
            RETURNING 1
            """)
        return setup
    }

    private static let finance: [Permission] = [.readCoupons, .defineCoupons, .issueCoupons, .revokeCoupons, .configureCoupons]
    private static let cashier: [Permission] = [.readCoupons, .redeemCoupons]

    /// Defines coupons and returns the definition's JSON.
    private func define(
        _ caller: DirectCaller, quantity: Int, limit: Int = 1, faceValue: Double = 50, minimumSpend: Double? = nil,
        validity: [String: Any] = ["validity": "days_from_issue", "validDays": 30], usableIn: String = "store"
    ) async throws -> [String: Any] {
        var body: [String: Any] = [
            "name": "保养抵用券", "kind": "cash", "faceValue": faceValue, "quantity": quantity, "perCustomerLimit": limit,
            "usableIn": usableIn, "description": "到店保养抵用",
        ]
        if let minimumSpend { body["minimumSpend"] = minimumSpend }
        body.merge(validity) { $1 }
        let reply = try await caller.request(.POST, "/api/v1/coupons/definitions", json: body)
        guard reply.status == 201, reply.json["id"] is String else { throw TestFailure("defining coupons: \(reply.status) \(reply.text)") }
        XCTAssertTrue((reply.json["number"] as? String)?.hasPrefix("M") == true, reply.text)
        return reply.json
    }

    /// Writes and publishes a task; the publish reply.
    private func publishTask(_ caller: DirectCaller, _ body: [String: Any]) async throws -> Suite.Reply {
        let created = try await caller.request(.POST, "/api/v1/coupons/tasks", json: body)
        XCTAssertEqual(created.status, 201, created.text)
        let id = created.json["id"] as? String ?? ""
        return try await caller.request(.POST, "/api/v1/coupons/tasks/\(id)/publish", json: [:])
    }

    /// Pushes one coupon of `definition` to `mobile`; its code.
    private func pushOne(_ caller: DirectCaller, definition: String, mobile: String) async throws -> String {
        let published = try await publishTask(caller, [
            "kind": "quick", "definitionId": definition, "mode": "push", "recipient": ["mobile": mobile, "name": "李先生"],
        ])
        XCTAssertEqual(published.status, 200, published.text)
        let coupons = try await caller.request(.GET, "/api/v1/coupons/issued?mobile=\(mobile)&definitionId=\(definition)")
        guard let code = coupons.items.first?["code"] as? String else { throw TestFailure("no coupon for \(mobile): \(coupons.text)") }
        return code
    }

    private static func redemption(_ code: String, amount: Double = 300, order: String = "RO2612310001") -> [String: Any] {
        ["code": code, "orderKind": "repair_order", "orderNumber": order, "orderAmount": amount]
    }

    // MARK: Claims

    func testClaimsNeverIssueMoreThanTheQuantityOrTheLimitWithTwoProcesses() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 500)
            let definitionID = definition["id"] as! String
            let published = try await publishTask(finance, ["kind": "conditional", "name": "双十二领券", "definitionId": definitionID, "mode": "claim"])
            XCTAssertEqual(published.status, 200, published.text)
            let task = published.json["task"] as? [String: Any] ?? [:]
            XCTAssertEqual(task["state"] as? String, "claiming")
            let claimPath = try XCTUnwrap(task["claimPath"] as? String, published.text)

            // 1,000 customers claim at once, half through each process.
            let ports = [setup.first.port, setup.second.port]
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, claimPath, json: ["mobile": "136" + String(format: "%08d", index), "name": "客户\(index)"])
                        return (reply.status, reply.json["title"] as? String ?? "")
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await (status, title) in group {
                    statuses[status, default: 0] += 1
                    if status == 409 { XCTAssertEqual(title, "Sold out") }
                }
                return statuses
            }
            XCTAssertEqual(statuses, [201: 500, 409: 500])
            let coupons = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            let codes = try await setup.database.scalar("SELECT count(DISTINCT code)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            let holders = try await setup.database.scalar("SELECT count(DISTINCT mobile)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual([coupons, codes, holders], [500, 500, 500])
            let events = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event
                WHERE event_type = 'coupons.coupon.issued.v1' AND envelope->'data'->>'definitionId' = '\(definitionID)'
                """)
            XCTAssertEqual(events, 500, "one coupons.coupon.issued.v1 per coupon")
            let counts = try await finance.request(.GET, "/api/v1/coupons/definitions/\(definitionID)").json["counts"] as? [String: Any]
            XCTAssertEqual(counts?["issued"] as? Int, 500)
            XCTAssertEqual(counts?["available"] as? Int, 0)
            XCTAssertEqual(counts?["unused"] as? Int, 500)
            let offer = try await ServiceProcess.request(port: setup.first.port, .GET, claimPath)
            XCTAssertEqual(offer.json["available"] as? Int, 0, offer.text)

            // One customer claims 20 times at once from a definition that allows 2 each.
            let limited = try await define(finance, quantity: 100, limit: 2)
            let limitedID = limited["id"] as! String
            let limitedTask = try await publishTask(finance, ["kind": "conditional", "definitionId": limitedID, "mode": "claim"])
            let limitedPath = try XCTUnwrap((limitedTask.json["task"] as? [String: Any])?["claimPath"] as? String, limitedTask.text)
            let repeated = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(port: ports[index % 2], .POST, limitedPath, json: ["mobile": "13712345678"])
                        return (reply.status, reply.json["title"] as? String ?? "")
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await (status, title) in group {
                    statuses[status, default: 0] += 1
                    if status == 409 { XCTAssertEqual(title, "Limit reached") }
                }
                return statuses
            }
            XCTAssertEqual(repeated, [201: 2, 409: 18])
            let held = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(limitedID)' AND mobile = '13712345678'")
            XCTAssertEqual(held, 2)

            // A bad mobile is a 422 naming it; an unknown link a 404.
            let bad = try await ServiceProcess.request(port: setup.first.port, .POST, limitedPath, json: ["mobile": "12345"])
            XCTAssertEqual(bad.status, 422)
            XCTAssertEqual(bad.problemFields, ["mobile"])
            let unknown = try await ServiceProcess.request(port: setup.first.port, .POST, "/api/v1/public/coupons/claims/nope", json: ["mobile": "13712345678"])
            XCTAssertEqual(unknown.status, 404)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    /// What a WeChat H5 page does: read the offer and claim through the gateway, without logging
    /// in — and past the public prefix's rate, a 429 that never reaches Coupons.
    func testACustomerClaimsThroughTheGatewayWithoutLoggingInAndIsRateLimited() async throws {
        let suite = try await Suite.start(gatewayEnvironment: ["CRM_PUBLIC_RATE_PER_SECOND": "0.2", "CRM_PUBLIC_RATE_BURST": "3"])
        do {
            let finance = try await suite.login("finance.1")
            let definition = try await suite.request(.POST, "/api/v1/coupons/definitions", token: finance, json: [
                "name": "试驾礼券", "kind": "general", "faceValue": 100, "quantity": 50, "perCustomerLimit": 1,
                "validity": "days_from_issue", "validDays": 7, "usableIn": "group", "description": "到店试驾送100元",
            ])
            XCTAssertEqual(definition.status, 201, definition.text)
            let task = try await suite.request(.POST, "/api/v1/coupons/tasks", token: finance, json: [
                "kind": "conditional", "definitionId": definition.json["id"]!, "mode": "claim",
            ])
            XCTAssertEqual(task.status, 201, task.text)
            let published = try await suite.request(.POST, "/api/v1/coupons/tasks/\(task.json["id"]!)/publish", token: finance, json: [:])
            let claimPath = try XCTUnwrap((published.json["task"] as? [String: Any])?["claimPath"] as? String, published.text)

            let offer = try await suite.request(.GET, claimPath)
            XCTAssertEqual(offer.status, 200, offer.text)
            XCTAssertEqual(offer.json["kindLabel"] as? String, "全部券")
            XCTAssertEqual(offer.json["available"] as? Int, 50)
            let claimed = try await suite.request(.POST, claimPath, json: ["mobile": "13912340001", "name": "周先生"])
            XCTAssertEqual(claimed.status, 201, claimed.text)
            let code = ((claimed.json["coupons"] as? [[String: Any]])?.first?["code"] as? String)?.replacingOccurrences(of: " ", with: "")
            XCTAssertEqual(code?.count, 16, claimed.text)
            let again = try await suite.request(.POST, claimPath, json: ["mobile": "13912340001"])
            XCTAssertEqual(again.status, 409, again.text)
            XCTAssertEqual(again.json["title"] as? String, "Limit reached")
            // A fourth request within the burst of 3 is refused by the gateway.
            let limited = try await suite.request(.POST, claimPath, json: ["mobile": "13912340002"])
            XCTAssertEqual(limited.status, 429, limited.text)
            XCTAssertNotNil(limited.headers.first(name: "retry-after"))
            let notClaimed = try await suite.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE mobile = '13912340002'")
            XCTAssertEqual(notClaimed, 0)
            // Staff routes still need a token.
            let anonymous = try await suite.request(.GET, "/api/v1/coupons/definitions")
            XCTAssertEqual(anonymous.status, 401)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// Claims on both processes and a push of the same definition at the same moment: the
    /// coupons never pass the quantity, and what the answers say was issued is what exists.
    func testClaimsAndAPushAtOnceNeverPassTheQuantity() async throws {
        let setup = try await start()
        do {
            _ = try await setup.database.scalar("""
                INSERT INTO coupons.customer_prospect (prospect_id, store_id, name, mobile, source, level, state, in_recycle_bin, changed_at)
                SELECT gen_random_uuid(), '\(setup.store1)', '客户' || n, '134' || lpad(n::text, 8, '0'), 'walk_in', 'B', 'active', false, now()
                FROM generate_series(1, 150) AS n RETURNING 1
                """)
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 300, limit: 5)
            let definitionID = definition["id"] as! String
            let claimTask = try await publishTask(finance, ["kind": "conditional", "definitionId": definitionID, "mode": "claim"])
            let claimPath = try XCTUnwrap((claimTask.json["task"] as? [String: Any])?["claimPath"] as? String, claimTask.text)
            let push = try await finance.request(.POST, "/api/v1/coupons/tasks", json: [
                "kind": "conditional", "definitionId": definitionID, "mode": "push", "conditions": ["prospect": ["levels": ["B"]]],
            ])
            let pushID = try XCTUnwrap(push.json["id"] as? String, push.text)
            let ports = [setup.first.port, setup.second.port]
            let token = finance.token
            let (claimed, pushed) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                group.addTask {
                    let reply = try await ServiceProcess.request(port: ports[1], .POST, "/api/v1/coupons/tasks/\(pushID)/publish", token: token, json: [:])
                    return (0, reply.status == 200 ? ((reply.json["task"] as? [String: Any])?["couponsIssued"] as? Int ?? -1) : 0)
                }
                for index in 0..<200 {
                    group.addTask {
                        let reply = try await ServiceProcess.request(
                            port: ports[index % 2], .POST, claimPath, json: ["mobile": "133" + String(format: "%08d", index)])
                        XCTAssertTrue([201, 409].contains(reply.status), reply.text)
                        return (reply.status == 201 ? 1 : 0, 0)
                    }
                }
                var claimed = 0, pushed = 0
                for try await (claims, coupons) in group {
                    claimed += claims
                    pushed += coupons
                }
                return (claimed, pushed)
            }
            let coupons = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            let issued = try await setup.database.scalar("SELECT issued::int8 FROM coupons.coupon_definition WHERE id = '\(definitionID)'")
            XCTAssertLessThanOrEqual(coupons, 300)
            XCTAssertEqual(coupons, claimed + pushed, "the answers account for every coupon")
            XCTAssertEqual(issued, coupons)
            XCTAssertTrue(pushed == 150 || pushed == 0, "a push is all or nothing: \(pushed)")
            XCTAssertEqual(claimed, pushed == 150 ? 150 : 200, "claims take what the push left")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Redemption

    func testRedemptionIsExactlyOnceAndMistypedCodesAreCaughtBeforeAnyLookup() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 10, minimumSpend: 200)
            let definitionID = definition["id"] as! String
            let code = try await pushOne(finance, definition: definitionID, mobile: "13912345678")
            XCTAssertEqual(code.count, 16)
            XCTAssertTrue(DammCheckDigit.validates(code))

            let cashiers = [
                try await setup.caller("cashier", Self.cashier, on: setup.first), try await setup.caller("cashier", Self.cashier, on: setup.second),
            ]
            // Below the minimum spend: 422 on orderAmount, and the coupon stays unused.
            let tooLittle = try await cashiers[0].request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(code, amount: 199.99))
            XCTAssertEqual(tooLittle.status, 422, tooLittle.text)
            XCTAssertEqual(tooLittle.problemFields, ["orderAmount"])

            // 50 cashiers at once, half on each process: exactly one redemption.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let grouped = index % 3 == 0 ? CouponCodeText.grouped(code) : code
                        return try await cashiers[index % 2].request(
                            .POST, "/api/v1/coupons/redemptions", json: Self.redemption(grouped, order: "RO26123100\(index)")).status
                    }
                }
                var statuses: [Int: Int] = [:]
                for try await status in group { statuses[status, default: 0] += 1 }
                return statuses
            }
            XCTAssertEqual(statuses, [200: 1, 409: 49])
            let used = try await finance.request(.GET, "/api/v1/coupons/issued/\(code)")
            XCTAssertEqual(used.json["state"] as? String, "used")
            XCTAssertEqual(used.json["orderKind"] as? String, "repair_order")
            let again = try await cashiers[0].request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(code))
            XCTAssertEqual(again.status, 409)
            XCTAssertTrue(again.text.contains("已使用"), again.text)
            let redeemedEvents = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event WHERE event_type = 'coupons.coupon.redeemed.v1' AND envelope->'data'->>'code' = '\(code)'
                """)
            XCTAssertEqual(redeemedEvents, 1)

            // One digit changed, and two different neighbours swapped: 422 "not a valid code".
            var digits = Array(code)
            digits[5] = digits[5] == "9" ? "0" : Character(String(Int(String(digits[5]))! + 1))
            var swapped = Array(code)
            let position = (0..<15).first { swapped[$0] != swapped[$0 + 1] }!
            swapped.swapAt(position, position + 1)
            for typo in [String(digits), String(swapped)] {
                let reply = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(typo))
                XCTAssertEqual(reply.status, 422, "\(typo): \(reply.text)")
                XCTAssertEqual(reply.problemFields, ["code"])
                XCTAssertTrue(reply.text.contains("not a valid code"), reply.text)
                let lookup = try await finance.request(.GET, "/api/v1/coupons/issued/\(typo)")
                XCTAssertEqual(lookup.status, 422)
            }

            // An order kind the store does not know is refused with the kinds and their labels
            // (checked in the redemption's batch), together with any other bad field.
            var unknownKind = Self.redemption(code)
            unknownKind["orderKind"] = "lease_order"
            let badKind = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions", json: unknownKind)
            XCTAssertEqual(badKind.status, 422, badKind.text)
            XCTAssertEqual(badKind.problemFields, ["orderKind"])
            XCTAssertTrue(badKind.text.contains("repair_order (") && badKind.text.contains("sales_order ("), badKind.text)
            unknownKind["orderNumber"] = "  "
            let badKindAndOrder = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions", json: unknownKind)
            XCTAssertEqual(badKindAndOrder.status, 422, badKindAndOrder.text)
            XCTAssertEqual(Set(badKindAndOrder.problemFields), ["orderKind", "orderNumber"])

            // The order is cancelled: the undo names it, puts the coupon back once, and announces it.
            let order = used.json["orderNumber"] as? String ?? ""
            let wrongOrder = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions/undo", json: ["code": code, "orderNumber": "RO-OTHER"])
            XCTAssertEqual(wrongOrder.status, 422, wrongOrder.text)
            XCTAssertEqual(wrongOrder.problemFields, ["orderNumber"])
            let undone = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions/undo", json: ["code": code, "orderNumber": order])
            XCTAssertEqual(undone.status, 200, undone.text)
            XCTAssertEqual(undone.json["state"] as? String, "unused")
            XCTAssertNil(undone.json["usedAt"] as? String)
            XCTAssertNil(undone.json["orderNumber"] as? String)
            let undoEvents = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event WHERE event_type = 'coupons.coupon.redeemed.v1' AND envelope->'data'->>'code' = '\(code)'
                  AND (envelope->'data'->>'undone')::boolean AND envelope->'data'->>'orderNumber' = '\(order)'
                  AND envelope->'data'->>'undoneBy' ILIKE '\(cashiers[1].userID)'
                """)
            XCTAssertEqual(undoEvents, 1, "the undo names the redemption it undoes and who undid it")
            let undoneAgain = try await cashiers[0].request(.POST, "/api/v1/coupons/redemptions/undo", json: ["code": code, "orderNumber": order])
            XCTAssertEqual(undoneAgain.status, 409)
            // A code typed with full-width digits and spaces reads as the same code.
            let fullWidth = String(code.unicodeScalars.map { Character(Unicode.Scalar($0.value - 0x30 + 0xFF10)!) })
            let typedWide = try await finance.request(.GET, "/api/v1/coupons/issued/\(fullWidth.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!)")
            XCTAssertEqual(typedWide.json["code"] as? String, code, typedWide.text)
            let redeemedAgain = try await cashiers[0].request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(code))
            XCTAssertEqual(redeemedAgain.status, 200, redeemedAgain.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    /// Redemptions arriving together are written together (group commit, `RedemptionBatcher`): 200
    /// codes each redeemed twice at the same moment, on two processes — each code exactly once,
    /// each winner answered with its own order, one event per redemption. A third attempt per
    /// code, with an order kind the store does not know, lands in the same batches: each is
    /// refused with a 422 on its own, and the others in its batch are written as if it were not there.
    func testRedemptionsArrivingTogetherAreEachWrittenOnceWithTheirOwnOrder() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 200, limit: 100)
            let definitionID = definition["id"] as! String
            for mobile in ["13955550001", "13955550002"] {
                let published = try await publishTask(finance, [
                    "kind": "quick", "definitionId": definitionID, "mode": "push", "perPerson": 100,
                    "recipient": ["mobile": mobile, "name": "批量客户"],
                ])
                XCTAssertEqual(published.status, 200, published.text)
            }
            let codes = try await setup.database.rows("SELECT code FROM coupons.coupon WHERE definition_id = '\(definitionID)' ORDER BY code")
            XCTAssertEqual(codes.count, 200)
            let cashiers = [
                try await setup.caller("cashier", Self.cashier, on: setup.first), try await setup.caller("cashier", Self.cashier, on: setup.second),
            ]
            let answers = try await withThrowingTaskGroup(of: (String, Int, String, String?).self) { group in
                for (index, code) in codes.enumerated() {
                    for attempt in 0..<3 {
                        group.addTask {
                            let order = "RO\(index)-\(attempt)"
                            var body = Self.redemption(code, order: order)
                            if attempt == 2 { body["orderKind"] = "lease_order" }
                            let reply = try await cashiers[(index + attempt) % 2].request(
                                .POST, "/api/v1/coupons/redemptions", json: body)
                            return (code, reply.status, order, reply.json["orderNumber"] as? String)
                        }
                    }
                }
                var answers: [(String, Int, String, String?)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            let won = answers.filter { $0.1 == 200 }
            XCTAssertEqual(won.count, 200, "each code redeemed once")
            XCTAssertEqual(answers.filter { $0.1 == 409 }.count, 200)
            let refusedKinds = answers.filter { $0.1 == 422 }
            XCTAssertEqual(refusedKinds.count, 200, "every unknown order kind is refused")
            XCTAssertTrue(refusedKinds.allSatisfy { $0.2.hasSuffix("-2") }, "only the attempts with the unknown kind are refused")
            XCTAssertEqual(Set(won.map(\.0)).count, 200)
            XCTAssertFalse(won.contains { $0.2.hasSuffix("-2") })
            for (code, _, order, answered) in won {
                XCTAssertEqual(answered, order, "\(code) was answered with another redemption's order")
            }
            let stored = try await setup.database.rows("""
                SELECT code || ':' || order_number FROM coupons.coupon WHERE definition_id = '\(definitionID)' AND state = 'used' ORDER BY code
                """)
            XCTAssertEqual(stored, won.map { "\($0.0):\($0.2)" }.sorted())
            let events = try await setup.database.scalar("""
                SELECT count(DISTINCT envelope->'data'->>'code')::int8 FROM coupons.outbox_event
                WHERE event_type = 'coupons.coupon.redeemed.v1' AND envelope->'data'->>'definitionId' = '\(definitionID)'
                """)
            let eventRows = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event
                WHERE event_type = 'coupons.coupon.redeemed.v1' AND envelope->'data'->>'definitionId' = '\(definitionID)'
                """)
            XCTAssertEqual([events, eventRows], [200, 200], "one coupons.coupon.redeemed.v1 per redemption")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    /// The order kinds a redemption may name are the store's `couponOrderKind` set, which a
    /// redemption batch reads at most `RecentDictionaries.maxAge` ago: a kind the store disables
    /// is refused on both processes within that time, and a refused redemption uses nothing.
    func testAnOrderKindTheStoreDisablesIsRefusedOnEveryProcessWithinTheDictionarysMaxAge() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 5, minimumSpend: 200)
            let definitionID = definition["id"] as! String
            let cashiers = [
                try await setup.caller("cashier", Self.cashier, on: setup.first), try await setup.caller("cashier", Self.cashier, on: setup.second),
            ]
            func onSalesOrder(_ code: String, amount: Double = 300) -> [String: Any] {
                var body = Self.redemption(code, amount: amount, order: "SO2612310001")
                body["orderKind"] = "sales_order"
                return body
            }
            // Both processes take 销售订单 (the built-in set) and keep the set from now on.
            for (index, cashier) in cashiers.enumerated() {
                let code = try await pushOne(finance, definition: definitionID, mobile: "1365556000\(index)")
                let taken = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: onSalesOrder(code))
                XCTAssertEqual(taken.status, 200, taken.text)
            }
            let code = try await pushOne(finance, definition: definitionID, mobile: "13655560009")

            // The store disables 销售订单, as the gateway's identity.dictionary.changed.v1 writes it.
            _ = try await setup.database.scalar("""
                INSERT INTO coupons.directory_dictionary (store_id, set_name, entries, version)
                VALUES ('\(setup.store1)', 'couponOrderKind',
                        '[{"code": "repair_order", "label": "维修工单", "enabled": true, "builtIn": true},
                          {"code": "sales_order", "label": "销售订单", "enabled": false, "builtIn": true}]', 1)
                RETURNING 1
                """)
            let changed = ContinuousClock.now
            // Both processes probed in turn, below the minimum spend so that nothing is used while
            // a process still takes the kind (422 on orderAmount), until each refuses the kind
            // (422 on orderKind) — both within the copies' age, with a margin for a slow machine.
            var refusals: [Suite.Reply?] = [nil, nil]
            let refused = try await eventually(timeout: RecentDictionaries.maxAge + .seconds(2)) {
                for (index, cashier) in cashiers.enumerated() where refusals[index] == nil {
                    let reply = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: onSalesOrder(code, amount: 100))
                    XCTAssertEqual(reply.status, 422, reply.text)
                    if reply.problemFields == ["orderKind"] { refusals[index] = reply }
                }
                return refusals.allSatisfy { $0 != nil }
            }
            XCTAssertTrue(refused, "a process still takes 销售订单 \(ContinuousClock.now - changed) after it was disabled")
            for refusal in refusals.compactMap({ $0 }) {
                XCTAssertTrue(refusal.text.contains("sales_order (销售订单) is disabled in this store"), refusal.text)
            }
            for cashier in cashiers {
                let atFullAmount = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: onSalesOrder(code))
                XCTAssertEqual(atFullAmount.status, 422, atFullAmount.text)
                XCTAssertEqual(atFullAmount.problemFields, ["orderKind"])
            }
            let unused = try await finance.request(.GET, "/api/v1/coupons/issued/\(code)")
            XCTAssertEqual(unused.json["state"] as? String, "unused", "a refused redemption uses nothing")
            let repairOrder = try await cashiers[1].request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(code))
            XCTAssertEqual(repairOrder.status, 200, repairOrder.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Pushes and approval

    func testAPushThatDoesNotFitIssuesNothingAndApprovalNeedsAnotherManager() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 5, limit: 10)
            let definitionID = definition["id"] as! String
            let tooMany = try await publishTask(finance, [
                "kind": "quick", "definitionId": definitionID, "mode": "push", "perPerson": 6, "recipient": ["mobile": "13811112222"],
            ])
            XCTAssertEqual(tooMany.status, 409, tooMany.text)
            XCTAssertEqual(tooMany.json["title"] as? String, "Sold out")
            XCTAssertTrue(tooMany.text.contains("5 coupons left"), tooMany.text)
            let none = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual(none, 0, "a push that does not fit issues nothing")
            let issued = try await setup.database.scalar("SELECT issued::int8 FROM coupons.coupon_definition WHERE id = '\(definitionID)'")
            XCTAssertEqual(issued, 0)

            // The store asks for approval: publishing waits; the author cannot approve; the GM can.
            let refusedSwitch = try await finance.request(.PUT, "/api/v1/coupons/settings", json: ["taskApproval": true])
            XCTAssertEqual(refusedSwitch.status, 403, "the switch is the managers', not the issuers'")
            let manager = try await setup.caller("gm", [.readCoupons, .approveCouponTasks])
            let settings = try await manager.request(.PUT, "/api/v1/coupons/settings", json: ["taskApproval": true])
            XCTAssertEqual(settings.status, 200, settings.text)
            let waiting = try await publishTask(finance, [
                "kind": "quick", "definitionId": definitionID, "mode": "push", "perPerson": 2, "recipient": ["mobile": "13811112222", "name": "赵女士"],
            ])
            XCTAssertEqual(waiting.status, 200, waiting.text)
            let task = waiting.json["task"] as? [String: Any] ?? [:]
            XCTAssertEqual(task["state"] as? String, "awaiting_approval")
            XCTAssertTrue((task["number"] as? String)?.hasPrefix("KS") == true)
            let taskID = task["id"] as! String
            let stillNone = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(definitionID)'")
            XCTAssertEqual(stillNone, 0)
            let author = try await DirectCaller.make(
                setup.first, store: setup.store1, group: setup.group, role: "gm", permissions: [.readCoupons, .approveCouponTasks],
                user: finance.userID)
            let selfApproval = try await author.request(.POST, "/api/v1/coupons/tasks/\(taskID)/approve", json: [:])
            XCTAssertEqual(selfApproval.status, 403, "the task's author may not approve it: \(selfApproval.text)")
            let gm = try await setup.caller("gm", [.readCoupons, .approveCouponTasks], on: setup.second)
            let approved = try await gm.request(.POST, "/api/v1/coupons/tasks/\(taskID)/approve", json: [:])
            XCTAssertEqual(approved.status, 200, approved.text)
            let approvedTask = approved.json["task"] as? [String: Any] ?? [:]
            XCTAssertEqual(approvedTask["state"] as? String, "issued")
            XCTAssertEqual(approvedTask["couponsIssued"] as? Int, 2)
            let twice = try await gm.request(.POST, "/api/v1/coupons/tasks/\(taskID)/approve", json: [:])
            XCTAssertEqual(twice.status, 409)

            // Someone who may both issue and approve edits another's draft and publishes it: not theirs to approve.
            let draft = try await finance.request(.POST, "/api/v1/coupons/tasks", json: [
                "kind": "quick", "definitionId": definitionID, "mode": "push", "recipient": ["mobile": "13811113333"],
            ])
            let draftID = draft.json["id"] as? String ?? ""
            let both = try await setup.caller("admin", [.readCoupons, .issueCoupons, .approveCouponTasks])
            let edited = try await both.request(.PUT, "/api/v1/coupons/tasks/\(draftID)", json: [
                "kind": "quick", "definitionId": definitionID, "mode": "push", "perPerson": 2, "recipient": ["mobile": "13811114444"],
            ])
            XCTAssertEqual(edited.status, 200, edited.text)
            let sent = try await finance.request(.POST, "/api/v1/coupons/tasks/\(draftID)/publish", json: [:])
            XCTAssertEqual((sent.json["task"] as? [String: Any])?["state"] as? String, "awaiting_approval", sent.text)
            let editorApproval = try await both.request(.POST, "/api/v1/coupons/tasks/\(draftID)/approve", json: [:])
            XCTAssertEqual(editorApproval.status, 403, "the last editor may not approve: \(editorApproval.text)")
            let rejected = try await gm.request(.POST, "/api/v1/coupons/tasks/\(draftID)/reject", json: ["reason": "名单有误"])
            XCTAssertEqual(rejected.json["state"] as? String, "rejected", rejected.text)
            XCTAssertEqual(rejected.json["rejectionReason"] as? String, "名单有误")
            let republished = try await finance.request(.POST, "/api/v1/coupons/tasks/\(draftID)/publish", json: [:])
            let waitingAgain = republished.json["task"] as? [String: Any] ?? [:]
            XCTAssertEqual(waitingAgain["state"] as? String, "awaiting_approval")
            XCTAssertNil(waitingAgain["rejectionReason"] as? String, "a new round of approval starts clean")
            let counts = try await finance.request(.GET, "/api/v1/coupons/definitions/\(definitionID)").json["counts"] as? [String: Any]
            XCTAssertEqual(counts?["issued"] as? Int, 2)
            XCTAssertEqual(counts?["available"] as? Int, 3)

            // The lists export in the store's words.
            let definitions = try await finance.request(.GET, "/api/v1/coupons/definitions/export?format=csv")
            XCTAssertEqual(definitions.status, 200, definitions.text)
            XCTAssertTrue(definitions.text.contains("现金券") && definitions.text.contains("按发放后天数") && definitions.text.contains("本店"), definitions.text)
            let tasks = try await finance.request(.GET, "/api/v1/coupons/tasks/export?format=csv&state=issued")
            XCTAssertEqual(tasks.status, 200, tasks.text)
            XCTAssertTrue(tasks.text.contains("快速发券") && tasks.text.contains("已发放") && !tasks.text.contains("草稿"), tasks.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Conditional pushes

    func testAConditionalPushTo10000CustomersIsAllOrNothingWhenTheProcessIsKilledMidTask() async throws {
        let setup = try await start()
        do {
            // 10,000 level-A prospects of the store and 500 level-C ones, as Prospects announced them.
            _ = try await setup.database.scalar("""
                INSERT INTO coupons.customer_prospect (prospect_id, store_id, name, mobile, source, level, series, state, in_recycle_bin, changed_at)
                SELECT gen_random_uuid(), '\(setup.store1)', '客户' || n, '135' || lpad(n::text, 8, '0'), 'walk_in',
                       CASE WHEN n <= 10000 THEN 'A' ELSE 'C' END, '君越', 'active', false, now()
                FROM generate_series(1, 10500) AS n RETURNING 1
                """)
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 20_000)
            let definitionID = definition["id"] as! String
            let created = try await finance.request(.POST, "/api/v1/coupons/tasks", json: [
                "kind": "conditional", "name": "A级潜客送券", "definitionId": definitionID, "mode": "push",
                "conditions": ["prospect": ["levels": ["A"], "series": ["君越"]]],
            ])
            XCTAssertEqual(created.status, 201, created.text)
            XCTAssertTrue((created.json["number"] as? String)?.hasPrefix("TJ") == true)
            let taskID = created.json["id"] as! String
            let preview = try await finance.request(.GET, "/api/v1/coupons/tasks/\(taskID)/preview")
            XCTAssertEqual(preview.json["customers"] as? Int, 10_000, preview.text)

            // Publish, and kill crm-coupons while the push's transaction is open and has written.
            let port = setup.first.port, token = finance.token
            let publishing = Task { try? await ServiceProcess.request(port: port, .POST, "/api/v1/coupons/tasks/\(taskID)/publish", token: token, json: [:]) }
            let caughtOpen = try await eventually(timeout: .seconds(30)) {
                try await setup.database.scalar("""
                    SELECT count(*)::int8 FROM pg_stat_activity
                    WHERE usename = 'crm_coupons' AND backend_xid IS NOT NULL AND query LIKE '%INSERT INTO coupons.%'
                    """) > 0
            }
            setup.first.signal(SIGKILL)
            _ = await publishing.value
            _ = await setup.first.waitForExit(timeout: 10)
            let afterKill = try await eventually(timeout: .seconds(10)) {
                try await setup.database.scalar("SELECT count(*)::int8 FROM pg_stat_activity WHERE usename = 'crm_coupons' AND backend_xid IS NOT NULL") == 0
            }
            XCTAssertTrue(afterKill, "the killed process's transaction ended")
            let partial = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE task_id = '\(taskID)'")
            XCTAssertTrue(partial == 0 || partial == 10_000, "all or none, never a part: \(partial)")
            XCTAssertTrue(caughtOpen, "the kill landed while the push's transaction was open and had written")
            XCTAssertEqual(partial, 0, "killed mid-transaction: none")

            // Restarted, the task publishes once, whole.
            try setup.first.start()
            try await setup.first.waitUntilReady()
            if partial == 0 {
                let again = try await finance.request(.POST, "/api/v1/coupons/tasks/\(taskID)/publish", json: [:])
                XCTAssertEqual(again.status, 200, again.text)
            }
            let task = try await finance.request(.GET, "/api/v1/coupons/tasks/\(taskID)")
            XCTAssertEqual(task.json["state"] as? String, "issued")
            XCTAssertEqual(task.json["couponsIssued"] as? Int, 10_000)
            let coupons = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE task_id = '\(taskID)'")
            let codes = try await setup.database.scalar("SELECT count(DISTINCT code)::int8 FROM coupons.coupon WHERE task_id = '\(taskID)'")
            let customers = try await setup.database.scalar("SELECT count(DISTINCT mobile)::int8 FROM coupons.coupon WHERE task_id = '\(taskID)' AND mobile <= '13500010000'")
            XCTAssertEqual([coupons, codes, customers], [10_000, 10_000, 10_000])
            let issued = try await setup.database.scalar("SELECT issued::int8 FROM coupons.coupon_definition WHERE id = '\(definitionID)'")
            XCTAssertEqual(issued, 10_000)
            let events = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event WHERE event_type = 'coupons.coupon.issued.v1' AND envelope->'data'->>'taskId' ILIKE '\(taskID)'
                """)
            XCTAssertEqual(events, 10_000)
            let eventsOfEachMessage = try await setup.database.rows("""
                SELECT count(*)::text FROM coupons.outbox_event WHERE event_type = 'coupons.coupon.issued.v1' AND envelope->'data'->>'taskId' ILIKE '\(taskID)'
                GROUP BY message_id ORDER BY count(*)
                """)
            XCTAssertEqual(eventsOfEachMessage, Array(repeating: "500", count: 20), "the push's events go as 20 CloudEvents batches of 500")
            let republish = try await finance.request(.POST, "/api/v1/coupons/tasks/\(taskID)/publish", json: [:])
            XCTAssertEqual(republish.status, 409, "an issued task does not issue again")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Referral (老带新)

    func testAReferredArrivalGivesBothCustomersTheirCouponsOnceAndASelfReferralNothing() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let forReferrer = try await define(finance, quantity: 100, limit: 5)
            let forReferee = try await define(finance, quantity: 100, limit: 5)
            let rule = try await finance.request(.PUT, "/api/v1/coupons/referral-rule", json: [
                "enabled": true, "trigger": "arrival", "referrerDefinitionId": forReferrer["id"]!, "referrerCoupons": 1,
                "refereeDefinitionId": forReferee["id"]!, "refereeCoupons": 2,
            ])
            XCTAssertEqual(rule.status, 200, rule.text)
            let unknown = try await finance.request(.PUT, "/api/v1/coupons/referral-rule", json: [
                "enabled": true, "trigger": "arrival", "referrerDefinitionId": UUID().uuidString,
            ])
            XCTAssertEqual(unknown.problemFields, ["referrerDefinitionId"])

            let (referrer, referee, selfReferred) = ("13600001111", "13600002222", "13600003333")
            func arrival(_ mobile: String, referredBy: String?, first: Bool) -> CloudEvent<ProspectArrived> {
                CloudEvent(source: "/crm/prospects", data: ProspectArrived(
                    prospectId: UUID(), trafficId: UUID(), storeId: setup.store1, name: "新客户", mobile: mobile, referrerMobile: referredBy,
                    source: "referral", arrivedAt: Date(), firstArrival: first), storeid: setup.store1.uuidString.lowercased())
            }
            let firstVisit = arrival(referee, referredBy: referrer, first: true)
            let secondVisit = arrival(referee, referredBy: referrer, first: false)
            let selfReferral = arrival(selfReferred, referredBy: selfReferred, first: true)
            let purchase = CloudEvent(source: "/crm/prospects", data: ProspectPurchased(
                prospectId: UUID(), storeId: setup.store1, name: "新客户", mobile: referee, referrerMobile: referrer, orderNo: "SO2612010001",
                orderedAt: Date()), storeid: setup.store1.uuidString.lowercased())
            // The first arrival delivered twice, a second arrival, a self-referral, and a purchase (not the rule's trigger).
            try await BrokerQueues.publish([firstVisit, firstVisit, secondVisit, selfReferral])
            try await BrokerQueues.publish([purchase])
            let ids = [firstVisit.id, secondVisit.id, selfReferral.id, purchase.id].map { "'\($0)'" }.joined(separator: ",")
            let handled = try await eventually(timeout: .seconds(30)) {
                try await setup.database.scalar("SELECT count(DISTINCT event_id)::int8 FROM coupons.inbox WHERE event_id IN (\(ids))") == 4
            }
            XCTAssertTrue(handled, "crm-coupons handled the four events")
            let referrerCoupons = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM coupons.coupon WHERE mobile = '\(referrer)' AND definition_id = '\(forReferrer["id"]!)'")
            let refereeCoupons = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM coupons.coupon WHERE mobile = '\(referee)' AND definition_id = '\(forReferee["id"]!)' AND referral_of = '\(referee)'")
            let selfCoupons = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE mobile = '\(selfReferred)'")
            let everything = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id IN ('\(forReferrer["id"]!)', '\(forReferee["id"]!)')")
            XCTAssertEqual([referrerCoupons, refereeCoupons, selfCoupons, everything], [1, 2, 0, 3])
            let awards = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.referral_award WHERE store_id = '\(setup.store1)' AND outcome = 'issued'")
            XCTAssertEqual(awards, 2)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    /// 150 referred customers arrive at once — one old customer referred them all — handled by
    /// two crm-coupons processes: every referee gets exactly one coupon, the referrer exactly 150,
    /// and PostgreSQL reports no deadlock (the award's row and the definition's lock in one order).
    func testSimultaneousReferredArrivalsOnTwoProcessesAwardEachOnceWithoutDeadlock() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let forReferrer = try await define(finance, quantity: 1_000, limit: 1_000)
            let forReferee = try await define(finance, quantity: 1_000, limit: 1)
            let rule = try await finance.request(.PUT, "/api/v1/coupons/referral-rule", json: [
                "enabled": true, "trigger": "arrival", "referrerDefinitionId": forReferrer["id"]!, "refereeDefinitionId": forReferee["id"]!,
            ])
            XCTAssertEqual(rule.status, 200, rule.text)
            let deadlocksBefore = try await setup.database.scalar("SELECT deadlocks::int8 FROM pg_stat_database WHERE datname = current_database()")
            let referrer = "13655559999"
            let arrivals = (0..<150).map { index in
                CloudEvent(source: "/crm/prospects", data: ProspectArrived(
                    prospectId: UUID(), trafficId: UUID(), storeId: setup.store1, name: "新客户\(index)",
                    mobile: "1365555" + String(format: "%04d", index), referrerMobile: referrer, source: "referral", arrivedAt: Date(),
                    firstArrival: true), storeid: setup.store1.uuidString.lowercased())
            }
            try await BrokerQueues.publish(arrivals)
            let ids = arrivals.map { "'\($0.id)'" }.joined(separator: ",")
            let handled = try await eventually(timeout: .seconds(60)) {
                try await setup.database.scalar("SELECT count(DISTINCT event_id)::int8 FROM coupons.inbox WHERE event_id IN (\(ids))") == 150
            }
            XCTAssertTrue(handled, "both processes handled all 150 arrivals")
            let referrerCoupons = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM coupons.coupon WHERE mobile = '\(referrer)' AND definition_id = '\(forReferrer["id"]!)'")
            let refereeCoupons = try await setup.database.scalar(
                "SELECT count(*)::int8 FROM coupons.coupon WHERE definition_id = '\(forReferee["id"]!)'")
            let referees = try await setup.database.scalar(
                "SELECT count(DISTINCT mobile)::int8 FROM coupons.coupon WHERE definition_id = '\(forReferee["id"]!)'")
            XCTAssertEqual([referrerCoupons, refereeCoupons, referees], [150, 150, 150])
            let issued = try await setup.database.scalar("SELECT issued::int8 FROM coupons.coupon_definition WHERE id = '\(forReferrer["id"]!)'")
            XCTAssertEqual(issued, 150)
            let deadlocksAfter = try await setup.database.scalar("SELECT deadlocks::int8 FROM pg_stat_database WHERE datname = current_database()")
            XCTAssertEqual(deadlocksAfter - deadlocksBefore, 0, "no deadlock between the two processes' awards")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    /// The whole chain through the real services: the showroom registers a referred visitor in
    /// Prospects; Coupons learns the prospect (its read model) and the arrival from the events
    /// and gives both customers their coupons; a conditional push then finds the prospect.
    func testAReferredVisitorRegisteredInProspectsEarnsCouponsThroughTheEvents() async throws {
        let suite = try await Suite.start()
        do {
            let finance = try await suite.login("finance.1")
            // Not gm.1: IdentityAdminTests counts gm.1's refused writes in the shared audit log.
            let cashier = try await suite.login("cashier.1")
            func define(_ name: String) async throws -> String {
                let reply = try await suite.request(.POST, "/api/v1/coupons/definitions", token: finance, json: [
                    "name": name, "kind": "cash", "faceValue": 88, "quantity": 100, "perCustomerLimit": 3,
                    "validity": "days_from_issue", "validDays": 90, "usableIn": "store", "description": "老带新",
                ])
                guard reply.status == 201, let id = reply.json["id"] as? String else { throw TestFailure(reply.text) }
                return id
            }
            let (forReferrer, forReferee) = (try await define("推荐奖励券"), try await define("新客礼券"))
            let noSwitch = try await suite.request(.PUT, "/api/v1/coupons/referral-rule", token: cashier, json: ["enabled": false, "trigger": "arrival"])
            XCTAssertEqual(noSwitch.status, 403, "a cashier reads the rule but does not set it")
            let rule = try await suite.request(.PUT, "/api/v1/coupons/referral-rule", token: finance, json: [
                "enabled": true, "trigger": "arrival", "referrerDefinitionId": forReferrer, "referrerCoupons": 1,
                "refereeDefinitionId": forReferee, "refereeCoupons": 1,
            ])
            XCTAssertEqual(rule.status, 200, rule.text)

            let consultant = try await suite.login("consultant.1")
            let (referrer, visitor) = ("13722220001", "13722220002")
            let traffic = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "许文", "mobile": visitor, "arrival": "showroom", "arrivedAt": "2026-11-29T02:30:00Z", "category": "showroom",
                "source": "referral", "nature": "first_visit", "referrerMobile": referrer,
            ])
            XCTAssertEqual(traffic.status, 201, traffic.text)
            let earned = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("""
                    SELECT count(*)::int8 FROM coupons.coupon
                    WHERE (mobile = '\(referrer)' AND definition_id = '\(forReferrer)') OR (mobile = '\(visitor)' AND definition_id = '\(forReferee)')
                    """) == 2
            }
            XCTAssertTrue(earned, "both customers got their coupon from the arrival event")
            let visitorCoupons = try await suite.request(.GET, "/api/v1/coupons/issued?mobile=\(visitor)", token: finance)
            XCTAssertEqual(visitorCoupons.items.first?["customerName"] as? String, "许文")

            // The prospect is in Coupons' read model: a conditional push on its source finds it.
            let known = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM coupons.customer_prospect WHERE mobile = '\(visitor)' AND source = 'referral'") == 1
            }
            XCTAssertTrue(known)
            let task = try await suite.request(.POST, "/api/v1/coupons/tasks", token: finance, json: [
                "kind": "conditional", "definitionId": forReferee, "mode": "push", "conditions": ["prospect": ["sources": ["referral"]]],
            ])
            XCTAssertEqual(task.status, 201, task.text)
            let preview = try await suite.request(.GET, "/api/v1/coupons/tasks/\(task.json["id"]!)/preview", token: finance)
            XCTAssertTrue((preview.json["first"] as? [[String: Any]] ?? []).contains { $0["mobile"] as? String == visitor }, preview.text)
            let badCondition = try await suite.request(.POST, "/api/v1/coupons/tasks", token: finance, json: [
                "kind": "conditional", "definitionId": forReferee, "mode": "push", "conditions": ["prospect": ["levels": ["Z"]]],
            ])
            XCTAssertEqual(badCondition.status, 422)
            XCTAssertEqual(badCondition.problemFields, ["conditions.prospect.levels"])
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    // MARK: Imported lists

    func testAnImportedListReportsEveryBadRowTheDryRunWritesNothingAndThePushIssuesToTheListed() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let definition = try await define(finance, quantity: 100, limit: 2)
            let definitionID = definition["id"] as! String
            let created = try await finance.request(.POST, "/api/v1/coupons/tasks", json: [
                "kind": "imported", "name": "老客户回馈", "definitionId": definitionID, "mode": "push", "perPerson": 2,
            ])
            XCTAssertEqual(created.status, 201, created.text)
            XCTAssertTrue((created.json["number"] as? String)?.hasPrefix("DB") == true, created.text)
            let taskID = created.json["id"] as! String
            let csv = """
                手机号码,客户姓名
                13871150099,王磊
                1387115,坏号码
                +86 138-7115-0098,李娜
                13871150099,王磊重复
                ,没有手机
                """
            let dryRun = try await finance.request(
                .PUT, "/api/v1/coupons/tasks/\(taskID)/recipients?dryRun=true", bytes: Data(csv.utf8), contentType: "text/csv")
            XCTAssertEqual(dryRun.status, 200, dryRun.text)
            XCTAssertEqual(dryRun.json["listed"] as? Int, 2)
            XCTAssertEqual(dryRun.json["duplicates"] as? Int, 1)
            XCTAssertEqual(dryRun.json["rejected"] as? Int, 2)
            let results = dryRun.json["results"] as? [[String: Any]] ?? []
            XCTAssertEqual(results.map { $0["outcome"] as? String }, ["listed", "rejected", "listed", "duplicate", "rejected"])
            XCTAssertEqual(results.map { $0["row"] as? Int }, [2, 3, 4, 5, 6])
            XCTAssertEqual((results[1]["errors"] as? [[String: Any]])?.first?["field"] as? String, "手机号码")
            XCTAssertEqual(results[2]["mobile"] as? String, "13871150098")
            let written = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.issue_task_recipient WHERE task_id = '\(taskID)'")
            XCTAssertEqual(written, 0, "a dry run writes nothing")

            let uploaded = try await finance.request(.PUT, "/api/v1/coupons/tasks/\(taskID)/recipients", bytes: Data(csv.utf8), contentType: "text/csv")
            XCTAssertEqual(uploaded.json["listed"] as? Int, 2, uploaded.text)
            let published = try await finance.request(.POST, "/api/v1/coupons/tasks/\(taskID)/publish", json: [:])
            XCTAssertEqual(published.status, 200, published.text)
            let task = published.json["task"] as? [String: Any] ?? [:]
            XCTAssertEqual(task["state"] as? String, "issued")
            XCTAssertEqual(task["customersIssued"] as? Int, 2)
            XCTAssertEqual(task["couponsIssued"] as? Int, 4)
            let coupons = try await setup.database.scalar("SELECT count(*)::int8 FROM coupons.coupon WHERE task_id = '\(taskID)'")
            XCTAssertEqual(coupons, 4)
            let names = try await finance.request(.GET, "/api/v1/coupons/issued?taskId=\(taskID)&mobile=13871150099")
            XCTAssertEqual(Set(names.items.compactMap { $0["customerName"] as? String }), ["王磊"])
            // Published: the list no longer changes.
            let late = try await finance.request(.PUT, "/api/v1/coupons/tasks/\(taskID)/recipients", bytes: Data(csv.utf8), contentType: "text/csv")
            XCTAssertEqual(late.status, 409)
            let export = try await finance.request(.GET, "/api/v1/coupons/issued/export?format=csv&taskId=\(taskID)")
            XCTAssertEqual(export.status, 200)
            XCTAssertTrue(export.text.contains("现金券") && export.text.contains("未使用") && export.text.contains("优惠券一店"), export.text)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Validity on the store's clock

    func testACouponValidUntilNewYearsEveRedeemsAt235959AndNotAtMidnightInShanghaiAndBerlin() async throws {
        // 12:00 on 31 December in Shanghai.
        let clock = try TestClockFile("2026-12-31T04:00:00Z")
        defer { clock.remove() }
        let setup = try await start(clock: clock, secondTimeZone: "Europe/Berlin")
        do {
            let validity: [String: Any] = ["validity": "fixed", "validFrom": "2026-12-01", "validUntil": "2026-12-31"]
            for (store, lastSecond) in [(setup.store1, "2026-12-31T15:59:59Z"), (setup.store2, "2026-12-31T22:59:59Z")] {
                try clock.set(RFC3339.date(from: "2026-12-31T04:00:00Z")!)
                let finance = try await setup.caller("finance", Self.finance, store: store)
                let cashier = try await setup.caller("cashier", Self.cashier, store: store, on: setup.second)
                let definition = try await define(finance, quantity: 10, validity: validity)
                let definitionID = definition["id"] as! String
                let early = try await pushOne(finance, definition: definitionID, mobile: "13711110001")
                let late = try await pushOne(finance, definition: definitionID, mobile: "13711110002")
                let coupon = try await finance.request(.GET, "/api/v1/coupons/issued/\(early)")
                XCTAssertEqual(coupon.json["lastDay"] as? String, "2026-12-31")

                try clock.set(RFC3339.date(from: lastSecond)!)
                let atLastSecond = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(early))
                XCTAssertEqual(atLastSecond.status, 200, "23:59:59 on the last day, store time: \(atLastSecond.text)")
                try clock.set(RFC3339.date(from: lastSecond)!.addingTimeInterval(1))
                let atMidnight = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(late))
                XCTAssertEqual(atMidnight.status, 409, "00:00:00 the next day, store time: \(atMidnight.text)")
                XCTAssertTrue(atMidnight.text.contains("已过期"), atMidnight.text)
                let expired = try await finance.request(.GET, "/api/v1/coupons/issued/\(late)")
                XCTAssertEqual(expired.json["state"] as? String, "expired")
                // The order of the early coupon is cancelled after its last day: it comes back expired.
                let undone = try await cashier.request(.POST, "/api/v1/coupons/redemptions/undo", json: ["code": early, "orderNumber": "RO2612310001"])
                XCTAssertEqual(undone.status, 200, undone.text)
                XCTAssertEqual(undone.json["state"] as? String, "expired")
                let counts = try await finance.request(.GET, "/api/v1/coupons/definitions/\(definitionID)").json["counts"] as? [String: Any]
                XCTAssertEqual(counts?["expired"] as? Int, 2)
                XCTAssertEqual(counts?["unused"] as? Int, 0)
            }
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Revocation

    func testRevocationWaitsForHQWhileTheGroupSwitchIsOnAndBlocksRedemption() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let cashier = try await setup.caller("cashier", Self.cashier, on: setup.second)
            let hq = try await setup.caller("hq", [.readCoupons, .approveCouponRevocations, .configureCoupons], scope: .group)
            let storeOnly = try await setup.caller("finance", Self.finance)
            let refused = try await storeOnly.request(.PUT, "/api/v1/coupons/group-settings", json: ["revocationApproval": true])
            XCTAssertEqual(refused.status, 403, "the group's switch takes the group scope")
            let on = try await hq.request(.PUT, "/api/v1/coupons/group-settings", json: ["revocationApproval": true])
            XCTAssertEqual(on.status, 200, on.text)

            let definition = try await define(finance, quantity: 10)
            let definitionID = definition["id"] as! String
            var coupons: [[String: Any]] = []
            for mobile in ["13700000001", "13700000002"] {
                let code = try await pushOne(finance, definition: definitionID, mobile: mobile)
                coupons.append(try await finance.request(.GET, "/api/v1/coupons/issued/\(code)").json)
            }
            let wrongMobile = try await finance.request(.POST, "/api/v1/coupons/revocations", json: [
                "couponId": coupons[0]["id"]!, "mobile": "13700000002", "explanation": "客户不需要",
            ])
            XCTAssertEqual(wrongMobile.status, 422)
            XCTAssertEqual(wrongMobile.problemFields, ["mobile"])

            var revocations: [String] = []
            for coupon in coupons {
                let requested = try await finance.request(.POST, "/api/v1/coupons/revocations", json: [
                    "couponId": coupon["id"]!, "mobile": coupon["mobile"]!, "explanation": "发放错误，客户说明不需要",
                ])
                XCTAssertEqual(requested.status, 201, requested.text)
                XCTAssertEqual(requested.json["state"] as? String, "pending")
                revocations.append(requested.json["id"] as! String)
                let blocked = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(coupon["code"] as! String))
                XCTAssertEqual(blocked.status, 409, blocked.text)
                XCTAssertTrue(blocked.text.contains("删除待审核"), blocked.text)
            }
            let pending = try await hq.request(.GET, "/api/v1/coupons/revocations?state=pending")
            XCTAssertEqual(Set(pending.items.compactMap { $0["id"] as? String }), Set(revocations))
            let storeApprover = try await setup.caller("gm", [.readCoupons, .approveCouponRevocations])
            let notHQ = try await storeApprover.request(.POST, "/api/v1/coupons/revocations/\(revocations[0])/approve", json: [:])
            XCTAssertEqual(notHQ.status, 403, "revocations are HQ's to decide: \(notHQ.text)")

            let approved = try await hq.request(.POST, "/api/v1/coupons/revocations/\(revocations[0])/approve", json: [:])
            XCTAssertEqual(approved.status, 200, approved.text)
            XCTAssertEqual(approved.json["state"] as? String, "approved")
            let revoked = try await finance.request(.GET, "/api/v1/coupons/issued/\(coupons[0]["code"] as! String)")
            XCTAssertEqual(revoked.json["state"] as? String, "revoked")
            let noReason = try await hq.request(.POST, "/api/v1/coupons/revocations/\(revocations[1])/reject", json: [:])
            XCTAssertEqual(noReason.status, 422)
            let rejected = try await hq.request(.POST, "/api/v1/coupons/revocations/\(revocations[1])/reject", json: ["note": "客户已到店使用"])
            XCTAssertEqual(rejected.status, 200, rejected.text)
            let unused = try await finance.request(.GET, "/api/v1/coupons/issued/\(coupons[1]["code"] as! String)")
            XCTAssertEqual(unused.json["state"] as? String, "unused")
            let redeemed = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(coupons[1]["code"] as! String))
            XCTAssertEqual(redeemed.status, 200, redeemed.text)
            let revokedRedemption = try await cashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(coupons[0]["code"] as! String))
            XCTAssertEqual(revokedRedemption.status, 409)

            // The revoked coupon stays issued: it does not return to the available count.
            let counts = try await finance.request(.GET, "/api/v1/coupons/definitions/\(definitionID)").json["counts"] as? [String: Any]
            XCTAssertEqual(counts?["issued"] as? Int, 2)
            XCTAssertEqual(counts?["available"] as? Int, 8)
            XCTAssertEqual(counts?["revoked"] as? Int, 1)
            let revokedEvents = try await setup.database.scalar("""
                SELECT count(*)::int8 FROM coupons.outbox_event WHERE event_type = 'coupons.coupon.revoked.v1' AND envelope->'data'->>'definitionId' = '\(definitionID)'
                """)
            XCTAssertEqual(revokedEvents, 1)

            // With the switch off, a revocation takes effect at once.
            _ = try await hq.request(.PUT, "/api/v1/coupons/group-settings", json: ["revocationApproval": false])
            let third = try await pushOne(finance, definition: definitionID, mobile: "13700000003")
            let thirdCoupon = try await finance.request(.GET, "/api/v1/coupons/issued/\(third)").json
            let atOnce = try await finance.request(.POST, "/api/v1/coupons/revocations", json: [
                "couponId": thirdCoupon["id"]!, "mobile": "13700000003", "explanation": "客户退回",
            ])
            XCTAssertEqual(atOnce.status, 201, atOnce.text)
            XCTAssertEqual(atOnce.json["state"] as? String, "approved", atOnce.text)
            let usedOrRevoked = try await finance.request(.POST, "/api/v1/coupons/revocations", json: [
                "couponId": thirdCoupon["id"]!, "mobile": "13700000003", "explanation": "再删一次",
            ])
            XCTAssertEqual(usedOrRevoked.status, 409, "only an unused coupon can be revoked")
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }

    // MARK: Scope

    func testAnotherStoreCannotSeeOrRedeemAStoreOnlyCouponButRedeemsAGroupWideOne() async throws {
        let setup = try await start()
        do {
            let finance = try await setup.caller("finance", Self.finance)
            let storeOnly = try await define(finance, quantity: 5, usableIn: "store")
            let groupWide = try await define(finance, quantity: 5, usableIn: "group")
            let localCode = try await pushOne(finance, definition: storeOnly["id"] as! String, mobile: "13655550001")
            let sharedCode = try await pushOne(finance, definition: groupWide["id"] as! String, mobile: "13655550001")
            let otherCashier = try await setup.caller("cashier", Self.cashier, store: setup.store2, on: setup.second)

            let hidden = try await otherCashier.request(.GET, "/api/v1/coupons/issued/\(localCode)")
            XCTAssertEqual(hidden.status, 404)
            let list = try await otherCashier.request(.GET, "/api/v1/coupons/issued?mobile=13655550001")
            XCTAssertEqual(list.items.compactMap { $0["code"] as? String }, [sharedCode])
            let refused = try await otherCashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(localCode))
            XCTAssertEqual(refused.status, 404, refused.text)
            // Even a group-wide role sees the coupon but cannot use it outside its store.
            let groupCashier = try await setup.caller("admin", Self.cashier, store: setup.store2, scope: .group)
            let groupRefused = try await groupCashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(localCode))
            XCTAssertEqual(groupRefused.status, 409, groupRefused.text)
            XCTAssertTrue(groupRefused.text.contains("优惠券一店"), groupRefused.text)
            let stillUnused = try await finance.request(.GET, "/api/v1/coupons/issued/\(localCode)")
            XCTAssertEqual(stillUnused.json["state"] as? String, "unused")
            let shared = try await otherCashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(sharedCode))
            XCTAssertEqual(shared.status, 200, shared.text)
            XCTAssertEqual((shared.json["usedStoreId"] as? String)?.lowercased(), setup.store2.uuidString.lowercased())
            let ownCashier = try await setup.caller("cashier", Self.cashier)
            let local = try await ownCashier.request(.POST, "/api/v1/coupons/redemptions", json: Self.redemption(localCode))
            XCTAssertEqual(local.status, 200, local.text)
            // Store 2 cannot read store 1's definitions either.
            let otherFinance = try await setup.caller("finance", Self.finance, store: setup.store2)
            let definition = try await otherFinance.request(.GET, "/api/v1/coupons/definitions/\(storeOnly["id"] as! String)")
            XCTAssertEqual(definition.status, 404)
        } catch {
            XCTFail("\(error)\n\(setup.logs)")
        }
        await setup.stop()
    }
}

/// Codes as staff type them, grouped in fours (`5191 5250 4840 2813`).
enum CouponCodeText {
    static func grouped(_ code: String) -> String {
        stride(from: 0, to: code.count, by: 4).map { start in
            let from = code.index(code.startIndex, offsetBy: start)
            return String(code[from..<code.index(from, offsetBy: min(4, code.count - start))])
        }.joined(separator: " ")
    }
}
