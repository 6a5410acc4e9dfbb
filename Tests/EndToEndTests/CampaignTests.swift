import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Solicitation campaigns (售后招揽, SPEC AS4; seed §5.1, §5.2, §8.3) on the real PostgreSQL and
/// RabbitMQ, crm-aftersales as processes on a moved clock, each test in a store of its own
/// (Asia/Shanghai, the directory's default until a store is announced):
///
/// - published at 23:59 store time a campaign has no tasks; at 00:00 it has exactly the
///   matching cars' tasks, once, with two crm-aftersales processes running;
/// - a repair order inside the period — from the ERP (the event delivered twice, and the same
///   order sent again) and opened by an SA — is a success, once; one before go-live or after
///   the end is nothing; the end fails the rest; a defeat needs a reason of the dictionary;
///   a follow-up's next day is the class's interval;
/// - on 10,000 seeded cars the preview count, the tasks created and a hand-written SQL count
///   agree for six condition sets.
final class CampaignTests: XCTestCase {
    /// The test's tag, in its VINs and brands.
    let tag = String(format: "%06d", Int.random(in: 0...999_999))

    // MARK: Go-live, returns, defeat, end

    func testGoesLiveAtMidnightOnceWithTwoReplicasAndSucceedsOnceWhenTheCarComesBack() async throws {
        let storeCode = "HC\(tag)"
        let store = StoreID.forStoreCode(storeCode)
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        // 23:59 on 9 December in Shanghai.
        let clock = try TestClockFile("2026-12-09T15:59:00Z")
        defer { clock.remove() }
        let settings = clock.environment.merging(["CRM_SCHEDULER_INTERVAL_MS": "100"]) { $1 }
        let first = try ServiceProcess(.afterSales), second = try ServiceProcess(.afterSales)
        try first.start(overrides: settings)
        try second.start(overrides: settings)
        defer { first.signal(SIGKILL); second.signal(SIGKILL) }
        do {
            try await first.waitUntilReady()
            try await second.waitUntilReady()
            try await goLiveAndReturns(store: store, storeCode: storeCode, clock: clock, database: database, processes: [first, second])
        } catch {
            XCTFail("\(error)\nlog:\n\(first.log.suffix(3000))\n\(second.log.suffix(3000))")
        }
        await first.stop()
        await second.stop()
    }

    private func goLiveAndReturns(
        store: UUID, storeCode: String, clock: TestClockFile, database: AdminDatabase, processes: [ServiceProcess]
    ) async throws {
        // The store as the gateway would announce it, so that an SA can open repair orders.
        _ = try await database.scalar("""
            INSERT INTO aftersales.directory_store (id, group_id, code, name, time_zone, version)
            VALUES ('\(store)', gen_random_uuid(), '\(storeCode)', '招揽测试店', 'Asia/Shanghai', 1) RETURNING 1
            """)
        // The store's two service advisors, as the gateway would announce them.
        let (wang, he) = (UUID(), UUID())
        _ = try await database.scalar("""
            INSERT INTO aftersales.directory_user (id, username, display_name, team_id, store_ids, role, active, version)
            VALUES ('\(wang)', 'sa.wang.\(tag)', '王建国\(tag)', NULL, ARRAY['\(store)'::uuid], 'sa', true, 1),
                   ('\(he)', 'sa.he.\(tag)', '何斌\(tag)', NULL, ARRAY['\(store)'::uuid], 'sa', true, 1)
            RETURNING 1
            """)
        let director = try await DirectCaller.make(
            processes[0], store: store, role: "as.director",
            permissions: [.readVehicles, .writeVehicles, .readRepairOrders, .writeRepairOrders, .readCampaigns, .manageCampaigns, .followUpCampaigns])
        let other = try await DirectCaller.make(processes[1], store: store, role: "as.director", permissions: [.readCampaigns])
        // 25 cars of the campaign's brand, 15 of another.
        let brand = "招揽\(tag)", otherBrand = "其他\(tag)"
        var vins: [String] = []
        for index in 0..<40 {
            let vin = AfterSalesRecordsTests.vin()
            let reply = try await director.request(.POST, "/api/v1/after-sales/vehicles", json: [
                "vin": vin, "plate": "鄂A\(String(format: "%05d", index))", "brand": index < 25 ? brand : otherBrand, "series": "君越", "model": "2026款",
                "serviceAdvisor": index < 10 ? "王建国\(tag)" : "",
                "owner": ["name": "车主\(index)", "mobile": "139" + String(format: "%08d", index)],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            if index < 25 { vins.append(vin) }
        }

        // A draft, previewed, published at 23:59.
        let created = try await director.request(.POST, "/api/v1/after-sales/campaigns", json: [
            "kind": "regular_maintenance", "name": "冬季定保招揽", "startsOn": "2026-12-01", "endsOn": "2026-12-20",
            "contactMethods": ["phone", "sms"], "conditions": ["brands": [brand]],
        ])
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(created.json["id"] as? String)
        let preview = try await director.request(.GET, "/api/v1/after-sales/campaigns/\(id)/preview?pageSize=5")
        XCTAssertEqual(preview.json["total"] as? Int, 25, preview.text)
        XCTAssertEqual(preview.items.count, 5)
        // A second campaign of the same cars, its tasks spread evenly over the store's SAs.
        let evenly = try await director.request(.POST, "/api/v1/after-sales/campaigns", json: [
            "kind": "first_maintenance", "name": "首保招揽", "startsOn": "2026-12-01", "endsOn": "2026-12-31",
            "contactMethods": ["phone"], "conditions": ["brands": [brand]], "assignment": "evenly",
        ])
        XCTAssertEqual(evenly.status, 201, evenly.text)
        let evenlyID = try XCTUnwrap(evenly.json["id"] as? String)
        let publishedEvenly = try await director.request(.POST, "/api/v1/after-sales/campaigns/\(evenlyID)/publish")
        XCTAssertEqual(publishedEvenly.status, 200, publishedEvenly.text)
        let published = try await director.request(.POST, "/api/v1/after-sales/campaigns/\(id)/publish")
        XCTAssertEqual(published.status, 200, published.text)
        XCTAssertEqual(published.json["state"] as? String, "published")
        XCTAssertEqual(published.json["goesLiveAt"] as? String, "2026-12-09T16:00:00Z", "00:00 of the next day in Shanghai")
        XCTAssertEqual(published.json["endsAt"] as? String, "2026-12-20T16:00:00Z", "the end of the last day")
        let edit = try await director.request(.DELETE, "/api/v1/after-sales/campaigns/\(id)")
        XCTAssertEqual(edit.status, 409, "a published campaign is not deleted: \(edit.text)")

        func tasks(_ condition: String = "true") async throws -> Int {
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(id)' AND \(condition)")
        }
        /// Asserts that `expected` of the campaign's tasks meet `condition`.
        func expectTasks(_ condition: String, _ expected: Int, _ message: String, line: UInt = #line) async throws {
            let count = try await tasks(condition)
            XCTAssertEqual(count, expected, message, line: line)
        }
        // Both schedulers pass many times before midnight: nothing.
        try await Task.sleep(for: .seconds(2))
        try await expectTasks("true", 0, "no tasks at 23:59")
        let before = try await other.request(.GET, "/api/v1/after-sales/campaigns/\(id)")
        XCTAssertEqual(before.json["state"] as? String, "published")

        // 00:00: the tasks, once, whichever replica got there first.
        try clock.set(RFC3339.date(from: "2026-12-09T16:00:00Z")!)
        let live = try await eventually(timeout: .seconds(20)) {
            try await other.request(.GET, "/api/v1/after-sales/campaigns/\(id)").json["state"] as? String == "live"
        }
        XCTAssertTrue(live, "the campaign goes live at 00:00")
        try await Task.sleep(for: .seconds(1))
        try await expectTasks("true", 25, "one task per matching car")
        let cars = try await database.scalar("SELECT count(DISTINCT vehicle_id)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(id)'")
        XCTAssertEqual(cars, 25, "one task per car")
        try await expectTasks("vin = ANY(ARRAY['\(vins.joined(separator: "','"))'])", 25, "the tasks are the campaign brand's cars")
        // By default a task goes to the car's current SA, when that SA is a user of the store.
        try await expectTasks("service_advisor_id = '\(wang)' AND service_advisor_name = '王建国\(tag)'", 10, "the cars whose SA is 王建国")
        try await expectTasks("service_advisor_id IS NULL", 15, "cars without an SA wait to be assigned")
        // Spread evenly: 13 and 12.
        let spread = try await eventually(timeout: .seconds(20)) {
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(evenlyID)'") == 25
        }
        XCTAssertTrue(spread, "the second campaign goes live too")
        let shares = [
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(evenlyID)' AND service_advisor_id = '\(wang)'"),
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(evenlyID)' AND service_advisor_id = '\(he)'"),
        ]
        XCTAssertEqual(shares.sorted(), [12, 13], "evenly over the two SAs")
        let taskList = try await director.request(.GET, "/api/v1/after-sales/campaign-tasks?campaignId=\(id)&pageSize=100")
        XCTAssertEqual(taskList.json["total"] as? Int, 25, taskList.text)
        let taskOf = Dictionary(uniqueKeysWithValues: taskList.items.map { ($0["vin"] as? String ?? "", $0["id"] as? String ?? "") })
        guard taskOf.count == 25 else { return XCTFail("the task list shows every task: \(taskList.text)") }

        // Returns: the ERP's opening, delivered twice and sent again as another event.
        func opening(_ vin: String, roNo: String, at time: String) -> CloudEvent<ERPRepairOrderOpened> {
            CloudEvent(source: "/erp/\(storeCode)", subject: roNo, data: ERPRepairOrderOpened(
                storeCode: storeCode, roNo: roNo, vin: vin, plate: "鄂A00000", customer: Person(name: "车主", mobile: "13900000000"),
                sender: Person(name: "送修人", mobile: "13900000001"), businessType: .paidMaintenance, serviceAdvisor: "王建国",
                mileageKm: 20_000, openedAt: RFC3339.date(from: time)!))
        }
        let back = opening(vins[0], roNo: "RO-\(tag)-1", at: "2026-12-10T02:00:00Z")
        let early = opening(vins[1], roNo: "RO-\(tag)-0", at: "2026-12-09T10:00:00Z")
        try await BrokerQueues.publish([back, back, opening(vins[0], roNo: "RO-\(tag)-1", at: "2026-12-10T02:00:00Z"), early])
        let succeeded = try await eventually(timeout: .seconds(20)) { try await tasks("state = 'succeeded'") == 1 }
        XCTAssertTrue(succeeded, "the ERP's repair order inside the period is a success")
        // An SA opens a repair order for another car, and a second one for the first car.
        let opened = try await director.request(.POST, "/api/v1/after-sales/repair-orders", json: [
            "vin": vins[2], "customer": ["name": "车主2", "mobile": "13900000002"], "businessType": "generalRepair", "mileageKm": 30_000,
        ])
        XCTAssertEqual(opened.status, 201, opened.text)
        let again = try await director.request(.POST, "/api/v1/after-sales/repair-orders", json: [
            "vin": vins[0], "customer": ["name": "车主0", "mobile": "13900000003"], "businessType": "generalRepair", "mileageKm": 21_000,
        ])
        XCTAssertEqual(again.status, 201, again.text)
        try await Task.sleep(for: .seconds(1))
        try await expectTasks("state = 'succeeded'", 2, "two cars came back, each once")
        try await expectTasks("vin = '\(vins[0])' AND returned_ro_no = 'RO-\(tag)-1'", 1, "the first return stands")
        try await expectTasks("vin = '\(vins[1])' AND state = 'open'", 1, "an order before go-live is not a return")
        let detail = try await director.request(.GET, "/api/v1/after-sales/campaign-tasks/\(taskOf[vins[2]]!)")
        XCTAssertEqual((detail.json["task"] as? [String: Any])?["state"] as? String, "succeeded", detail.text)
        XCTAssertEqual((detail.json["task"] as? [String: Any])?["returnedRoNo"] as? String, opened.json["roNo"] as? String)

        // A follow-up: next one after the class's interval (potential: 10 days) by default.
        let followUp = try await director.request(.POST, "/api/v1/after-sales/campaign-tasks/\(taskOf[vins[3]]!)/follow-ups", json: [
            "method": "phone", "content": "邀请进店保养", "result": "considering",
        ])
        XCTAssertEqual(followUp.status, 201, followUp.text)
        XCTAssertEqual((followUp.json["task"] as? [String: Any])?["nextFollowUpOn"] as? String, "2026-12-20", followUp.text)
        XCTAssertEqual((followUp.json["task"] as? [String: Any])?["customerClass"] as? String, "potential")
        // A defeat needs a reason of the store's dictionary.
        let noReason = try await director.request(.POST, "/api/v1/after-sales/campaign-tasks/\(taskOf[vins[4]]!)/defeat", json: ["reason": "太贵了吧"])
        XCTAssertEqual(noReason.status, 422, noReason.text)
        XCTAssertEqual(noReason.problemFields, ["reason"])
        XCTAssertTrue(noReason.text.contains("price (4S店价格贵)"), "the allowed reasons with their labels: \(noReason.text)")
        let defeated = try await director.request(.POST, "/api/v1/after-sales/campaign-tasks/\(taskOf[vins[4]]!)/defeat", json: ["reason": "price", "note": "嫌贵"])
        XCTAssertEqual(defeated.status, 200, defeated.text)
        XCTAssertEqual((defeated.json["task"] as? [String: Any])?["state"] as? String, "defeated")

        // The end: 00:00 on 21 December. The rest did not come back; a later order is nothing.
        try clock.set(RFC3339.date(from: "2026-12-20T16:00:00Z")!)
        let ended = try await eventually(timeout: .seconds(20)) {
            try await other.request(.GET, "/api/v1/after-sales/campaigns/\(id)").json["state"] as? String == "ended"
        }
        XCTAssertTrue(ended, "the campaign ends after its last day")
        try await BrokerQueues.publish([opening(vins[5], roNo: "RO-\(tag)-5", at: "2026-12-20T17:00:00Z")])
        let late = try await eventually(timeout: .seconds(20)) {
            try await database.scalar("SELECT count(*)::int8 FROM aftersales.repair_order WHERE ro_no = 'RO-\(tag)-5'") == 1
        }
        XCTAssertTrue(late)
        try await expectTasks("vin = '\(vins[5])' AND state = 'failed'", 1, "an order after the end is not a return")
        let statistics = try await director.request(.GET, "/api/v1/after-sales/campaigns/\(id)/statistics")
        XCTAssertEqual(statistics.json["targeted"] as? Int, 25, statistics.text)
        XCTAssertEqual(statistics.json["back"] as? Int, 2)
        XCTAssertEqual(statistics.json["defeated"] as? Int, 1)
        XCTAssertEqual(statistics.json["failed"] as? Int, 22)
        XCTAssertEqual(statistics.json["open"] as? Int, 0)
        XCTAssertEqual(statistics.json["contacted"] as? Int, 1)
        XCTAssertEqual(statistics.json["successRate"] as? Double, 0.08)
        // The task export speaks the store's words.
        let export = try await director.request(.GET, "/api/v1/after-sales/campaign-tasks/export?format=csv&campaignId=\(id)")
        XCTAssertEqual(export.status, 200, export.text)
        let lines = export.text.split(whereSeparator: \.isNewline)
        XCTAssertEqual(lines.count, 26, "a header and 25 tasks")
        XCTAssertTrue(lines.contains { $0.contains(vins[4]) && $0.contains("战败") && $0.contains("4S店价格贵") && $0.contains("潜在客户") }, export.text)
        XCTAssertTrue(lines.contains { $0.contains(vins[0]) && $0.contains("招揽成功") && $0.contains("RO-\(tag)-1") }, export.text)
        XCTAssertTrue(lines.contains { $0.contains(vins[5]) && $0.contains("到期未回厂") }, export.text)
    }

    // MARK: Roles

    /// Through the gateway with the demo users: only the after-sales director writes campaigns;
    /// an SA follows up the tasks given to them, not another SA's; the director any.
    func testTheDirectorManagesCampaignsAndAnSAFollowsUpOnlyTheirOwnTasks() async throws {
        let suite = try await Suite.start()
        do {
            let sa1 = try await suite.login("sa.1"), sa3 = try await suite.login("sa.3"), director = try await suite.login("as.director.1")
            let draft: [String: Any] = [
                "kind": "warranty", "name": "质保招揽", "startsOn": "2026-12-01", "endsOn": "2099-12-31", "contactMethods": ["phone"],
            ]
            let refused = try await suite.request(.POST, "/api/v1/after-sales/campaigns", token: sa1, json: draft)
            XCTAssertEqual(refused.status, 403, "an SA does not write campaigns: \(refused.text)")
            let created = try await suite.request(.POST, "/api/v1/after-sales/campaigns", token: director, json: draft)
            XCTAssertEqual(created.status, 201, created.text)
            // Two cars of store 1 in a live campaign, one task given to each SA (as the director would).
            let store = StoreID.forStoreCode("HX000001").uuidString.lowercased()
            var tasks: [String] = []
            for name in ["王", "何"] {
                let vin = AfterSalesRecordsTests.vin()
                let car = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: director, json: [
                    "vin": vin, "plate": "鄂A\(tag.prefix(5))", "brand": "别克", "series": "君越", "model": "2026款",
                    "owner": ["name": "车主\(name)", "mobile": "136" + String(format: "%08d", Int.random(in: 0...99_999_999))],
                ])
                XCTAssertEqual(car.status, 201, car.text)
                let task = UUID().uuidString.lowercased()
                _ = try await suite.database.scalar("""
                    WITH c AS (
                        INSERT INTO aftersales.campaign (id, store_id, kind, name, starts_on, ends_on, contact_methods, target_mode,
                            assignment, state, published_at, goes_live_at, ends_at, went_live_at, created_by)
                        VALUES (gen_random_uuid(), '\(store)', 'warranty', '质保招揽（进行中）', '2026-01-01', '2099-12-31', '{phone}',
                            'conditions', 'current_sa', 'live', now(), now(), '2100-01-01', now(), gen_random_uuid())
                        RETURNING id)
                    INSERT INTO aftersales.campaign_task (id, campaign_id, store_id, vehicle_id, vin, customer_class, state, next_follow_up_on)
                    SELECT '\(task)', c.id, '\(store)', '\(car.json["id"] as? String ?? "")', '\(vin)', 'potential', 'open', current_date
                    FROM c RETURNING 1
                    """)
                tasks.append(task)
            }
            for (task, user) in zip(tasks, ["sa.1", "sa.3"]) {
                let assigned = try await suite.request(.POST, "/api/v1/after-sales/campaign-tasks/assign", token: director, json: [
                    "taskIds": [task], "serviceAdvisorId": try await suite.userID(user),
                ])
                XCTAssertEqual(assigned.status, 200, assigned.text)
            }
            let followUp: [String: Any] = ["method": "phone", "content": "提醒质保到期", "result": "interested"]
            let own = try await suite.request(.POST, "/api/v1/after-sales/campaign-tasks/\(tasks[0])/follow-ups", token: sa1, json: followUp)
            XCTAssertEqual(own.status, 201, own.text)
            let others = try await suite.request(.POST, "/api/v1/after-sales/campaign-tasks/\(tasks[1])/follow-ups", token: sa1, json: followUp)
            XCTAssertEqual(others.status, 403, "sa.1 does not follow up sa.3's task: \(others.text)")
            XCTAssertTrue(others.text.contains("何斌"), "the refusal names the task's SA: \(others.text)")
            let byDirector = try await suite.request(.POST, "/api/v1/after-sales/campaign-tasks/\(tasks[1])/defeat", token: director, json: ["reason": "car_sold"])
            XCTAssertEqual(byDirector.status, 200, byDirector.text)
            let mine = try await suite.request(.GET, "/api/v1/after-sales/campaign-tasks?mine=true&pageSize=200", token: sa3)
            XCTAssertTrue(mine.items.contains { ($0["id"] as? String)?.lowercased() == tasks[1] }, mine.text)
            XCTAssertFalse(mine.items.contains { ($0["id"] as? String)?.lowercased() == tasks[0] }, "only sa.3's own tasks")
        } catch {
            XCTFail("\(String(reflecting: error))\n\(suite.logs)")
        }
        await suite.stop()
    }

    // MARK: An imported list

    /// A list campaign's cars come from a file of VINs and plates (导入): a dry run reports and
    /// changes nothing; the import lists the store's cars, rejects unknown VINs and plates and
    /// plates of two cars, and counts a car named twice once; the preview shows the list.
    func testAListOfVINsAndPlatesBecomesTheCampaignsCars() async throws {
        let store = StoreID.forStoreCode("HL\(tag)")
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start()
        defer { afterSales.signal(SIGKILL) }
        do {
            try await afterSales.waitUntilReady()
            let director = try await DirectCaller.make(
                afterSales, store: store, role: "as.director", permissions: [.readVehicles, .writeVehicles, .readCampaigns, .manageCampaigns])
            var vins: [String] = []
            for (index, plate) in ["鄂A1\(tag.prefix(4))", "鄂A2\(tag.prefix(4))", "鄂B3\(tag.prefix(4))", "鄂B3\(tag.prefix(4))"].enumerated() {
                let vin = AfterSalesRecordsTests.vin()
                vins.append(vin)
                let reply = try await director.request(.POST, "/api/v1/after-sales/vehicles", json: [
                    "vin": vin, "plate": plate, "brand": "别克", "series": "君越", "model": "2026款",
                    "owner": ["name": "车主\(index)", "mobile": "137" + String(format: "%08d", index)],
                ])
                XCTAssertEqual(reply.status, 201, reply.text)
            }
            let created = try await director.request(.POST, "/api/v1/after-sales/campaigns", json: [
                "kind": "lost_customers", "name": "名单招揽", "startsOn": "2026-12-01", "endsOn": "2099-12-31", "contactMethods": ["phone"],
                "targets": "list",
            ])
            XCTAssertEqual(created.status, 201, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)
            let unpublishable = try await director.request(.POST, "/api/v1/after-sales/campaigns/\(id)/publish")
            XCTAssertEqual(unpublishable.status, 422, unpublishable.text)
            XCTAssertEqual(unpublishable.problemFields, ["targets"], "an empty list is not published")
            // Rows: a VIN (lower case), a plate with a space, the first car again by its plate,
            // an unknown VIN, the plate of two cars, a row with neither.
            let file = """
                车架号,车牌号
                \(vins[0].lowercased()),
                ,鄂A 2\(tag.prefix(4))
                ,鄂A1\(tag.prefix(4))
                WDD00000000000000,
                ,鄂B3\(tag.prefix(4))
                ,
                ,x
                """
            let dryRun = try await director.request(.PUT, "/api/v1/after-sales/campaigns/\(id)/vehicles?dryRun=true", bytes: Data(file.utf8))
            XCTAssertEqual(dryRun.status, 200, dryRun.text)
            XCTAssertEqual(dryRun.json["listed"] as? Int, 2, dryRun.text)
            let unchanged = try await director.request(.GET, "/api/v1/after-sales/campaigns/\(id)")
            XCTAssertEqual(unchanged.json["listedVehicles"] as? Int, 0, "a dry run lists nothing")
            let imported = try await director.request(.PUT, "/api/v1/after-sales/campaigns/\(id)/vehicles", bytes: Data(file.utf8))
            XCTAssertEqual(imported.status, 200, imported.text)
            XCTAssertEqual(imported.json["rows"] as? Int, 6, "the blank row is skipped")
            XCTAssertEqual(imported.json["listed"] as? Int, 2)
            XCTAssertEqual(imported.json["duplicates"] as? Int, 1)
            XCTAssertEqual(imported.json["rejected"] as? Int, 3)
            let outcomes = (imported.json["results"] as? [[String: Any]] ?? []).map { "\($0["row"] ?? "")=\($0["outcome"] ?? "")" }
            XCTAssertEqual(outcomes, ["2=listed", "3=listed", "4=duplicate", "5=rejected", "6=rejected", "8=rejected"], imported.text)
            XCTAssertTrue(imported.text.contains("2 vehicle files have the plate"), imported.text)
            let preview = try await director.request(.GET, "/api/v1/after-sales/campaigns/\(id)/preview")
            XCTAssertEqual(Set(preview.items.compactMap { $0["vin"] as? String }), Set(vins.prefix(2)), preview.text)
            // This store keeps Berlin time: go-live is 00:00 of Berlin's next day, not Shanghai's
            // or UTC's.
            let database = try await AdminDatabase()
            defer { database.shutdown() }
            _ = try await database.scalar("""
                INSERT INTO aftersales.directory_store (id, group_id, code, name, time_zone, version)
                VALUES ('\(store)', gen_random_uuid(), 'HL\(tag)', '柏林店', 'Europe/Berlin', 1) RETURNING 1
                """)
            var berlin = Calendar(identifier: .gregorian)
            berlin.timeZone = TimeZone(identifier: "Europe/Berlin")!
            let berlinTomorrow = berlin.date(byAdding: .day, value: 1, to: berlin.startOfDay(for: Date()))!
            let published = try await director.request(.POST, "/api/v1/after-sales/campaigns/\(id)/publish")
            XCTAssertEqual(published.status, 200, published.text)
            XCTAssertEqual(published.json["goesLiveAt"] as? String, RFC3339.string(from: berlinTomorrow).replacingOccurrences(of: ".000", with: ""))
            let late = try await director.request(.PUT, "/api/v1/after-sales/campaigns/\(id)/vehicles", bytes: Data(file.utf8))
            XCTAssertEqual(late.status, 409, "a published campaign's list does not change: \(late.text)")
            let export = try await director.request(.GET, "/api/v1/after-sales/campaigns/export?format=csv")
            XCTAssertEqual(export.status, 200, export.text)
            XCTAssertTrue(export.text.contains("名单招揽,流失客户招揽,2026-12-01,2099-12-31,拨打电话,导入"), export.text)
        } catch {
            XCTFail("\(String(reflecting: error))\nlog:\n\(afterSales.log.suffix(3000))")
        }
        await afterSales.stop()
    }

    // MARK: Preview, tasks and SQL agree on 10,000 cars

    func testPreviewTasksAndHandWrittenSQLAgreeOnTenThousandCars() async throws {
        let storeCode = "HD\(tag)"
        let store = StoreID.forStoreCode(storeCode)
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        // 10:00 on 15 June 2026 in Shanghai.
        let clock = try TestClockFile("2026-06-15T02:00:00Z")
        defer { clock.remove() }
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start(overrides: clock.environment.merging(["CRM_SCHEDULER_INTERVAL_MS": "100"]) { $1 })
        defer { afterSales.signal(SIGKILL) }
        do {
            try await afterSales.waitUntilReady()
            try await seedTenThousandCars(store: store, storeCode: storeCode, database: database)
            try await compareCounts(store: store, clock: clock, database: database, afterSales: afterSales)
        } catch {
            XCTFail("\(String(reflecting: error))\nlog:\n\(afterSales.log.suffix(3000))")
        }
        await afterSales.stop()
    }

    /// 10,000 cars with owners, dates and repair histories spread by the car's number `i`. The
    /// repair orders avoid 15 and 16 June 2025, so that the classes and the twelve months are
    /// the same at the preview (15 June 2026) and at go-live (16 June).
    private func seedTenThousandCars(store: UUID, storeCode: String, database: AdminDatabase) async throws {
        _ = try await database.scalar("""
            WITH inserted AS (
            INSERT INTO aftersales.vehicle (
                id, store_id, vin, plate, brand, series, model, owner_name, owner_mobile, owner_gender, owner_province, owner_city,
                owner_source, owner_birth_date, purchase_date, registration_date, insurance_expiry, service_advisor, source)
            SELECT gen_random_uuid(), '\(store)'::uuid, 'D\(tag)' || lpad(i::text, 10, '0'), '鄂A' || lpad(i::text, 5, '0'),
                   (ARRAY['别克', '雪佛兰', '凯迪拉克'])[i % 3 + 1], (ARRAY['君越', '英朗', '迈锐宝', 'XT5', 'CT6'])[i % 5 + 1],
                   '2026款', '车主' || i, '138' || lpad(i::text, 8, '0'),
                   CASE (i / 2) % 3 WHEN 0 THEN 'male' WHEN 1 THEN 'female' END,
                   (ARRAY['湖北省', '湖南省', '河南省', NULL])[i % 4 + 1], (ARRAY['武汉市', '长沙市', '郑州市', NULL])[i % 4 + 1],
                   (ARRAY['new_car_sale', 'referral', 'walk_in', 'online'])[(i / 3) % 4 + 1],
                   date '1960-01-01' + (i * 7 % 15000), date '2015-01-01' + (i * 13 % 4000), date '2015-01-04' + (i * 13 % 4000),
                   date '2026-01-01' + (i * 11 % 730), CASE WHEN i % 10 = 0 THEN '王建国' END, 'crm'
            FROM generate_series(1, 10000) AS i
            RETURNING 1) SELECT count(*) FROM inserted
            """)
        // Even cars: 0–3 visits from 20 June 2025 to early May 2026. Every seventh odd car: one
        // visit in 2024 (lost).
        _ = try await database.scalar("""
            WITH inserted AS (
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount, state, opened_at, completed_at, source)
            SELECT gen_random_uuid(), '\(store)'::uuid, '\(storeCode)', 'RO' || i || '-' || k, 'D\(tag)' || lpad(i::text, 10, '0'), '鄂A',
                   '车主', '13800000000', '车主', '13800000000',
                   (ARRAY['generalRepair', 'accidentRepair', 'paidMaintenance', 'warranty', 'firstMaintenance', 'other'])[(i + k) % 6 + 1],
                   (ARRAY['张顾问', '李顾问', '王建国'])[(i + k) % 3 + 1], 10000 * k, (i % 50) * 100 + k * 10, 'completed',
                   timestamptz '2025-06-20 10:00+08' + make_interval(days => i % 200 + k * 40),
                   timestamptz '2025-06-20 12:00+08' + make_interval(days => i % 200 + k * 40), 'erp'
            FROM generate_series(1, 10000) AS i, generate_series(1, 3) AS k
            WHERE i % 2 = 0 AND k <= i % 4
            UNION ALL
            SELECT gen_random_uuid(), '\(store)'::uuid, '\(storeCode)', 'RO' || i || '-old', 'D\(tag)' || lpad(i::text, 10, '0'), '鄂A',
                   '车主', '13800000000', '车主', '13800000000', 'paidMaintenance', '李顾问', 5000, 800, 'completed',
                   timestamptz '2024-03-01 10:00+08' + make_interval(days => i % 100),
                   timestamptz '2024-03-01 12:00+08' + make_interval(days => i % 100), 'erp'
            FROM generate_series(1, 10000) AS i WHERE i % 2 = 1 AND i % 7 = 0
            RETURNING 1) SELECT count(*) FROM inserted
            """)
    }

    private func compareCounts(store: UUID, clock: TestClockFile, database: AdminDatabase, afterSales: ServiceProcess) async throws {
        let director = try await DirectCaller.make(afterSales, store: store, role: "as.director", permissions: [.readVehicles, .readCampaigns, .manageCampaigns])
        let cars = "aftersales.vehicle v WHERE v.store_id = '\(store)'"
        let orders = "aftersales.repair_order r WHERE r.store_id = '\(store)'"
        let latest = "(SELECT DISTINCT ON (r.vin) r.vin, r.business_type, r.service_advisor FROM \(orders) ORDER BY r.vin, r.opened_at DESC)"
        // Spend and visits from 00:00 a year before today (15 June 2025) up to now.
        let yearly = "(SELECT r.vin, sum(r.amount) AS spent, count(*) AS visits FROM \(orders) AND r.opened_at >= '2025-06-15 00:00+08' AND r.opened_at <= '2026-06-15 10:00+08' GROUP BY r.vin)"
        let cases: [(name: String, conditions: [String: Any], sql: String)] = [
            ("brand and gender", ["brands": ["别克"], "genders": ["female"]],
             "SELECT count(*) FROM \(cars) AND v.brand = '别克' AND v.owner_gender = 'female'"),
            ("region, purchase date and source",
             ["provinces": ["湖北省"], "purchaseDate": ["from": "2017-01-01", "to": "2020-12-31"], "sources": ["referral", "online"]],
             "SELECT count(*) FROM \(cars) AND v.owner_province = '湖北省' AND v.purchase_date BETWEEN '2017-01-01' AND '2020-12-31' AND v.owner_source IN ('referral', 'online')"),
            // Loyal or favoured: a visit last calendar year (2025), and none of them is lost,
            // since every 2025 visit is after 20 June 2025.
            ("classes", ["classes": ["loyal", "favoured"]],
             "SELECT count(*) FROM \(cars) AND EXISTS (SELECT 1 FROM \(orders) AND r.vin = v.vin AND r.opened_at >= '2025-01-01 00:00+08' AND r.opened_at < '2026-01-01 00:00+08')"),
            ("yearly spend and last repair type",
             ["yearlySpend": ["min": 1000, "max": 3000], "lastRepairTypes": ["paidMaintenance", "generalRepair"]],
             "SELECT count(*) FROM \(cars.replacingOccurrences(of: " v WHERE", with: " v JOIN \(latest) l ON l.vin = v.vin LEFT JOIN \(yearly) y ON y.vin = v.vin WHERE")) AND COALESCE(y.spent, 0) BETWEEN 1000 AND 3000 AND l.business_type IN ('paidMaintenance', 'generalRepair')"),
            ("current SA and insurance expiry",
             ["serviceAdvisors": ["王建国"], "insuranceExpiry": ["from": "2026-06-01", "to": "2026-12-31"]],
             "SELECT count(*) FROM \(cars.replacingOccurrences(of: " v WHERE", with: " v LEFT JOIN \(latest) l ON l.vin = v.vin WHERE")) AND COALESCE(v.service_advisor, l.service_advisor) = '王建国' AND v.insurance_expiry BETWEEN '2026-06-01' AND '2026-12-31'"),
            ("yearly visits and birth date", ["yearlyVisits": ["min": 2], "birthDate": ["to": "1990-12-31"]],
             "SELECT count(*) FROM \(cars.replacingOccurrences(of: " v WHERE", with: " v JOIN \(yearly) y ON y.vin = v.vin WHERE")) AND y.visits >= 2 AND v.owner_birth_date <= '1990-12-31'"),
        ]
        var campaigns: [(name: String, id: String, expected: Int)] = []
        for example in cases {
            let expected = try await database.scalar(example.sql)
            XCTAssertGreaterThan(expected, 0, "\(example.name): the conditions select some cars")
            XCTAssertLessThan(expected, 10_000, "\(example.name): the conditions leave some out")
            let created = try await director.request(.POST, "/api/v1/after-sales/campaigns", json: [
                "kind": "other", "name": example.name, "startsOn": "2026-06-16", "endsOn": "2026-07-31", "contactMethods": ["phone"],
                "conditions": example.conditions,
            ])
            XCTAssertEqual(created.status, 201, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)
            let preview = try await director.request(.GET, "/api/v1/after-sales/campaigns/\(id)/preview")
            XCTAssertEqual(preview.json["total"] as? Int, expected, "\(example.name): preview against SQL")
            let published = try await director.request(.POST, "/api/v1/after-sales/campaigns/\(id)/publish")
            XCTAssertEqual(published.status, 200, published.text)
            campaigns.append((example.name, id, expected))
        }
        try clock.set(RFC3339.date(from: "2026-06-15T16:00:00Z")!)
        for campaign in campaigns {
            let live = try await eventually(timeout: .seconds(60)) {
                try await director.request(.GET, "/api/v1/after-sales/campaigns/\(campaign.id)").json["state"] as? String == "live"
            }
            XCTAssertTrue(live, campaign.name)
            let tasks = try await database.scalar("SELECT count(*)::int8 FROM aftersales.campaign_task WHERE campaign_id = '\(campaign.id)'")
            XCTAssertEqual(tasks, campaign.expected, "\(campaign.name): tasks against SQL")
        }
    }
}
