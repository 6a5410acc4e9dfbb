import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// The customer file the after-sales rules need (SPEC AS2) and the customer classes (AS5), end
/// to end through the gateway, with AfterSales on a fixed clock in store HX000001
/// (Asia/Shanghai): classes exact for crafted repair-order histories on both sides of 31 Dec /
/// 1 Jan and of the churn rule (12 months, and the store's other setting), on both sides of
/// the store's own new year too; the current SA (the latest repair order's, or the one set)
/// and the last mileage; every new field through POST, PATCH, GET and the export (labels, not
/// codes); bad values of several fields named in one 422.
final class CustomerFileTests: XCTestCase {
    var suite: Suite!
    var clock: TestClockFile!
    /// 10:00 on 15 June 2026 in Shanghai.
    static let start = "2026-06-15T02:00:00Z"
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    /// In every owner's name of this run, so that a list filtered by it shows this run's cars.
    let tag = "档案\(Int.random(in: 100_000...999_999))"

    override func setUp() async throws {
        clock = try TestClockFile(Self.start)
        suite = try await Suite.start(afterSalesEnvironment: clock.environment)
        // The database outlives the suite: start from the default churn rule.
        try await setChurnMonths(12)
    }

    override func tearDown() async throws {
        if let suite {
            try? await setChurnMonths(12)
            await suite.stop()
        }
        clock?.remove()
    }

    // MARK: helpers

    func setChurnMonths(_ months: Int) async throws {
        let admin = try await suite.login("admin")
        let reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: admin, json: Self.settings(churnMonths: months))
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["churnMonths"] as? Int, months, reply.text)
    }

    static func vin() -> String { AfterSalesRecordsTests.vin() }

    /// A PUT body of the after-sales settings: `churnMonths` and the default follow-up days.
    static func settings(churnMonths: Int) -> [String: Any] {
        ["churnMonths": churnMonths, "followUpDays": ["loyal": 3, "favoured": 5, "ordinary": 7, "lost": 7, "potential": 10]]
    }

    static func plate() -> String { "鄂A" + String(format: "%05d", Int.random(in: 0...99_999)) }

    static func mobile() -> String { "137" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    /// Creates a car in store 1 whose owner is named `name` (after the run's tag); its id and VIN.
    func makeCar(_ name: String, token: String, extra: [String: Any] = [:]) async throws -> (id: String, vin: String) {
        let vin = Self.vin()
        var body: [String: Any] = [
            "vin": vin, "plate": Self.plate(), "brand": "别克", "series": "君越", "model": "2026款 652T",
            "owner": ["name": tag + name, "mobile": Self.mobile()],
        ]
        body.merge(extra) { _, given in given }
        let reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: token, json: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return (try XCTUnwrap(reply.json["id"] as? String, reply.text), vin)
    }

    /// Opens a repair order for the car at `openedAt` (RFC 3339).
    @discardableResult
    func visit(_ vin: String, at openedAt: String, token: String, serviceAdvisor: String? = nil, mileageKm: Int = 10_000) async throws -> String {
        var body: [String: Any] = [
            "vin": vin, "customer": ["name": "送修客户", "mobile": "13871150099"], "businessType": "paidMaintenance",
            "mileageKm": mileageKm, "openedAt": openedAt,
        ]
        if let serviceAdvisor { body["serviceAdvisor"] = serviceAdvisor }
        let reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, json: body)
        XCTAssertEqual(reply.status, 201, "a visit at \(openedAt): \(reply.text)")
        return reply.json["id"] as? String ?? ""
    }

    func fetchVehicle(_ id: String, token: String) async throws -> [String: Any] {
        let reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles/\(id)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.json
    }

    /// The export at `path` as .xlsx, read with openpyxl: each data row as header → cell.
    func export(_ path: String, token: String) async throws -> [[String: String]] {
        let reply = try await suite.request(.GET, path + "&format=xlsx", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let sheet = try Spreadsheet.read(reply.body)
        guard let headers = sheet.first else { throw TestFailure("an empty workbook from \(path)") }
        return sheet.dropFirst().map { Dictionary(zip(headers, $0), uniquingKeysWith: { first, _ in first }) }
    }

    static func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    // MARK: customer classes

    /// Each class on both sides of each boundary, asserted through the API, the list's
    /// `customerClass` filter and the export. 2025-12-31T15:59Z is 23:59 on 31 December in
    /// Shanghai, 16:00Z is midnight of 1 January; the churn rule's boundary at 15 June 2026 is
    /// midnight of 15 June 2025 (14 June, 16:00Z), and with the store's rule at 6 months
    /// midnight of 15 December 2025. Then the clock stands at the store's last minute of 2026
    /// and at its first of 2027, when last year becomes 2026.
    func testClassesOnBothSidesOfNewYearAndOfTheChurnRule() async throws {
        let sa = try await suite.login("sa.1")
        let histories: [(name: String, visits: [String])] = [
            ("none", []),
            ("loyal", ["2025-07-01T02:00:00Z", "2025-12-31T15:59:00Z"]),
            ("favouredAcrossNewYear", ["2025-07-01T02:00:00Z", "2025-12-31T16:00:00Z"]),
            ("lastMinuteOf2025", ["2025-12-31T15:59:00Z"]),
            ("firstMinuteOf2026", ["2025-12-31T16:00:00Z"]),
            ("ordinary", ["2024-12-31T15:59:00Z", "2026-03-01T02:00:00Z"]),
            ("favouredNotOrdinary", ["2024-12-31T16:00:00Z", "2026-03-01T02:00:00Z"]),
            ("exactly12Months", ["2025-06-14T16:00:00Z"]),
            ("12MonthsAndAMinute", ["2025-06-14T15:59:00Z"]),
            ("exactly6Months", ["2025-12-14T16:00:00Z"]),
            ("6MonthsAndAMinute", ["2025-12-14T15:59:00Z"]),
        ]
        var ids: [String: String] = [:]
        for history in histories {
            let car = try await makeCar(history.name, token: sa)
            ids[history.name] = car.id
            for openedAt in history.visits { try await visit(car.vin, at: openedAt, token: sa) }
        }
        func expect(_ expected: [String: String], _ context: String) async throws {
            for (name, customerClass) in expected.sorted(by: { $0.key < $1.key }) {
                let vehicle = try await fetchVehicle(ids[name]!, token: sa)
                XCTAssertEqual(vehicle["customerClass"] as? String, customerClass, "\(name), \(context): \(vehicle)")
            }
        }

        // 15 June 2026, churn 12 months.
        try await expect([
            "none": "potential", "loyal": "loyal", "favouredAcrossNewYear": "favoured",
            "lastMinuteOf2025": "favoured", "firstMinuteOf2026": "potential",
            "ordinary": "ordinary", "favouredNotOrdinary": "favoured",
            "exactly12Months": "favoured", "12MonthsAndAMinute": "lost",
            "exactly6Months": "favoured", "6MonthsAndAMinute": "favoured",
        ], "15 June 2026, 12 months")
        var vehicle = try await fetchVehicle(ids["loyal"]!, token: sa)
        XCTAssertEqual(vehicle["visitsLastYear"] as? Int, 2, "\(vehicle)")
        XCTAssertEqual(vehicle["lastVisitAt"] as? String, "2025-12-31T15:59:00Z", "\(vehicle)")
        vehicle = try await fetchVehicle(ids["favouredAcrossNewYear"]!, token: sa)
        XCTAssertEqual(vehicle["visitsLastYear"] as? Int, 1, "\(vehicle)")
        vehicle = try await fetchVehicle(ids["none"]!, token: sa)
        XCTAssertEqual(vehicle["visitsLastYear"] as? Int, 0, "\(vehicle)")
        XCTAssertNil(vehicle["lastVisitAt"], "\(vehicle)")

        // The list filters by class; an unknown class is a 422 listing the store's words.
        var reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?pageSize=100&customerClass=lost&name=\(Self.encoded(tag))", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.items.compactMap { $0["id"] as? String }, [ids["12MonthsAndAMinute"]!], reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?pageSize=100&customerClass=favoured&name=\(Self.encoded(tag))", token: sa)
        XCTAssertEqual(
            Set(reply.items.compactMap { $0["id"] as? String }),
            Set(["favouredAcrossNewYear", "lastMinuteOf2025", "favouredNotOrdinary", "exactly12Months", "exactly6Months", "6MonthsAndAMinute"].map { ids[$0]! }),
            reply.text)
        XCTAssertEqual(reply.json["total"] as? Int, 6, reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?customerClass=vip", token: sa)
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(reply.problemFields, ["customerClass"], reply.text)
        XCTAssertTrue(reply.text.contains("loyal (忠诚客户)"), reply.text)
        // The export prints the classes in the store's words.
        let rows = try await export("/api/v1/after-sales/vehicles/export?name=\(Self.encoded(tag))", token: sa)
        let words = ["loyal": "忠诚客户", "favoured": "优惠客户", "ordinary": "普通客户", "lost": "流失客户", "potential": "潜在客户"]
        XCTAssertEqual(rows.count, histories.count)
        for row in rows {
            let name = String(row["车主", default: ""].dropFirst(tag.count))
            let vehicle = try await fetchVehicle(ids[name] ?? "", token: sa)
            XCTAssertEqual(row["客户类别"], words[vehicle["customerClass"] as? String ?? ""], "\(name): \(row)")
            XCTAssertEqual(row["去年到店次数"], String(vehicle["visitsLastYear"] as? Int ?? -1), "\(name): \(row)")
        }
        XCTAssertEqual(rows.first { $0["车主"] == tag + "loyal" }?["最近到店"], "2025-12-31 23:59:00", "store time")

        // The store's churn rule at 6 months: midnight of 15 December 2025 is the boundary.
        try await setChurnMonths(6)
        reply = try await suite.request(.GET, "/api/v1/after-sales/settings", token: sa)
        XCTAssertEqual(reply.json["churnMonths"] as? Int, 6, "the SA's store: \(reply.text)")
        try await expect([
            "none": "potential", "loyal": "loyal", "favouredAcrossNewYear": "favoured",
            "lastMinuteOf2025": "favoured", "firstMinuteOf2026": "potential",
            "ordinary": "ordinary", "favouredNotOrdinary": "favoured",
            "exactly12Months": "lost", "12MonthsAndAMinute": "lost",
            "exactly6Months": "favoured", "6MonthsAndAMinute": "lost",
        ], "15 June 2026, 6 months")
        try await setChurnMonths(12)

        // The store's last minute of 2026: last year is still 2025, and 12 months ago is
        // 31 December 2025 — its last minute is not lost yet, mid-December is.
        try clock.set(RFC3339.date(from: "2026-12-31T15:59:00Z")!)
        try await expect([
            "none": "potential", "loyal": "loyal", "favouredAcrossNewYear": "favoured",
            "lastMinuteOf2025": "favoured", "firstMinuteOf2026": "potential",
            "ordinary": "ordinary", "favouredNotOrdinary": "favoured",
            "exactly12Months": "lost", "exactly6Months": "lost", "6MonthsAndAMinute": "lost",
        ], "31 December 2026 23:59")
        // Its first minute of 2027: last year is 2026, and 12 months ago is 1 January 2026.
        try clock.set(RFC3339.date(from: "2026-12-31T16:00:00Z")!)
        try await expect([
            "none": "potential", "loyal": "lost", "favouredAcrossNewYear": "favoured",
            "lastMinuteOf2025": "lost", "firstMinuteOf2026": "favoured",
            "ordinary": "favoured", "favouredNotOrdinary": "favoured",
            "exactly12Months": "lost", "exactly6Months": "lost", "6MonthsAndAMinute": "lost",
        ], "1 January 2027 00:00")
        vehicle = try await fetchVehicle(ids["ordinary"]!, token: sa)
        XCTAssertEqual(vehicle["visitsLastYear"] as? Int, 1, "2026's visit: \(vehicle)")
    }

    /// The churn rule is the store's: read by everyone who reads vehicle files, set with
    /// `aftersales.configure` (the administrator), 1–60 months.
    func testTheChurnRuleIsASettingOfTheStore() async throws {
        let sa = try await suite.login("sa.1")
        var reply = try await suite.request(.GET, "/api/v1/after-sales/settings", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["churnMonths"] as? Int, 12, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: sa, json: Self.settings(churnMonths: 6))
        XCTAssertEqual(reply.status, 403, "an SA does not set the rules: \(reply.text)")
        let admin = try await suite.login("admin")
        for months in [0, 61, -1] {
            reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: admin, json: Self.settings(churnMonths: months))
            XCTAssertEqual(reply.status, 422, "\(months): \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["churnMonths"], reply.text)
        }
        for months in [1, 60, 18] {
            reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: admin, json: Self.settings(churnMonths: months))
            XCTAssertEqual(reply.status, 200, "\(months): \(reply.text)")
        }
        reply = try await suite.request(.GET, "/api/v1/after-sales/settings", token: sa)
        XCTAssertEqual(reply.json["churnMonths"] as? Int, 18, reply.text)
        // The follow-up days per class (§8.3) are kept as sent, each to its class, and checked.
        let days = ["loyal": 2, "favoured": 4, "ordinary": 6, "lost": 8, "potential": 11]
        reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: admin, json: ["churnMonths": 18, "followUpDays": days])
        XCTAssertEqual(reply.status, 200, reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/settings", token: sa)
        XCTAssertEqual(reply.json["followUpDays"] as? [String: Int], days, reply.text)
        reply = try await suite.request(.PUT, "/api/v1/after-sales/settings", token: admin, json: [
            "churnMonths": 18, "followUpDays": ["loyal": 0, "favoured": 5, "ordinary": 7, "lost": 7, "potential": 366],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["followUpDays.loyal", "followUpDays.potential"], reply.text)
        let otherStore = try await suite.login("sa.2")
        reply = try await suite.request(.GET, "/api/v1/after-sales/settings", token: otherStore)
        XCTAssertEqual(reply.json["churnMonths"] as? Int, 12, "store 2 keeps its own: \(reply.text)")
    }

    // MARK: current SA and last mileage

    /// The current SA is the one set on the file, else the SA of the latest repair order (by
    /// opening time, not by entry); the last mileage is the latest order's reading, not the
    /// highest, skipping orders that recorded none (0 km). Another store's orders of the same
    /// VIN count for nothing.
    func testCurrentServiceAdvisorAndLastMileageFollowTheLatestRepairOrder() async throws {
        let sa = try await suite.login("sa.1")
        let car = try await makeCar("服务顾问", token: sa)
        var vehicle = try await fetchVehicle(car.id, token: sa)
        XCTAssertNil(vehicle["currentServiceAdvisor"], "no visit, none set: \(vehicle)")
        XCTAssertNil(vehicle["lastMileageKm"], "\(vehicle)")

        try await visit(car.vin, at: "2026-01-10T02:00:00Z", token: sa, serviceAdvisor: "张师傅", mileageKm: 30_000)
        try await visit(car.vin, at: "2026-05-20T02:00:00Z", token: sa, serviceAdvisor: "李顾问", mileageKm: 45_000)
        // Entered later, opened earlier: not the latest visit.
        try await visit(car.vin, at: "2026-03-01T02:00:00Z", token: sa, serviceAdvisor: "赵顾问", mileageKm: 50_000)
        vehicle = try await fetchVehicle(car.id, token: sa)
        XCTAssertEqual(vehicle["currentServiceAdvisor"] as? String, "李顾问", "\(vehicle)")
        XCTAssertEqual(vehicle["lastMileageKm"] as? Int, 45_000, "the latest reading, not the highest: \(vehicle)")
        XCTAssertNil(vehicle["serviceAdvisor"], "\(vehicle)")

        // The latest visit recorded no mileage.
        try await visit(car.vin, at: "2026-06-01T02:00:00Z", token: sa, serviceAdvisor: "钱顾问", mileageKm: 0)
        // Store 2's order of the same VIN is store 2's.
        let sa2 = try await suite.login("sa.2")
        let elsewhere = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: sa2, json: [
            "vin": car.vin, "plate": Self.plate(), "customer": ["name": "别店客户", "mobile": "13871150098"],
            "businessType": "generalRepair", "mileageKm": 99_999, "serviceAdvisor": "孙顾问", "openedAt": "2026-06-10T02:00:00Z",
        ])
        XCTAssertEqual(elsewhere.status, 201, elsewhere.text)
        vehicle = try await fetchVehicle(car.id, token: sa)
        XCTAssertEqual(vehicle["currentServiceAdvisor"] as? String, "钱顾问", "\(vehicle)")
        XCTAssertEqual(vehicle["lastMileageKm"] as? Int, 45_000, "a 0 is no reading: \(vehicle)")
        XCTAssertEqual(vehicle["lastVisitAt"] as? String, "2026-06-01T02:00:00Z", "\(vehicle)")

        // One set by hand wins, until it is removed.
        var reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(car.id)", token: sa, json: ["serviceAdvisor": "王经理"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["serviceAdvisor"] as? String, "王经理", reply.text)
        XCTAssertEqual(reply.json["currentServiceAdvisor"] as? String, "王经理", reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?vin=\(car.vin)", token: sa)
        XCTAssertEqual(reply.items.first?["currentServiceAdvisor"] as? String, "王经理", "in the list too: \(reply.text)")
        let rows = try await export("/api/v1/after-sales/vehicles/export?vin=\(car.vin)", token: sa)
        XCTAssertEqual(rows.first?["指定服务顾问"], "王经理")
        XCTAssertEqual(rows.first?["当前服务顾问"], "王经理")
        XCTAssertEqual(rows.first?["最近里程(km)"], "45000")
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(car.id)", token: sa, json: ["serviceAdvisor": NSNull()])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertNil(reply.json["serviceAdvisor"], reply.text)
        XCTAssertEqual(reply.json["currentServiceAdvisor"] as? String, "钱顾问", reply.text)

        // A file entered with an SA and no visit.
        let set = try await makeCar("指定顾问", token: sa, extra: ["serviceAdvisor": "  周顾问 "])
        vehicle = try await fetchVehicle(set.id, token: sa)
        XCTAssertEqual(vehicle["serviceAdvisor"] as? String, "周顾问", "trimmed: \(vehicle)")
        XCTAssertEqual(vehicle["currentServiceAdvisor"] as? String, "周顾问", "\(vehicle)")
    }

    // MARK: the customers' profile

    /// Every new field — each person's gender, birth date, region, source and licence expiry,
    /// the warranty's end and the SA — comes back from POST and GET as sent, changes with
    /// PATCH (a person sent replaces the whole person), and is exported in the store's words.
    /// A source the store added to its open set is taken and printed in its words.
    func testEveryNewFieldRoundTripsThroughTheAPIAndTheExport() async throws {
        let sa = try await suite.login("sa.1")
        let admin = try await suite.login("admin")
        let ownSource = "club_\(Int.random(in: 10_000...99_999))"
        var reply = try await suite.request(.PUT, "/api/v1/identity/dictionaries/customerSource/entries/\(ownSource)", token: admin, json: [
            "storeId": store1, "label": "车友会\(ownSource.suffix(5))",
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        // Wait until AfterSales has the store's new code from the gateway.
        let learned = try await eventually(timeout: .seconds(15)) {
            try await self.suite.database.scalar("""
                SELECT count(*)::int8 FROM aftersales.directory_dictionary
                WHERE store_id = '\(self.store1)' AND set_name = 'customerSource' AND entries::text LIKE '%\(ownSource)%'
                """) == 1
        }
        XCTAssertTrue(learned, "AfterSales learns the store's own source")

        let vin = Self.vin()
        let owner: [String: Any] = [
            "name": tag + "车主", "mobile": "+86 138-7115-0021", "gender": "female", "birthDate": "1985-02-28",
            "province": "湖北省", "city": "武汉市", "source": "referral", "licenceExpiry": "2027-03-01",
        ]
        let user: [String: Any] = [
            "name": "刘洋", "mobile": "13871150022", "gender": "male", "birthDate": "1990-12-31", "province": "湖北省",
            "city": "宜昌市", "source": "walk_in", "licenceExpiry": "2028-12-31",
        ]
        let driver: [String: Any] = ["name": "何师傅", "mobile": "13871150023", "birthDate": "2026-06-15", "source": "insurance_referral"]
        reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": Self.plate(), "brand": "别克", "series": "君越", "model": "2026款 652T",
            "warrantyEndDate": "2029-06-30", "warrantyEndKm": 100_000, "serviceAdvisor": "李顾问",
            "owner": owner, "user": user, "driver": driver,
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let id = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        func check(_ vehicle: [String: Any], _ context: String) {
            let owner = vehicle["owner"] as? [String: Any] ?? [:]
            XCTAssertEqual(owner["mobile"] as? String, "13871150021", context)
            for (key, value) in [("gender", "female"), ("birthDate", "1985-02-28"), ("province", "湖北省"), ("city", "武汉市"), ("source", "referral"), ("licenceExpiry", "2027-03-01")] {
                XCTAssertEqual(owner[key] as? String, value, "owner.\(key), \(context)")
            }
            let user = vehicle["user"] as? [String: Any] ?? [:]
            for (key, value) in [("gender", "male"), ("birthDate", "1990-12-31"), ("province", "湖北省"), ("city", "宜昌市"), ("source", "walk_in"), ("licenceExpiry", "2028-12-31")] {
                XCTAssertEqual(user[key] as? String, value, "user.\(key), \(context)")
            }
            let driver = vehicle["driver"] as? [String: Any] ?? [:]
            XCTAssertEqual(driver["birthDate"] as? String, "2026-06-15", "born today is allowed: \(context)")
            XCTAssertEqual(driver["source"] as? String, "insurance_referral", context)
            XCTAssertNil(driver["gender"], context)
            XCTAssertNil(driver["province"], context)
            XCTAssertEqual(vehicle["warrantyEndDate"] as? String, "2029-06-30", context)
            XCTAssertEqual(vehicle["warrantyEndKm"] as? Int, 100_000, context)
            XCTAssertEqual(vehicle["serviceAdvisor"] as? String, "李顾问", context)
            XCTAssertEqual(vehicle["customerClass"] as? String, "potential", context)
            XCTAssertEqual(vehicle["visitsLastYear"] as? Int, 0, context)
        }
        check(reply.json, "created")
        check(try await fetchVehicle(id, token: sa), "read back")

        // The export, in the store's words.
        var rows = try await export("/api/v1/after-sales/vehicles/export?vin=\(vin)", token: sa)
        XCTAssertEqual(rows.count, 1)
        var row = rows.first ?? [:]
        let expected: [String: String] = [
            "车主": tag + "车主", "车主电话": "13871150021", "车主性别": "女", "车主出生日期": "1985-02-28", "车主省份": "湖北省",
            "车主城市": "武汉市", "车主来源": "老客户介绍", "车主驾驶证到期": "2027-03-01",
            "使用者": "刘洋", "使用者电话": "13871150022", "使用者性别": "男", "使用者出生日期": "1990-12-31", "使用者城市": "宜昌市",
            "使用者来源": "自然进店", "使用者驾驶证到期": "2028-12-31",
            "驾驶员": "何师傅", "驾驶员性别": "", "驾驶员来源": "保险推修",
            "质保到期日": "2029-06-30", "质保里程(km)": "100000", "指定服务顾问": "李顾问", "当前服务顾问": "李顾问",
            "最近里程(km)": "", "客户类别": "潜在客户", "最近到店": "", "去年到店次数": "0",
        ]
        for (header, value) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(row[header], value, "\(header): \(row)")
        }

        // A change: the owner replaced whole (what is left out is gone), the user removed, the
        // driver's source the store's own, the warranty's day removed and its mileage changed.
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(id)", token: sa, json: [
            "owner": ["name": tag + "新车主", "mobile": "13871150024", "gender": "male", "city": "  孝感市 ", "source": "online"],
            "user": NSNull(),
            "driver": ["name": "何师傅", "mobile": "13871150023", "source": ownSource, "licenceExpiry": "2030-01-15"],
            "warrantyEndDate": NSNull(), "warrantyEndKm": 60_000,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        let changed = try await fetchVehicle(id, token: sa)
        let newOwner = changed["owner"] as? [String: Any] ?? [:]
        XCTAssertEqual(newOwner["name"] as? String, tag + "新车主", "\(changed)")
        XCTAssertEqual(newOwner["gender"] as? String, "male", "\(changed)")
        XCTAssertEqual(newOwner["city"] as? String, "孝感市", "trimmed: \(changed)")
        XCTAssertEqual(newOwner["source"] as? String, "online", "\(changed)")
        XCTAssertNil(newOwner["birthDate"], "the whole person was replaced: \(changed)")
        XCTAssertNil(newOwner["province"], "\(changed)")
        XCTAssertNil(newOwner["licenceExpiry"], "\(changed)")
        XCTAssertNil(changed["user"], "\(changed)")
        let newDriver = changed["driver"] as? [String: Any] ?? [:]
        XCTAssertEqual(newDriver["source"] as? String, ownSource, "\(changed)")
        XCTAssertEqual(newDriver["licenceExpiry"] as? String, "2030-01-15", "\(changed)")
        XCTAssertNil(newDriver["birthDate"], "\(changed)")
        XCTAssertNil(changed["warrantyEndDate"], "\(changed)")
        XCTAssertEqual(changed["warrantyEndKm"] as? Int, 60_000, "\(changed)")
        XCTAssertEqual(changed["serviceAdvisor"] as? String, "李顾问", "left out, kept: \(changed)")

        rows = try await export("/api/v1/after-sales/vehicles/export?vin=\(vin)", token: sa)
        row = rows.first ?? [:]
        for (header, value) in [
            ("车主", tag + "新车主"), ("车主性别", "男"), ("车主城市", "孝感市"), ("车主来源", "网络"), ("车主出生日期", ""),
            ("使用者", ""), ("使用者来源", ""), ("驾驶员来源", "车友会\(ownSource.suffix(5))"), ("驾驶员驾驶证到期", "2030-01-15"),
            ("质保到期日", ""), ("质保里程(km)", "60000"),
        ] {
            XCTAssertEqual(row[header], value, "\(header): \(row)")
        }
    }

    /// Bad values of several new fields at once: one 422 naming every one of them, on POST
    /// and on PATCH, and nothing written.
    func testBadValuesOfSeveralFieldsAreNamedInOne422() async throws {
        let sa = try await suite.login("sa.1")
        let vin = Self.vin()
        var reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: sa, json: [
            "vin": vin, "plate": Self.plate(), "brand": "别克", "series": "君越", "model": "2026款 652T",
            "warrantyEndDate": "2029-13-01", "warrantyEndKm": -1, "serviceAdvisor": String(repeating: "长", count: 51),
            "owner": [
                "name": tag + "坏值", "mobile": "13871150031", "gender": "unknown", "birthDate": "2026-06-16",
                "province": String(repeating: "省", count: 21), "licenceExpiry": "2027/03/01",
            ],
            "user": ["name": "刘洋", "mobile": "13871150032", "birthDate": "1990-02-30", "source": "television"],
            "driver": ["name": "何师傅", "mobile": "13871150033", "city": String(repeating: "市", count: 21), "gender": "女"],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), [
            "warrantyEndDate", "warrantyEndKm", "serviceAdvisor", "owner.gender", "owner.birthDate", "owner.province",
            "owner.licenceExpiry", "user.birthDate", "user.source", "driver.city", "driver.gender",
        ], reply.text)
        XCTAssertTrue(reply.text.contains("must not be after today (2026-06-15)"), "the store's today: \(reply.text)")
        XCTAssertTrue(reply.text.contains("new_car_sale (新车销售)"), "the store's sources and words: \(reply.text)")
        XCTAssertTrue(reply.text.contains("male (男)"), reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/vehicles?vin=\(vin)", token: sa)
        XCTAssertEqual(reply.items.count, 0, "nothing written: \(reply.text)")

        let car = try await makeCar("坏值修改", token: sa, extra: ["warrantyEndKm": 80_000])
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/vehicles/\(car.id)", token: sa, json: [
            "warrantyEndKm": 2_000_001, "warrantyEndDate": "2029-02-29",
            "owner": ["name": " ", "mobile": "13871150034", "source": "tv"],
            "driver": ["name": "何师傅", "mobile": "12345", "licenceExpiry": "tomorrow"],
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), [
            "warrantyEndKm", "warrantyEndDate", "owner.name", "owner.source", "driver.mobile", "driver.licenceExpiry",
        ], reply.text)
        let vehicle = try await fetchVehicle(car.id, token: sa)
        XCTAssertEqual(vehicle["warrantyEndKm"] as? Int, 80_000, "nothing changed: \(vehicle)")
        XCTAssertNil(vehicle["driver"], "\(vehicle)")
    }
}
