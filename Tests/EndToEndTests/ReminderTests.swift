import Contracts
import Foundation
import NIOHTTP1
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// Care reminders (关怀, SPEC AS7; issue 13 item 4) end to end: two crm-aftersales processes on
/// one moved clock (store HX000001, Asia/Shanghai), each running the reminder pass every second.
///
/// The clock starts at 10:00 on Friday 26 February 2027 (a common year). The switches are
/// turned on that day, so that day generates nothing; 27 February generates each reminder due
/// then (birthdays of owner and driver — not of the user, who has the owner's mobile —,
/// maintenance by months and by the km trend, the annual inspection of year 6 but not of year
/// 5, the warranty 3 days ahead, a licence expiry), exactly once however many passes of the
/// two processes; 28 February generates the birthday of someone born on 29 February 2000, and
/// not the licence expiry of a kind switched off that morning. Then the lists by day, kind and
/// done, marking done, and the export in the store's words.
final class ReminderTests: XCTestCase {
    var suite: Suite!
    var second: ServiceProcess?
    var clock: TestClockFile!
    /// 10:00 on 26 February 2027 in Shanghai.
    static let start = "2027-02-26T02:00:00Z"
    static let day = 24.0
    let store1 = StoreID.forStoreCode("HX000001").uuidString
    /// In every owner's name of this run: the database outlives the suite.
    let tag = "关怀\(Int.random(in: 100_000...999_999))"

    override func setUp() async throws {
        clock = try TestClockFile(Self.start)
        let environment = clock.environment.merging(["CRM_REMINDER_PASS_SECONDS": "1"]) { _, given in given }
        suite = try await Suite.start(afterSalesEnvironment: environment)
        let second = try ServiceProcess(.afterSales)
        try second.start(overrides: environment)
        try await second.waitUntilReady()
        self.second = second
        try await setSwitches(on: false)
    }

    override func tearDown() async throws {
        if let suite {
            try? await setSwitches(on: false)
            await suite.stop()
        }
        await second?.stop()
        clock?.remove()
    }

    // MARK: helpers

    /// Every kind on or off: days ahead 0, the warranty's 3; the default rules otherwise.
    @discardableResult
    func setSwitches(on: Bool, except off: Set<String> = []) async throws -> [String: Any] {
        let admin = try await suite.login("admin")
        var switches: [String: Any] = [:]
        for kind in ["maintenance", "annualInspection", "birthday", "warrantyExpiry", "licenceReview"] {
            switches[kind] = ["enabled": on && !off.contains(kind), "daysAhead": kind == "warrantyExpiry" ? 3 : 0]
        }
        let reply = try await suite.request(.PUT, "/api/v1/after-sales/reminder-settings", token: admin, json: [
            "switches": switches, "defaultContactMethod": "phone", "maintenanceIntervalMonths": 6, "maintenanceIntervalKm": 5000,
            "inspectionFirstYear": 6, "inspectionEveryYears": 4, "inspectionYearlyFromYear": 11,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.json
    }

    static func mobile() -> String { "136" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    /// A car of store 1 whose owner is `tag + name`; its id and VIN.
    func makeCar(_ name: String, token: String, owner: [String: Any] = [:], extra: [String: Any] = [:]) async throws -> (id: String, vin: String) {
        let vin = AfterSalesRecordsTests.vin()
        var person: [String: Any] = ["name": tag + name, "mobile": Self.mobile()]
        person.merge(owner) { _, given in given }
        var body: [String: Any] = ["vin": vin, "plate": CustomerFileTests.plate(), "brand": "别克", "series": "君越", "model": "2026款 652T", "owner": person]
        body.merge(extra) { _, given in given }
        let reply = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: token, json: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return (try XCTUnwrap(reply.json["id"] as? String, reply.text), vin)
    }

    func visit(_ vin: String, at openedAt: String, mileageKm: Int, token: String) async throws {
        let reply = try await suite.request(.POST, "/api/v1/after-sales/repair-orders", token: token, json: [
            "vin": vin, "customer": ["name": "送修客户", "mobile": "13871150099"], "businessType": "paidMaintenance",
            "mileageKm": mileageKm, "openedAt": openedAt,
        ])
        XCTAssertEqual(reply.status, 201, "a visit at \(openedAt): \(reply.text)")
    }

    /// This run's reminders in the database: "kind/role/dueOn/remindOn" per owner name (without the tag).
    func reminders() async throws -> [String] {
        var found: [String] = []
        let rows = try await suite.database.client.query(PostgresQuery(unsafeSQL: """
            SELECT substr(v.owner_name, \(tag.count + 1)), m.kind, m.person_role, m.due_on::text, m.remind_on::text
            FROM aftersales.reminder m JOIN aftersales.vehicle v ON v.id = m.vehicle_id
            WHERE v.owner_name LIKE '\(tag)%' ORDER BY 1, 2, 3, 4
            """))
        for try await (name, kind, role, due, remind) in rows.decode((String, String, String, String, String).self) {
            found.append("\(name) \(kind)/\(role)/\(due)/\(remind)")
        }
        return found
    }

    /// Waits until the run's reminders are `expected`, then lets both processes run a few more
    /// passes and checks they are still exactly that (no second copy of any).
    func expectReminders(_ expected: [String], _ context: String) async throws {
        var found: [String] = []
        _ = try await eventually(timeout: .seconds(20)) {
            found = try await reminders()
            return found == expected.sorted()
        }
        XCTAssertEqual(found, expected.sorted(), context)
        try await Task.sleep(for: .seconds(3))
        found = try await reminders()
        XCTAssertEqual(found, expected.sorted(), "\(context), after more passes of both processes")
    }

    func export(_ query: String, token: String) async throws -> [[String: String]] {
        let reply = try await suite.request(.GET, "/api/v1/after-sales/reminders/export?format=xlsx&" + query, token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        let sheet = try Spreadsheet.read(reply.body)
        guard let headers = sheet.first else { throw TestFailure("an empty workbook") }
        return sheet.dropFirst().map { Dictionary(zip(headers, $0), uniquingKeysWith: { first, _ in first }) }
    }

    // MARK: the test

    func testRemindersAreGeneratedOncePerDayFromTheDayAfterTheSwitchWithTwoProcesses() async throws {
        let sa = try await suite.login("sa.1")
        let sharedMobile = Self.mobile()
        _ = try await makeCar("birthdayToday", token: sa, owner: ["birthDate": "1980-02-26"])
        _ = try await makeCar("birthdayTomorrow", token: sa, owner: ["birthDate": "1990-02-27", "mobile": sharedMobile], extra: [
            "user": ["name": "同一人", "mobile": sharedMobile, "birthDate": "1990-02-27"],
            "driver": ["name": "司机", "mobile": Self.mobile(), "birthDate": "1985-02-27"],
        ])
        _ = try await makeCar("leap", token: sa, owner: ["birthDate": "2000-02-29"])
        // A company car: the owner has no birthday; its user, on the owner's mobile, has one.
        let companyMobile = Self.mobile()
        _ = try await makeCar("companyCar", token: sa, owner: ["mobile": companyMobile], extra: [
            "user": ["name": "公司用车人", "mobile": companyMobile, "birthDate": "1988-02-27"],
        ])
        // A fleet contact who owns two of the store's cars: one birthday call, not two.
        let fleetMobile = Self.mobile()
        for _ in 0..<2 { _ = try await makeCar("fleet", token: sa, owner: ["mobile": fleetMobile, "birthDate": "1975-02-27"]) }
        // A visit at 00:30 on 27 August in Shanghai (26 August in UTC): six months on the
        // store's calendar is 27 February.
        let months = try await makeCar("maintenanceMonths", token: sa)
        try await visit(months.vin, at: "2026-08-26T16:30:00Z", mileageKm: 8_000, token: sa)
        // 180 km a day from 2 December to 30 January (59 days): 5,000 km more in 28 days, on
        // 27 February — long before 6 months.
        let km = try await makeCar("maintenanceKm", token: sa)
        try await visit(km.vin, at: "2026-12-02T02:00:00Z", mileageKm: 10_000, token: sa)
        try await visit(km.vin, at: "2027-01-30T02:00:00Z", mileageKm: 10_000 + 59 * 180, token: sa)
        _ = try await makeCar("inspectionYear6", token: sa, extra: ["registrationDate": "2021-02-27"])
        _ = try await makeCar("inspectionYear5", token: sa, extra: ["registrationDate": "2022-02-27"])
        _ = try await makeCar("warranty", token: sa, extra: ["warrantyEndDate": "2027-03-02"])
        _ = try await makeCar("licence", token: sa, owner: ["licenceExpiry": "2027-02-27"])
        _ = try await makeCar("licence28", token: sa, owner: ["licenceExpiry": "2027-02-28"])

        // 26 February: switched on today, in effect tomorrow — nothing today, not even the
        // birthday that is today.
        let settings = try await setSwitches(on: true)
        let switches = settings["switches"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(switches["birthday"]?["effectiveFrom"] as? String, "2027-02-27", "\(settings)")
        XCTAssertEqual(switches["birthday"]?["enabled"] as? Bool, true, "\(settings)")
        // Saving again the same day keeps the day it takes effect.
        let again = try await setSwitches(on: true)
        XCTAssertEqual((again["switches"] as? [String: [String: Any]])?["maintenance"]?["effectiveFrom"] as? String, "2027-02-27")
        try await Task.sleep(for: .seconds(3))
        var found = try await reminders()
        XCTAssertEqual(found, [], "a switch turned on today generates nothing today")
        var reply = try await suite.request(.GET, "/api/v1/after-sales/reminders", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertFalse(reply.items.contains { ($0["personName"] as? String)?.hasPrefix(tag) ?? false }, reply.text)

        // 27 February, 00:00:30 in Shanghai.
        try clock.set(RFC3339.date(from: "2027-02-26T16:00:30Z")!)
        let on27 = [
            "birthdayTomorrow birthday/owner/2027-02-27/2027-02-27",
            "birthdayTomorrow birthday/driver/2027-02-27/2027-02-27",
            "companyCar birthday/user/2027-02-27/2027-02-27",
            "fleet birthday/owner/2027-02-27/2027-02-27",
            "maintenanceMonths maintenance/owner/2027-02-27/2027-02-27",
            "maintenanceKm maintenance/owner/2027-02-27/2027-02-27",
            "inspectionYear6 annual_inspection/owner/2027-02-27/2027-02-27",
            "warranty warranty_expiry/owner/2027-03-02/2027-02-27",
            "licence licence_review/owner/2027-02-27/2027-02-27",
        ]
        try await expectReminders(on27, "27 February")

        // The list of the day (today by default), by kind, with the contact method.
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?pageSize=200", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        var ours = reply.items.filter { ($0["personName"] as? String)?.hasPrefix(tag) ?? false || $0["personName"] as? String == "司机" }
        XCTAssertTrue(reply.items.allSatisfy { $0["remindOn"] as? String == "2027-02-27" }, reply.text)
        XCTAssertTrue(ours.allSatisfy { $0["contactMethod"] as? String == "phone" && $0["done"] as? Bool == false }, "\(ours)")
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?date=2027-02-27&kind=maintenance&pageSize=200", token: sa)
        ours = reply.items.filter { ($0["personName"] as? String)?.hasPrefix(tag) ?? false }
        XCTAssertEqual(Set(ours.compactMap { $0["vin"] as? String }), [months.vin, km.vin], reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?date=2027-02-26&pageSize=200", token: sa)
        XCTAssertFalse(reply.items.contains { ($0["personName"] as? String)?.hasPrefix(tag) ?? false }, reply.text)

        // Done, with the method used and a note; then the done filter.
        let kmReminder = try XCTUnwrap(ours.first { $0["vin"] as? String == km.vin })
        let id = try XCTUnwrap(kmReminder["id"] as? String)
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/reminders/\(id)", token: sa, json: ["done": true, "contactMethod": "sms", "note": "已约周六保养"])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["done"] as? Bool, true)
        XCTAssertEqual(reply.json["contactMethod"] as? String, "sms")
        XCTAssertEqual(reply.json["note"] as? String, "已约周六保养")
        let sa1ID = try await suite.userID("sa.1")
        XCTAssertEqual((reply.json["doneBy"] as? String)?.lowercased(), sa1ID.lowercased())
        XCTAssertEqual(reply.json["doneAt"] as? String, "2027-02-26T16:00:30Z", "the service clock's now")
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?kind=maintenance&done=true&pageSize=200", token: sa)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == id }, reply.text)
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?kind=maintenance&done=false&pageSize=200", token: sa)
        XCTAssertFalse(reply.items.contains { $0["id"] as? String == id }, reply.text)
        XCTAssertTrue(reply.items.contains { $0["vin"] as? String == months.vin }, reply.text)
        // Bad fields are named together; another store's SA does not find it.
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/reminders/\(id)", token: sa, json: ["done": false, "contactMethod": "fax", "note": String(repeating: "很", count: 501)])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), ["contactMethod", "note"], reply.text)
        let sa2 = try await suite.login("sa.2")
        reply = try await suite.request(.PATCH, "/api/v1/after-sales/reminders/\(id)", token: sa2, json: ["done": false])
        XCTAssertEqual(reply.status, 404, reply.text)

        // The export, in the store's words.
        let rows = try await export("date=2027-02-27", token: sa)
        let kmRow = try XCTUnwrap(rows.first { $0["VIN"] == km.vin }, "\(rows)")
        XCTAssertEqual(kmRow["关怀类型"], "定期保养")
        XCTAssertEqual(kmRow["提醒方式"], "短信")
        XCTAssertEqual(kmRow["状态"], "已完成")
        XCTAssertEqual(kmRow["对象"], "车主")
        XCTAssertEqual(kmRow["完成时间"], "2027-02-27 00:00:00", "store time, to the minute")
        XCTAssertEqual(kmRow["备注"], "已约周六保养")
        XCTAssertEqual(kmRow["到期日"], "2027-02-27")
        let driverRow = try XCTUnwrap(rows.first { $0["姓名"] == "司机" && $0["关怀类型"] == "生日关怀" }, "\(rows)")
        XCTAssertEqual(driverRow["对象"], "驾驶员")
        XCTAssertEqual(driverRow["提醒方式"], "电话")
        XCTAssertEqual(driverRow["状态"], "未完成")
        XCTAssertEqual(rows.first { $0["姓名"] == tag + "warranty" }?["到期日"], "2027-03-02")

        // 28 February: the licence kind is switched off in the morning — at once —, and
        // 29 February's birthday falls today.
        try await setSwitches(on: true, except: ["licenceReview"])
        try clock.set(RFC3339.date(from: "2027-02-27T16:00:30Z")!)
        try await expectReminders(on27 + ["leap birthday/owner/2027-02-28/2027-02-28"], "28 February")
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?kind=birthday&pageSize=200", token: sa)
        XCTAssertTrue(reply.items.contains { $0["personName"] as? String == tag + "leap" && $0["dueOn"] as? String == "2027-02-28" }, reply.text)
        // The switches still on kept their day.
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminder-settings", token: sa)
        let now = reply.json["switches"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(now["birthday"]?["effectiveFrom"] as? String, "2027-02-27", reply.text)
        XCTAssertNil(now["licenceReview"]?["effectiveFrom"], reply.text)
        XCTAssertEqual(now["licenceReview"]?["enabled"] as? Bool, false, reply.text)
        found = try await reminders()
        XCTAssertFalse(found.contains { $0.hasPrefix("licence28") }, "\(found)")
    }

    /// The store's own rules: inspection every 2 years from year 2 and yearly from year 7 (the
    /// rule of seed 002's time), maintenance every 3 months and by months only (no km), letters
    /// by default. 10 March 2027 switches on, 11 March generates.
    func testTheStoresInspectionRuleMaintenanceMonthsAndContactMethod() async throws {
        try clock.set(RFC3339.date(from: "2027-03-10T02:00:00Z")!)
        let sa = try await suite.login("sa.1")
        _ = try await makeCar("inspectionYear1", token: sa, extra: ["registrationDate": "2026-03-11"])
        _ = try await makeCar("inspectionYear4", token: sa, extra: ["registrationDate": "2023-03-11"])
        _ = try await makeCar("inspectionYear5", token: sa, extra: ["registrationDate": "2022-03-11"])
        _ = try await makeCar("inspectionYear7", token: sa, extra: ["registrationDate": "2020-03-11"])
        let months = try await makeCar("months3", token: sa)
        try await visit(months.vin, at: "2026-12-11T02:00:00Z", mileageKm: 30_000, token: sa)
        // 180 km a day: 5,000 km more on 11 March — but the store counts months only.
        let km = try await makeCar("kmNotCounted", token: sa)
        try await visit(km.vin, at: "2027-01-12T02:00:00Z", mileageKm: 10_000, token: sa)
        try await visit(km.vin, at: "2027-02-11T02:00:00Z", mileageKm: 10_000 + 30 * 180, token: sa)
        let admin = try await suite.login("admin")
        let on: [String: Any] = ["enabled": true, "daysAhead": 0]
        let off: [String: Any] = ["enabled": false, "daysAhead": 0]
        var reply = try await suite.request(.PUT, "/api/v1/after-sales/reminder-settings", token: admin, json: [
            "switches": ["maintenance": on, "annualInspection": on, "birthday": off, "warrantyExpiry": off, "licenceReview": off],
            "defaultContactMethod": "letter", "maintenanceIntervalMonths": 3, "maintenanceIntervalKm": NSNull(),
            "inspectionFirstYear": 2, "inspectionEveryYears": 2, "inspectionYearlyFromYear": 7,
        ])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertNil(reply.json["maintenanceIntervalKm"], reply.text)
        XCTAssertEqual(reply.json["defaultContactMethod"] as? String, "letter", reply.text)

        try clock.set(RFC3339.date(from: "2027-03-10T16:00:05Z")!)
        try await expectReminders([
            "inspectionYear4 annual_inspection/owner/2027-03-11/2027-03-11",
            "inspectionYear7 annual_inspection/owner/2027-03-11/2027-03-11",
            "months3 maintenance/owner/2027-03-11/2027-03-11",
        ], "11 March, the store's rules")
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminders?pageSize=200", token: sa)
        let ours = reply.items.filter { ($0["personName"] as? String)?.hasPrefix(tag) ?? false }
        XCTAssertEqual(ours.count, 3, reply.text)
        XCTAssertTrue(ours.allSatisfy { $0["contactMethod"] as? String == "letter" }, "\(ours)")
    }

    func testSettingsNameEveryBadField() async throws {
        let admin = try await suite.login("admin")
        let off: [String: Any] = ["enabled": false, "daysAhead": 0]
        var reply = try await suite.request(.PUT, "/api/v1/after-sales/reminder-settings", token: admin, json: [
            "switches": ["maintenance": off, "annualInspection": off, "birthday": ["enabled": true, "daysAhead": 91], "warrantyExpiry": off, "licenceReview": off],
            "defaultContactMethod": "fax", "maintenanceIntervalMonths": 0, "maintenanceIntervalKm": 100,
            "inspectionFirstYear": 6, "inspectionEveryYears": 11, "inspectionYearlyFromYear": 11,
        ])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertEqual(Set(reply.problemFields), [
            "switches.birthday.daysAhead", "defaultContactMethod", "maintenanceIntervalMonths", "maintenanceIntervalKm", "inspectionEveryYears",
        ], reply.text)
        XCTAssertTrue(reply.text.contains("phone (电话)"), reply.text)
        // An SA reads the rules but may not change them.
        let sa = try await suite.login("sa.1")
        reply = try await suite.request(.GET, "/api/v1/after-sales/reminder-settings", token: sa)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["defaultContactMethod"] as? String, "phone", reply.text)
        reply = try await suite.request(.PUT, "/api/v1/after-sales/reminder-settings", token: sa, json: [String: Any]())
        XCTAssertEqual(reply.status, 403, reply.text)
    }
}
