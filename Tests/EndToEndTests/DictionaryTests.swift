import Contracts
import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// The data dictionaries' owner (G5): the gateway serves each store's sets, lets an
/// administrator change them, and every service learns the change for that store only. What
/// each service prints with them is tested with the service (LeadDictionaryTests …).
final class DictionaryTests: XCTestCase {
    var suite: Suite!
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    let store2 = StoreID.forStoreCode("HX000002").uuidString

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    func entries(_ set: String, token: String) async throws -> [[String: Any]] {
        let reply = try await suite.request(.GET, "/api/v1/dictionaries/\(set)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.json["entries"] as? [[String: Any]] ?? []
    }

    func label(_ code: String, in entries: [[String: Any]]) -> String? {
        entries.first { $0["code"] as? String == code }?["label"] as? String
    }

    func testEveryUserReadsTheirStoresSetsAndOnlyAnAdministratorChangesThem() async throws {
        let consultant = try await suite.login("consultant.1")
        var reply = try await suite.request(.GET, "/api/v1/dictionaries", token: consultant)
        XCTAssertEqual(reply.status, 200, reply.text)
        let sets = reply.items.compactMap { $0["set"] as? String }
        XCTAssertEqual(Set(sets), Set(DataDictionaries.all.map(\.id)))
        let sources = try XCTUnwrap(reply.items.first { $0["set"] as? String == "leadSource" })
        XCTAssertEqual(sources["title"] as? String, "线索来源")
        XCTAssertEqual(sources["open"] as? Bool, true)
        XCTAssertEqual(label("autohome", in: sources["entries"] as? [[String: Any]] ?? []), "汽车之家")

        reply = try await suite.request(.PUT, "/api/v1/identity/dictionaries/trafficArrival/entries/phone", token: consultant, json: ["label": "电话"])
        XCTAssertEqual(reply.status, 403, reply.text)
        reply = try await suite.request(.GET, "/api/v1/dictionaries/nonsense", token: consultant)
        XCTAssertEqual(reply.status, 404)
        XCTAssertTrue(reply.text.contains("leadSource"), "the 404 names the sets there are: \(reply.text)")
    }

    func testAChangeIsTheStoresOwnAndEveryServiceLearnsIt() async throws {
        let admin = try await suite.login("admin")
        let store1User = try await suite.login("sales.manager.1")
        let store2User = try await suite.login("sales.manager.2")
        var reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/trafficArrival/entries/phone", token: admin, json: ["storeId": store1, "label": "电话咨询"])
        XCTAssertEqual(reply.status, 200, reply.text)
        let store1Entries = try await entries("trafficArrival", token: store1User)
        let store2Entries = try await entries("trafficArrival", token: store2User)
        XCTAssertEqual(label("phone", in: store1Entries), "电话咨询")
        // The list of every set (read with one statement) shows the same words, store by store.
        for (token, word) in [(store1User, "电话咨询"), (store2User, "来电")] {
            let all = try await suite.request(.GET, "/api/v1/dictionaries", token: token)
            let arrival = all.items.first { $0["set"] as? String == "trafficArrival" }
            XCTAssertEqual(label("phone", in: arrival?["entries"] as? [[String: Any]] ?? []), word, all.text)
        }
        XCTAssertEqual(label("phone", in: store2Entries), "来电", "store 2 keeps its word")

        // Every service that keeps a directory has the new label for store 1, and store 2 has none of it
        // (Coupons checks a redemption's order kind against its copy, `RecentDictionaries`).
        for schema in ["leads", "prospects", "aftersales", "customer_service", "coupons", "marketing"] {
            let learned = try await eventually(timeout: .seconds(15)) {
                try await self.suite.database.scalar("""
                    SELECT count(*)::int8 FROM \(schema).directory_dictionary
                    WHERE store_id = '\(self.store1)' AND set_name = 'trafficArrival' AND entries @> '[{"code": "phone", "label": "电话咨询"}]'
                    """) == 1
            }
            XCTAssertTrue(learned, "\(schema) learned store 1's label")
            let leaked = try await suite.database.scalar("""
                SELECT count(*)::int8 FROM \(schema).directory_dictionary WHERE store_id = '\(store2)' AND set_name = 'trafficArrival'
                """)
            XCTAssertEqual(leaked, 0, "\(schema) keeps nothing for store 2")
        }
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/trafficArrival/entries/phone", token: admin, json: ["storeId": store1, "label": "来电"])
        XCTAssertEqual(reply.status, 200, reply.text)
    }

    func testOpenSetsTakeTheStoresOwnEntriesAndClosedSetsDoNot() async throws {
        let admin = try await suite.login("admin")
        // A closed set's codes are the ones the services' rules know.
        var reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/prospectState/entries/paused", token: admin, json: ["storeId": store1, "label": "暂停"])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["code"])
        XCTAssertTrue(reply.text.contains("active (跟进中)"), "the refusal lists the codes with their labels: \(reply.text)")
        // An open set takes a new code, which needs a label; bad values are all named at once.
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/Bad-Code", token: admin, json: ["storeId": store1, "position": 0])
        XCTAssertEqual(reply.status, 422, reply.text)
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/remote_area", token: admin, json: ["storeId": store1])
        XCTAssertEqual(reply.problemFields, ["label"], reply.text)
        let code = "far_\(Int.random(in: 1000...9999))"
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/\(code)", token: admin,
            json: ["storeId": store1, "label": "路途太远", "position": 1])
        XCTAssertEqual(reply.status, 200, reply.text)
        var codes = (reply.json["entries"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
        XCTAssertEqual(codes.first, code, "placed first")
        XCTAssertEqual(codes.count, DataDictionaries.afterSalesDefeatReason.entries.count + 1)
        // Disabled, it stays in the list, marked.
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/\(code)", token: admin, json: ["storeId": store1, "enabled": false])
        let entry = (reply.json["entries"] as? [[String: Any]])?.first { $0["code"] as? String == code }
        XCTAssertEqual(entry?["enabled"] as? Bool, false)
        XCTAssertEqual(entry?["builtIn"] as? Bool, false)
        codes = (reply.json["entries"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
        XCTAssertEqual(codes.first, code, "disabling keeps the place")
        // Another group's store is not the administrator's to change.
        reply = try await suite.request(
            .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/price", token: admin,
            json: ["storeId": UUID().uuidString, "label": "贵"])
        XCTAssertEqual(reply.problemFields, ["storeId"], reply.text)
    }

    /// Two hundred changes of one set at once, in two stores: none is lost, each store's versions
    /// count them one by one, and the services end on the last.
    func testSimultaneousChangesOfOneSetAreAllKept() async throws {
        let admin = try await suite.login("admin")
        let codes = DataDictionaries.afterSalesDefeatReason.entries.map(\.code)
        func version(_ store: String) async throws -> Int {
            try await suite.database.scalar("""
                SELECT COALESCE(max(version), 0)::int8 FROM identity.dictionary_set WHERE store_id = '\(store)' AND set_name = 'afterSalesDefeatReason'
                """)
        }
        func announced(_ store: String) async throws -> Int {
            try await suite.database.scalar("""
                SELECT count(*)::int8 FROM identity.outbox WHERE envelope ->> 'type' = 'identity.dictionary.changed.v1'
                AND envelope -> 'data' ->> 'storeId' = '\(store)' AND envelope -> 'data' ->> 'set' = 'afterSalesDefeatReason'
                """)
        }
        let before = [store1: (try await version(store1), try await announced(store1)), store2: (try await version(store2), try await announced(store2))]
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                let store = index % 2 == 0 ? store1 : store2
                let code = codes[index / 2 % codes.count]
                group.addTask {
                    try await self.suite.request(
                        .PUT, "/api/v1/identity/dictionaries/afterSalesDefeatReason/entries/\(code)", token: admin,
                        json: ["storeId": store, "label": "原因\(index / 2 % codes.count)-\(index / 2 / codes.count)"], timeout: 60).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 200)
        for store in [store1, store2] {
            let versions = try await version(store)
            XCTAssertEqual(versions, before[store]!.0 + 100, "one version per change")
            let events = try await announced(store)
            XCTAssertEqual(events, before[store]!.1 + 100, "one announcement per change")
            // A change written over a stale copy of the set would have put some code back to its built-in label.
            let labels = try await suite.database.scalar("""
                SELECT count(*)::int8 FROM identity.dictionary_entry WHERE store_id = '\(store)' AND set_name = 'afterSalesDefeatReason'
                AND label LIKE '原因%'
                """)
            XCTAssertEqual(labels, codes.count, "every code relabelled")
            let learned = try await eventually(timeout: .seconds(20)) {
                try await self.suite.database.scalar("""
                    SELECT version FROM leads.directory_dictionary WHERE store_id = '\(store)' AND set_name = 'afterSalesDefeatReason'
                    """) == versions
            }
            XCTAssertTrue(learned, "Leads ends on the last version (\(versions))")
        }
    }
}
