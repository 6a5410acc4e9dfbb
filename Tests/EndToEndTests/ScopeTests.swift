import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Data scope through the gateway: an agent sees only their own tasks, a supervisor the store's,
/// and a user of store HX000002 gets 404 for every store-1 record on every endpoint that takes
/// a record id — the endpoints are read from `/openapi.yaml`, so a new one cannot be missed.
final class ScopeTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        // The renewal pass every second, so that a store-1 renewal task opens during the test.
        suite = try await Suite.start(afterSalesEnvironment: ["CRM_RENEWAL_PASS_SECONDS": "1"])
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    /// Two visit tasks of store 1, one assigned to cs.agent.1.
    private func twoTasks() async throws -> (assigned: String, unassigned: String, roNos: [String]) {
        let roNos = (0..<2).map { _ in "RO" + String(Int.random(in: 10_000_000...99_999_999)) }
        let events = roNos.map { roNo -> CloudEvent<ERPRepairOrderCompleted> in
            var order = Samples.completedRepairOrder(storeCode: "HX000001", number: 0)
            order.roNo = roNo
            return CloudEvent(source: "/erp/HX000001", data: order)
        }
        try await BrokerQueues.publish(events)
        let supervisor = try await suite.login("cs.supervisor.1")
        var ids: [String] = []
        for roNo in roNos {
            var id: String?
            _ = try await eventually(timeout: .seconds(10)) {
                id = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: supervisor).items.first?["id"] as? String
                return id != nil
            }
            ids.append(try XCTUnwrap(id, "task for \(roNo)"))
        }
        let agentID = try await suite.userID("cs.agent.1")
        let reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/assign", token: supervisor, json: ["taskIds": [ids[0]], "assigneeId": agentID])
        XCTAssertEqual(reply.status, 200, reply.text)
        return (ids[0], ids[1], roNos)
    }

    /// A draft campaign of store 1, and a task of a live store-1 campaign for the car — written
    /// as go-live writes it, since a campaign goes live only on the next day.
    private func storeOneCampaign(vehicleID: String, vin: String) async throws -> (campaign: String, task: String) {
        let director1 = try await suite.login("as.director.1")
        let campaign = try await suite.request(.POST, "/api/v1/after-sales/campaigns", token: director1, json: [
            "kind": "other", "name": "范围测试", "startsOn": "2026-01-01", "endsOn": "2099-12-31", "contactMethods": ["phone"],
        ])
        XCTAssertEqual(campaign.status, 201, campaign.text)
        let live = UUID().uuidString.lowercased(), task = UUID().uuidString.lowercased()
        let store = StoreID.forStoreCode("HX000001").uuidString.lowercased()
        _ = try await suite.database.scalar("""
            WITH c AS (
                INSERT INTO aftersales.campaign (id, store_id, kind, name, starts_on, ends_on, contact_methods, target_mode, assignment,
                    state, published_at, goes_live_at, ends_at, went_live_at, created_by)
                VALUES ('\(live)', '\(store)', 'other', '范围测试（进行中）', '2026-01-01', '2099-12-31', '{phone}', 'conditions', 'current_sa',
                    'live', now(), now(), '2100-01-01', now(), gen_random_uuid())
                RETURNING id)
            INSERT INTO aftersales.campaign_task (id, campaign_id, store_id, vehicle_id, vin, customer_class, state, next_follow_up_on)
            SELECT '\(task)', c.id, '\(store)', '\(vehicleID)', '\(vin)', 'potential', 'open', current_date FROM c RETURNING 1
            """)
        return (try XCTUnwrap(campaign.json["id"] as? String), task)
    }

    func testAnAgentSeesOnlyTheirTasksAndASupervisorTheStores() async throws {
        let tasks = try await twoTasks()
        let agent = try await suite.login("cs.agent.1")
        let supervisor = try await suite.login("cs.supervisor.1")
        for (token, expected) in [(agent, [1, 0]), (supervisor, [1, 1])] {
            for (roNo, count) in zip(tasks.roNos, expected) {
                let reply = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?roNo=\(roNo)", token: token)
                XCTAssertEqual(reply.items.count, count, "\(roNo): \(reply.text)")
            }
        }
        let status1 = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks.assigned)", token: agent).status
        XCTAssertEqual(status1, 200)
        let status2 = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks.unassigned)", token: agent).status
        XCTAssertEqual(status2, 404)
        // Every task an agent's list shows is theirs.
        let agentID = try await suite.userID("cs.agent.1")
        let all = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks?pageSize=200", token: agent)
        XCTAssertFalse(all.items.isEmpty)
        XCTAssertTrue(all.items.allSatisfy { ($0["assigneeId"] as? String)?.lowercased() == agentID.lowercased() })
        // An agent may not assign.
        let reply = try await suite.request(.POST, "/api/v1/customer-service/visit-tasks/\(tasks.unassigned)/assign", token: agent, json: ["assigneeId": agentID])
        XCTAssertEqual(reply.status, 403)
    }

    func testAUserOfTheOtherStoreGets404ForEveryStoreOneRecordOnEveryEndpoint() async throws {
        let tasks = try await twoTasks()
        let supervisor1 = try await suite.login("cs.supervisor.1")
        let templates = try await suite.request(.GET, "/api/v1/customer-service/visit-templates", token: supervisor1)
        let templateID = try XCTUnwrap(templates.items.first?["id"] as? String)
        let complaint = try await suite.request(.POST, "/api/v1/customer-service/complaints", token: supervisor1, json: [
            "complainantName": "赖朝朝", "complainantMobile": "15972197426", "source": "phone", "category": "quality",
            "level": "urgent", "content": "刹车异响未修好",
        ])
        XCTAssertEqual(complaint.status, 201, complaint.text)
        let complaintID = try XCTUnwrap(complaint.json["id"] as? String)
        let sa1 = try await suite.login("sa.1")
        let vin = "LFV3A28K7K3012345"
        var vehicle = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa1, json: [
            "vin": vin, "plate": "鄂A81245", "brand": "奥迪", "series": "A6L", "model": "2019款 45 TFSI",
            "owner": ["name": "赖朝朝", "mobile": "15972197426"],
        ])
        if vehicle.status == 409 {  // an earlier test of this run filed it already
            vehicle = try await suite.request(.GET, "/api/v1/after-sales/vehicles?vin=\(vin)", token: sa1)
            vehicle = Suite.Reply(status: 200, headers: vehicle.headers, body: try JSONSerialization.data(withJSONObject: vehicle.items[0]))
        }
        let vehicleID = try XCTUnwrap(vehicle.json["id"] as? String, vehicle.text)
        let repairOrder = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa1, json: [
            "vin": vin, "customer": ["name": "赖朝朝", "mobile": "15972197426"], "businessType": "paidMaintenance", "mileageKm": 30125,
        ])
        XCTAssertEqual(repairOrder.status, 201, repairOrder.text)
        let repairOrderID = try XCTUnwrap(repairOrder.json["id"] as? String)
        let (campaignID, campaignTaskID) = try await storeOneCampaign(vehicleID: vehicleID, vin: vin)
        // A care reminder of store 1 (the daily pass makes them only from the day after a switch
        // is turned on): written as the pass writes one.
        let reminderID = UUID().uuidString.lowercased()
        let written = try await suite.database.scalar("""
            WITH i AS (
                INSERT INTO aftersales.reminder (id, store_id, vehicle_id, kind, person_role, person_name, person_mobile, occasion,
                                                 due_on, remind_on, contact_method)
                VALUES ('\(reminderID)', '\(StoreID.forStoreCode("HX000001").uuidString.lowercased())', '\(vehicleID)', 'birthday', 'owner',
                        '赖朝朝', '15972197426', 'scope-\(reminderID)', current_date, current_date, 'phone')
                RETURNING 1)
            SELECT count(*)::int8 FROM i
            """)
        XCTAssertEqual(written, 1)
        let renewalTaskID = try await storeOneRenewalTask(suite, sa: sa1)
        let manager1 = try await suite.login("sales.manager.1")
        let lead = try await suite.request(.POST, "/api/v1/leads/leads", token: manager1, json: [
            "name": "陈云", "mobile": "139" + String(format: "%08d", Int.random(in: 0...99_999_999)), "source": "autohome",
        ])
        XCTAssertEqual(lead.status, 201, lead.text)
        let leadID = try XCTUnwrap((lead.json["lead"] as? [String: Any])?["id"] as? String)
        let consultant1 = try await suite.userID("consultant.1")
        let (prospectID, poolProspectID, poolClaimID, defeated) = try await storeOneProspects(suite, manager: manager1, consultant: consultant1)
        // The defeated prospect is in store 1's defeat pool: a claim from store 2 can only be
        // refused for the store it comes from, not for "not in the pool".
        var defeatPool = try await suite.request(.GET, "/api/v1/prospects/defeat-pool?mobile=\(defeated.mobile)", token: manager1)
        XCTAssertEqual(defeatPool.items.compactMap { ($0["prospect"] as? [String: Any])?["id"] as? String }, [defeated.id], defeatPool.text)
        let documents = try await storeOneSalesDocuments(suite, manager: manager1, consultant: consultant1)
        let coupons = try await storeOneCoupons(suite)
        let marketing = try await storeOneMarketing(suite, consultant: consultant1)
        let ids: [String: String] = [
            "/api/v1/prospects/prospects/": prospectID,
            "/api/v1/prospects/public-pool/": poolProspectID,
            "/api/v1/prospects/pool-claims/": poolClaimID,
            "/api/v1/prospects/defeat-pool/": defeated.id,
            "/api/v1/prospects/test-drive-routes/": documents.route,
            "/api/v1/prospects/test-drives/": documents.testDrive,
            "/api/v1/prospects/proposals/": documents.proposal,
            "/api/v1/prospects/follow-ups/": documents.followUp,
            "/api/v1/leads/leads/": leadID,
            "/api/v1/leads/consultants/": consultant1,
            "/api/v1/customer-service/visit-templates/": templateID,
            "/api/v1/customer-service/visit-tasks/": tasks.unassigned,
            "/api/v1/customer-service/complaints/": complaintID,
            "/api/v1/after-sales/vehicles/": vehicleID,
            "/api/v1/after-sales/repair-orders/": repairOrderID,
            "/api/v1/after-sales/campaigns/": campaignID,
            "/api/v1/after-sales/campaign-tasks/": campaignTaskID,
            "/api/v1/after-sales/reminders/": reminderID,
            "/api/v1/after-sales/renewal-tasks/": renewalTaskID,
            "/api/v1/coupons/definitions/": coupons.definition,
            "/api/v1/coupons/tasks/": coupons.task,
            "/api/v1/coupons/revocations/": coupons.revocation,
            "/api/v1/marketing/events/": marketing.event,
            "/api/v1/marketing/invitations/": marketing.task,
            "/api/v1/marketing/news/": marketing.article,
            "/api/v1/marketing/promotions/": marketing.promotion,
            "/api/v1/marketing/channels/": marketing.channel,
            "/api/v1/marketing/sms/templates/": marketing.smsTemplate,
            "/api/v1/marketing/sms/sends/": marketing.smsSend,
            "/api/v1/marketing/wheels/": marketing.wheel,
        ]
        let otherStoreUsers: [String: String] = [
            "/api/v1/customer-service/": "cs.supervisor.2", "/api/v1/after-sales/": "sa.2", "/api/v1/leads/": "sales.manager.2",
            "/api/v1/prospects/": "sales.manager.2", "/api/v1/after-sales/campaign": "as.director.2",
            "/api/v1/after-sales/renewal-tasks/": "as.director.2", "/api/v1/coupons/": coupons.otherStoreUser,
            "/api/v1/marketing/": "marketing.2", "/api/v1/marketing/invitations/": "consultant.2",
        ]
        // Their counterparts in store 1, who do see the records: the 404s are the store's doing.
        let sameStoreUsers: [String: String] = [
            "/api/v1/customer-service/": "cs.supervisor.1", "/api/v1/after-sales/": "sa.1", "/api/v1/leads/": "sales.manager.1",
            "/api/v1/prospects/": "sales.manager.1", "/api/v1/after-sales/campaign": "as.director.1",
            "/api/v1/after-sales/renewal-tasks/": "as.director.1", "/api/v1/coupons/": "finance.1",
            "/api/v1/marketing/": "marketing.1", "/api/v1/marketing/invitations/": "consultant.1",
        ]
        let cs2 = try await suite.userID("cs.agent.2")
        let renewal1 = try await suite.userID("renewal.1")
        // A valid body per write, so that nothing but the record's store can refuse it.
        let bodies: [String: Any] = [
            "PUT /api/v1/customer-service/visit-templates/{id}": ["name": "改", "kind": "after_sales", "questions": [["text": "满意吗？", "type": "rating"]]],
            "POST /api/v1/customer-service/visit-templates/{id}/copy": ["name": "副本 \(UUID())"],
            "POST /api/v1/customer-service/visit-tasks/{id}/assign": ["assigneeId": cs2],
            "POST /api/v1/customer-service/visit-tasks/{id}/visits": ["result": "unreachable"],
            "POST /api/v1/customer-service/complaints/{id}/entries": ["kind": "note", "text": "备注"],
            "POST /api/v1/customer-service/complaints/{id}/assign": ["handlerId": cs2],
            "POST /api/v1/customer-service/complaints/{id}/transitions": ["to": "in_progress"],
            "PATCH /api/v1/after-sales/vehicles/{id}": ["color": "白色"],
            "PUT /api/v1/after-sales/campaigns/{id}": ["kind": "other", "name": "改", "startsOn": "2026-01-01", "endsOn": "2099-12-31", "contactMethods": ["phone"]],
            "DELETE /api/v1/after-sales/campaigns/{id}": [String: Any](),
            "POST /api/v1/after-sales/campaigns/{id}/publish": [String: Any](),
            "POST /api/v1/after-sales/campaign-tasks/{id}/follow-ups": ["method": "phone", "content": "邀请保养", "result": "considering"],
            "POST /api/v1/after-sales/campaign-tasks/{id}/defeat": ["reason": "price"],
            "POST /api/v1/leads/leads/{id}/follow-ups": ["channel": "phone", "content": "回访", "level": "B"],
            "POST /api/v1/leads/leads/{id}/defeat": ["reason": "价格"],
            "POST /api/v1/leads/leads/{id}/activate": [String: Any](),
            "PUT /api/v1/leads/consultants/{id}": ["available": true],
            "POST /api/v1/after-sales/repair-orders/{id}/complete": ["amount": 688.5],
            "PATCH /api/v1/after-sales/reminders/{id}": ["done": true, "note": "已联系"],
            "PUT /api/v1/after-sales/renewal-tasks/{id}/assignee": ["assigneeId": renewal1],
            "POST /api/v1/after-sales/renewal-tasks/{id}/follow-ups": ["note": "回访", "defeated": true, "defeatReason": "price"],
            "POST /api/v1/after-sales/renewal-tasks/{id}/renewal": [
                "insurer": "中国人保财险", "policyNo": "SCOPE\(UUID().uuidString.prefix(8))", "premium": 100, "newExpiry": "2199-12-31",
            ],
            "POST /api/v1/prospects/prospects/{id}/defeat": ["reason": "价格"],
            "POST /api/v1/prospects/prospects/{id}/defeat/approve": [String: Any](),
            "POST /api/v1/prospects/prospects/{id}/defeat/reject": [String: Any](),
            "POST /api/v1/prospects/prospects/{id}/activate": [String: Any](),
            "POST /api/v1/prospects/prospects/{id}/follow-ups": [
                "level": "A", "method": "phone", "contents": ["invite"], "result": "continue", "contact": "first", "note": "回访", "valid": true,
                "next": ["method": "phone", "content": "routine", "comesTomorrow": false],
            ],
            "POST /api/v1/prospects/public-pool/{id}/claim": [String: Any](),
            "POST /api/v1/prospects/pool-claims/{id}/approve": [String: Any](),
            "POST /api/v1/prospects/pool-claims/{id}/reject": [String: Any](),
            "POST /api/v1/prospects/defeat-pool/{id}/claim": [String: Any](),
            "POST /api/v1/prospects/prospects/{id}/proposals": ["listPrice": 100000],
            "PATCH /api/v1/prospects/test-drive-routes/{id}": ["minutes": 40],
            "PATCH /api/v1/prospects/test-drives/{id}": ["driverAddress": "武汉市"],
            "POST /api/v1/prospects/test-drives/{id}/start": [String: Any](),
            "POST /api/v1/prospects/test-drives/{id}/finish": ["feedback": "好"],
            "POST /api/v1/prospects/test-drives/{id}/cancel": ["reason": "改期"],
            "PUT /api/v1/coupons/definitions/{id}": [
                "name": "改", "kind": "cash", "faceValue": 80, "quantity": 20, "validity": "days_from_issue", "validDays": 10,
                "usableIn": "store", "description": "改",
            ],
            "POST /api/v1/coupons/definitions/{id}/enable": [String: Any](),
            "POST /api/v1/coupons/definitions/{id}/disable": [String: Any](),
            "PUT /api/v1/coupons/tasks/{id}": [
                "kind": "quick", "definitionId": coupons.definition, "mode": "push", "recipient": ["mobile": "13986204417"],
            ],
            "DELETE /api/v1/coupons/tasks/{id}": [String: Any](),
            "POST /api/v1/coupons/tasks/{id}/publish": [String: Any](),
            "POST /api/v1/coupons/tasks/{id}/approve": [String: Any](),
            "POST /api/v1/coupons/tasks/{id}/reject": ["reason": "不发"],
            "POST /api/v1/coupons/tasks/{id}/close": [String: Any](),
            "POST /api/v1/coupons/revocations/{id}/approve": [String: Any](),
            "POST /api/v1/coupons/revocations/{id}/reject": ["note": "不删"],
            "PUT /api/v1/marketing/events/{id}": Self.marketingEvent,
            "DELETE /api/v1/marketing/events/{id}": [String: Any](),
            "POST /api/v1/marketing/events/{id}/online": [String: Any](),
            "POST /api/v1/marketing/events/{id}/offline": [String: Any](),
            "POST /api/v1/marketing/events/{id}/check-ins": ["mobile": "13986204417"],
            "POST /api/v1/marketing/events/{id}/invitations": ["consultantId": consultant1, "customers": [["mobile": "13986204418"]]],
            "POST /api/v1/marketing/invitations/{id}/follow-ups": ["method": "phone", "content": "邀约", "result": "invited"],
            "PUT /api/v1/marketing/news/{id}": Self.newsArticle,
            "PUT /api/v1/marketing/sms/templates/{id}": Self.smsTemplate,
            "DELETE /api/v1/marketing/news/{id}": [String: Any](),
            "POST /api/v1/marketing/news/{id}/publish": [String: Any](),
            "POST /api/v1/marketing/news/{id}/withdraw": [String: Any](),
            "PUT /api/v1/marketing/promotions/{id}": Self.pricePromotion,
            "POST /api/v1/marketing/promotions/{id}/publish": [String: Any](),
            "POST /api/v1/marketing/promotions/{id}/withdraw": [String: Any](),
            "DELETE /api/v1/marketing/promotions/{id}": [String: Any](),
            "PATCH /api/v1/marketing/channels/{id}": ["name": "改"],
            "PUT /api/v1/marketing/wheels/{id}": Self.wheel,
            "DELETE /api/v1/marketing/wheels/{id}": [String: Any](),
            "POST /api/v1/marketing/wheels/{id}/online": [String: Any](),
            "POST /api/v1/marketing/wheels/{id}/offline": [String: Any](),
        ]
        // Writes whose body is a file: a photo that is what it says.
        let photo = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 1, count: 64)
        let fileBodies: Set<String> = [
            "PUT /api/v1/prospects/test-drives/{id}/photos/{kind}", "PUT /api/v1/prospects/follow-ups/{id}/quote-image",
            "PUT /api/v1/after-sales/campaigns/{id}/vehicles", "PUT /api/v1/coupons/tasks/{id}/recipients",
            "PUT /api/v1/marketing/news/{id}/cover",
        ]
        // Decided by HQ alone: a user with the store scope is refused (403) before the record is
        // looked up, whichever store's it is — the answer says nothing about the record.
        let groupScopeOnly: Set<String> = [
            "POST /api/v1/coupons/revocations/{id}/approve", "POST /api/v1/coupons/revocations/{id}/reject",
        ]

        let operations = try OpenAPIOperations.all().filter { $0.path.contains("{id}") }
        XCTAssertFalse(operations.isEmpty, "openapi.yaml documents endpoints with record ids")
        var checked = 0
        for operation in operations {
            // Identity records belong to the whole dealer group and only its administrators.
            if operation.path.hasPrefix("/api/v1/identity/") { continue }
            // The public prefix answers anyone about a published record (an event's page): no store scope there.
            if operation.path.hasPrefix("/api/v1/public/") { continue }
            // The longest prefix decides: `/after-sales/renewal-tasks/` is the director's, the rest of
            // `/after-sales/` the SA's.
            func longest<Value>(_ table: [String: Value]) -> (key: String, value: Value)? {
                table.filter { operation.path.hasPrefix($0.key) }.max { $0.key.count < $1.key.count }
            }
            guard let prefix = longest(ids)?.key,
                  let user = longest(otherStoreUsers)?.value
            else {
                XCTFail("\(operation): the scope test has no store-1 record for this endpoint; add one")
                continue
            }
            var path = operation.path.replacingOccurrences(of: "{id}", with: ids[prefix]!).replacingOccurrences(of: "{kind}", with: "id_card")
            // An export of one record's rows (an event's registrations) needs its format.
            if path.hasSuffix("/export") { path += "?format=csv" }
            var body: Any?
            if operation.isWrite, !fileBodies.contains("\(operation)") {
                body = bodies["\(operation)"]
                XCTAssertNotNil(body, "\(operation): the scope test has no body for this endpoint; add one")
            }
            let token = try await suite.login(user)
            let reply = fileBodies.contains("\(operation)")
                ? try await suite.request(HTTPMethod(rawValue: operation.method), path, token: token, bytes: photo, contentType: "image/png")
                : try await suite.request(HTTPMethod(rawValue: operation.method), path, token: token, json: body)
            XCTAssertEqual(reply.status, groupScopeOnly.contains("\(operation)") ? 403 : 404, "\(operation) as \(user): \(reply.text)")
            XCTAssertTrue(reply.isProblem, "\(operation): \(reply.text)")
            if operation.method == "GET", let owner = longest(sameStoreUsers)?.value {
                let ownToken = try await suite.login(owner)
                let own = try await suite.request(.GET, path, token: ownToken)
                XCTAssertEqual(own.status, 200, "\(operation) as \(owner), of the record's store: \(own.text)")
            }
            checked += 1
        }
        print("checked \(checked) endpoints for store scope")
        // None of the refused writes changed a store-1 record.
        let order = try await suite.request(.GET, "/api/v1/after-sales/repair-orders/\(repairOrderID)", token: sa1)
        XCTAssertEqual(order.json["state"] as? String, "open")
        let reminderDone = try await suite.database.scalar("SELECT count(*)::int8 FROM aftersales.reminder WHERE id = '\(reminderID)' AND NOT done AND note IS NULL")
        XCTAssertEqual(reminderDone, 1, "the reminder was not marked done")
        let renewalNow = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks/\(renewalTaskID)", token: try await suite.login("as.director.1"))
        XCTAssertEqual(renewalNow.json["state"] as? String, "open", "neither defeated nor renewed: \(renewalNow.text)")
        XCTAssertEqual((renewalNow.json["followUps"] as? [Any])?.count, 0)
        let leadNow = try await suite.request(.GET, "/api/v1/leads/leads/\(leadID)", token: manager1)
        XCTAssertEqual(leadNow.json["state"] as? String, "new")
        let complaintNow = try await suite.request(.GET, "/api/v1/customer-service/complaints/\(complaintID)", token: supervisor1)
        XCTAssertEqual(complaintNow.json["state"] as? String, "pending")
        XCTAssertNil(complaintNow.json["handlerId"])
        let director1 = try await suite.login("as.director.1")
        let campaignNow = try await suite.request(.GET, "/api/v1/after-sales/campaigns/\(campaignID)", token: director1)
        XCTAssertEqual(campaignNow.json["state"] as? String, "draft", "neither published nor deleted: \(campaignNow.text)")
        XCTAssertEqual(campaignNow.json["name"] as? String, "范围测试")
        let campaignTaskNow = try await suite.request(.GET, "/api/v1/after-sales/campaign-tasks/\(campaignTaskID)", token: director1)
        XCTAssertEqual((campaignTaskNow.json["task"] as? [String: Any])?["state"] as? String, "open", campaignTaskNow.text)
        XCTAssertEqual((campaignTaskNow.json["followUps"] as? [Any])?.count, 0)
        let taskNow = try await suite.request(.GET, "/api/v1/customer-service/visit-tasks/\(tasks.unassigned)", token: supervisor1)
        XCTAssertEqual(taskNow.json["state"] as? String, "pending")
        let prospectNow = try await suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: manager1)
        XCTAssertEqual(prospectNow.json["state"] as? String, "active")
        XCTAssertEqual(prospectNow.json["level"] as? String, "B", "no follow-up was recorded")
        XCTAssertEqual((prospectNow.json["consultantId"] as? String)?.lowercased(), consultant1.lowercased())
        let pooledNow = try await suite.request(.GET, "/api/v1/prospects/prospects/\(poolProspectID)", token: manager1)
        XCTAssertEqual(pooledNow.json["inPublicPool"] as? Bool, true, "nobody took the pool prospect")
        let claims = try await suite.request(.GET, "/api/v1/prospects/pool-claims?state=pending", token: manager1)
        XCTAssertTrue(claims.items.contains { $0["id"] as? String == poolClaimID }, "the claim still waits: \(claims.text)")
        let driveNow = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(documents.testDrive)", token: manager1)
        XCTAssertEqual(driveNow.json["state"] as? String, "booked", "the test drive was neither started, finished nor cancelled")
        XCTAssertNil(driveNow.json["driverAddress"] as? String)
        let routesNow = try await suite.request(.GET, "/api/v1/prospects/test-drive-routes", token: manager1)
        XCTAssertEqual(routesNow.items.first { $0["id"] as? String == documents.route }?["minutes"] as? Int, 30)
        let photoNow = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(documents.testDrive)/photos/id_card", token: manager1)
        XCTAssertEqual(photoNow.body, documents.photo, "the ID card photo is the one store 1 filed")
        let quoteNow = try await suite.request(.GET, "/api/v1/prospects/follow-ups/\(documents.followUp)/quote-image", token: manager1)
        XCTAssertEqual(quoteNow.body, documents.photo)
        let proposalsNow = try await suite.request(.GET, "/api/v1/prospects/proposals?prospectId=\(documents.prospect)", token: manager1)
        XCTAssertEqual(proposalsNow.json["total"] as? Int, 1, "no proposal was added")
        let finance1 = try await suite.login("finance.1")
        let definitionNow = try await suite.request(.GET, "/api/v1/coupons/definitions/\(coupons.definition)", token: finance1)
        XCTAssertEqual(definitionNow.json["name"] as? String, "范围测试券", "not edited: \(definitionNow.text)")
        XCTAssertEqual(definitionNow.json["enabled"] as? Bool, true, "not disabled: \(definitionNow.text)")
        let couponTaskNow = try await suite.request(.GET, "/api/v1/coupons/tasks/\(coupons.task)", token: finance1)
        XCTAssertEqual(couponTaskNow.json["state"] as? String, "draft", "neither published, decided nor deleted: \(couponTaskNow.text)")
        XCTAssertEqual((couponTaskNow.json["recipient"] as? [String: Any])?["mobile"] as? String, "15972197426", couponTaskNow.text)
        let revocationNow = try await suite.request(.GET, "/api/v1/coupons/revocations/\(coupons.revocation)", token: finance1)
        XCTAssertEqual(revocationNow.json["state"] as? String, "pending", "neither approved nor rejected: \(revocationNow.text)")
        // Store 2's claim took nothing: the prospect is still in store 1's defeat pool, store 2
        // does not see it there, and store 1 can claim it.
        defeatPool = try await suite.request(.GET, "/api/v1/prospects/defeat-pool?mobile=\(defeated.mobile)", token: manager1)
        XCTAssertEqual(defeatPool.items.compactMap { ($0["prospect"] as? [String: Any])?["id"] as? String }, [defeated.id], defeatPool.text)
        let otherPool = try await suite.request(.GET, "/api/v1/prospects/defeat-pool?mobile=\(defeated.mobile)", token: try await suite.login("sales.manager.2"))
        XCTAssertEqual(otherPool.status, 200, otherPool.text)
        XCTAssertEqual(otherPool.items.count, 0, "store 2 does not see store 1's fresh defeat: \(otherPool.text)")
        let reclaimed = try await suite.request(.POST, "/api/v1/prospects/defeat-pool/\(defeated.id)/claim", token: manager1, json: [:])
        XCTAssertEqual(reclaimed.status, 201, "store 1 claims the prospect store 2 could not: \(reclaimed.text)")
        XCTAssertEqual(reclaimed.json["outcome"] as? String, "reactivated", reclaimed.text)
        // Lists and statistics do not leak store-1 records either.
        let supervisor2 = try await suite.login("cs.supervisor.2")
        for path in ["/api/v1/customer-service/visit-tasks?roNo=\(tasks.roNos[1])", "/api/v1/customer-service/complaints?mobile=15972197426"] {
            let reply = try await suite.request(.GET, path, token: supervisor2)
            XCTAssertEqual(reply.status, 200)
            XCTAssertTrue(reply.items.allSatisfy { ($0["storeId"] as? String)?.lowercased() != StoreID.forStoreCode("HX000001").uuidString.lowercased() }, path)
        }
        let status3 = try await suite.request(.GET, "/api/v1/customer-service/visit-statistics?templateId=\(templateID)", token: supervisor2).status
        XCTAssertEqual(status3, 404)
    }

    /// A renewal task of store 1: a new car whose insurance ends in 30 days (store 1's real
    /// today, Asia/Shanghai), whose task the renewal pass opens within a few seconds.
    /// Store 1's coupon records: a definition, a draft quick task, and a revocation waiting for
    /// HQ (the group's approval switch is on only while it is asked for). And a user of store
    /// HX000002 with every coupon permission and the store scope — no built-in role of a store
    /// both issues and approves, or approves revocations — so that only the store refuses them.
    private static let marketingEvent: [String: Any] = [
        "name": "范围测试活动", "startsAt": "2099-01-01 09:00", "endsAt": "2099-01-01 17:00", "content": "到店活动", "capacity": 10,
    ]

    private static let newsArticle: [String: Any] = ["category": "store_news", "title": "范围测试新闻", "body": "<p>到店</p>", "displayOrder": 1]
    private static let pricePromotion: [String: Any] = [
        "title": "范围测试促销", "brand": "奔驰", "series": "C级", "model": "C 260 L", "listPrice": 339_900, "discount": 30_000,
        "validFrom": "2099-01-01", "validUntil": "2099-01-31",
    ]

    /// A lucky wheel (大转盘, M4) as the marketing manager writes one.
    private static let wheel: [String: Any] = [
        "name": "范围测试转盘", "startsAt": "2099-01-01 09:00", "endsAt": "2099-01-31 17:00",
        "prizes": [["name": "纪念品", "basisPoints": 100, "stock": 1]],
    ]

    /// A pending event of store 1 and an invitation task of it for consultant.1; a draft news
    /// article with a cover, a draft price promotion and a channel QR code.
    /// An SMS template (短信平台, M5) as the marketing manager writes one.
    private static let smsTemplate: [String: Any] = [
        "name": "范围测试", "kind": "notice", "content": "{name}您好，门店通知。", "providerTemplateCode": "SMS_100009",
    ]

    private func storeOneMarketing(_ suite: Suite, consultant: String)
        async throws -> (
            event: String, task: String, article: String, promotion: String, channel: String, smsTemplate: String, smsSend: String,
            wheel: String
        )
    {
        let manager = try await suite.login("marketing.1")
        let article = try await suite.request(.POST, "/api/v1/marketing/news", token: manager, json: Self.newsArticle)
        let articleID = try XCTUnwrap(article.json["id"] as? String, article.text)
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")!
        let cover = try await suite.request(.PUT, "/api/v1/marketing/news/\(articleID)/cover", token: manager, bytes: png, contentType: "image/png")
        XCTAssertEqual(cover.status, 200, cover.text)
        let promotion = try await suite.request(.POST, "/api/v1/marketing/promotions", token: manager, json: Self.pricePromotion)
        let promotionID = try XCTUnwrap(promotion.json["id"] as? String, promotion.text)
        let channel = try await suite.request(.POST, "/api/v1/marketing/channels", token: manager, json: [
            "name": "范围测试海报", "kind": "poster", "landingUrl": "https://h5.example.cn/",
        ])
        let channelID = try XCTUnwrap(channel.json["id"] as? String, channel.text)
        let event = try await suite.request(.POST, "/api/v1/marketing/events", token: manager, json: Self.marketingEvent)
        let eventID = try XCTUnwrap(event.json["id"] as? String, event.text)
        let invited = try await suite.request(.POST, "/api/v1/marketing/events/\(eventID)/invitations", token: manager, json: [
            "consultantId": consultant, "customers": [["mobile": "13986204419", "name": "范围"]],
        ])
        let task = try XCTUnwrap((invited.json["created"] as? [[String: Any]])?.first?["id"] as? String, invited.text)
        let template = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: manager, json: Self.smsTemplate)
        let templateID = try XCTUnwrap(template.json["id"] as? String, template.text)
        let send = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: manager, json: [
            "templateId": templateID, "audience": "list", "recipients": [["mobile": "13986204420", "name": "范围"]],
        ])
        let sendID = try XCTUnwrap(send.json["id"] as? String, send.text)
        let wheel = try await suite.request(.POST, "/api/v1/marketing/wheels", token: manager, json: Self.wheel)
        let wheelID = try XCTUnwrap(wheel.json["id"] as? String, wheel.text)
        return (eventID, task, articleID, promotionID, channelID, templateID, sendID, wheelID)
    }

    private func storeOneCoupons(_ suite: Suite) async throws
        -> (definition: String, task: String, revocation: String, otherStoreUser: String)
    {
        let finance = try await suite.login("finance.1")
        var reply = try await suite.request(.POST, "/api/v1/coupons/definitions", token: finance, json: [
            "name": "范围测试券", "kind": "cash", "faceValue": 50, "quantity": 10, "validity": "days_from_issue", "validDays": 30,
            "usableIn": "store", "description": "范围测试",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let definition = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        func quickTask(_ mobile: String) async throws -> String {
            let reply = try await suite.request(.POST, "/api/v1/coupons/tasks", token: finance, json: [
                "kind": "quick", "definitionId": definition, "mode": "push", "recipient": ["mobile": mobile, "name": "赖朝朝"],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try XCTUnwrap(reply.json["id"] as? String, reply.text)
        }
        let task = try await quickTask("15972197426")
        let pushed = try await quickTask("13871150099")
        reply = try await suite.request(.POST, "/api/v1/coupons/tasks/\(pushed)/publish", token: finance)
        XCTAssertEqual((reply.json["task"] as? [String: Any])?["state"] as? String, "issued", reply.text)
        reply = try await suite.request(.GET, "/api/v1/coupons/issued?taskId=\(pushed)", token: finance)
        let coupon = try XCTUnwrap(reply.items.first?["id"] as? String, reply.text)
        let hq = try await suite.login("hq.1")
        reply = try await suite.request(.PUT, "/api/v1/coupons/group-settings", token: hq, json: ["revocationApproval": true])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/coupons/revocations", token: finance, json: [
            "couponId": coupon, "mobile": "13871150099", "explanation": "客户退回",
        ])
        XCTAssertEqual(reply.json["state"] as? String, "pending", reply.text)
        let revocation = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/coupons/group-settings", token: hq, json: ["revocationApproval": false])
        XCTAssertEqual(reply.status, 200, reply.text)

        let admin = try await suite.login("admin")
        let suffix = Int.random(in: 100_000...999_999)
        reply = try await suite.request(.POST, "/api/v1/identity/roles", token: admin, json: [
            "code": "coupons.all.\(suffix)", "name": "优惠券（范围测试）", "dataScope": "store",
            "permissions": Permission.all.map(\.rawValue).filter { $0.hasPrefix("coupons.") },
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let username = "coupons.scope.\(suffix)"
        reply = try await suite.request(.POST, "/api/v1/identity/users", token: admin, json: [
            "username": username, "displayName": "范围测试", "password": "dealer-demo", "role": "coupons.all.\(suffix)",
            "storeIds": [StoreID.forStoreCode("HX000002").uuidString],
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        return (definition, task, revocation, username)
    }

    private func storeOneRenewalTask(_ suite: Suite, sa: String) async throws -> String {
        let vin = AfterSalesRecordsTests.vin()
        let today = ServiceClock.day(of: Date(), in: TimeZone(identifier: "Asia/Shanghai")!)
        let vehicle = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": "鄂A" + String(format: "%05d", Int.random(in: 0...99_999)), "brand": "大众", "series": "帕萨特",
            "model": "2024款 330TSI", "insuranceExpiry": ServiceClock.day(today, plus: 30),
            "owner": ["name": "范围续保", "mobile": "13871150099"],
        ])
        XCTAssertEqual(vehicle.status, 201, vehicle.text)
        var id: String?
        _ = try await eventually(timeout: .seconds(20)) {
            let director = try await suite.login("as.director.1")
            id = try await suite.request(.GET, "/api/v1/after-sales/renewal-tasks?vin=\(vin)", token: director).items.first?["id"] as? String
            return id != nil
        }
        return try XCTUnwrap(id, "the renewal pass opened no task for \(vin)")
    }

    /// Store 1's prospects for the scope test: one a consultant follows up, one in the public
    /// pool with a claim waiting for its former team leader, and one defeated into the store's
    /// defeat pool.
    private func storeOneProspects(_ suite: Suite, manager: String, consultant: String) async throws
        -> (prospect: String, pooled: String, claim: String, defeated: (id: String, mobile: String))
    {
        func register(_ name: String) async throws -> (id: String, mobile: String) {
            let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: manager, json: [
                "name": name, "mobile": "136" + String(format: "%08d", Int.random(in: 0...99_999_999)), "arrival": "showroom",
                "arrivedAt": "2026-11-22T01:30:00Z", "category": "showroom", "source": "walk_in", "nature": "first_visit", "consultantId": consultant,
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let prospect = try XCTUnwrap(reply.json["prospect"] as? [String: Any])
            return (try XCTUnwrap(prospect["id"] as? String), try XCTUnwrap(prospect["mobile"] as? String))
        }
        let prospect = try await register("江枫").id
        let pooled = try await register("江河").id
        let defeated = try await register("江湖")
        var reply = try await suite.request(.PUT, "/api/v1/prospects/settings", token: manager, json: [
            "defeatApproval": false, "defeatPool": true, "defeatPoolReasons": ["price"], "publicPool": true,
            "poolOverdueDays": 3, "claimDailyCap": 100, "reclaimBlockDays": 0,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/release", token: manager, json: ["prospectIds": [pooled]])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/public-pool/\(pooled)/claim", token: try await suite.login("consultant.3"), json: [:])
        XCTAssertEqual(reply.status, 202, reply.text)
        let claim = try XCTUnwrap(reply.json["claimId"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(defeated.id)/defeat", token: manager, json: ["reason": "price"])
        XCTAssertEqual(reply.json["state"] as? String, "defeated", reply.text)
        XCTAssertNotNil(reply.json["defeatPoolSince"] as? String, "defeated for a reason the store's defeat pool takes: \(reply.text)")
        return (prospect, pooled, claim, defeated)
    }

    /// Store 1's sales documents: a test-drive route, a test drive booked on it with the ID card
    /// photographed, a purchase proposal, and a follow-up with its quote's photo — of a prospect
    /// of their own, so that the prospect checks above are not disturbed.
    private func storeOneSalesDocuments(_ suite: Suite, manager: String, consultant: String) async throws
        -> (prospect: String, route: String, testDrive: String, proposal: String, followUp: String, photo: Data)
    {
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data(repeating: 2, count: 64)
        var reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: manager, json: [
            "name": "江山", "mobile": "136" + String(format: "%08d", Int.random(in: 0...99_999_999)), "arrival": "showroom",
            "arrivedAt": "2026-11-22T01:30:00Z", "category": "showroom", "source": "walk_in", "nature": "first_visit", "consultantId": consultant,
            "brand": "凯迪拉克", "series": "XT5", "model": "2026款 28T 豪华型",
        ])
        let prospect = try XCTUnwrap((reply.json["prospect"] as? [String: Any])?["id"] as? String, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: [
            "name": "范围测试线 \(UUID().uuidString.prefix(8))", "distanceKm": 5, "minutes": 30,
        ])
        let route = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: manager, json: [
            "prospectId": prospect, "routeId": route, "kind": "ride", "bookedFor": RFC3339.string(from: Date().addingTimeInterval(86_400)),
        ])
        let testDrive = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/prospects/test-drives/\(testDrive)/photos/id_card", token: manager, bytes: photo, contentType: "image/jpeg")
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospect)/proposals", token: manager, json: ["listPrice": 300000])
        let proposal = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospect)/follow-ups", token: manager, json: [
            "level": "A", "method": "phone", "contents": ["invite"], "result": "continue", "contact": "first", "note": "报价", "valid": true,
            "next": ["method": "phone", "content": "routine", "comesTomorrow": false],
        ])
        let followUp = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/prospects/follow-ups/\(followUp)/quote-image", token: manager, bytes: photo, contentType: "image/jpeg")
        XCTAssertEqual(reply.status, 200, reply.text)
        return (prospect, route, testDrive, proposal, followUp, photo)
    }
}
