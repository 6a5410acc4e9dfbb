import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// The after-sales report (售后报表, SPEC AS8) on a crafted data set: crm-aftersales as a process
/// on a fixed clock (12:00 on 15 December 2026 in Shanghai), a store of its own (Asia/Shanghai,
/// the directory's default; the churn rule at its default of 12 months), cars, repair orders and
/// campaign tasks seeded with SQL, so that every figure is known:
///
/// | car | visits (store time)                                        | role in the report             |
/// |-----|------------------------------------------------------------|--------------------------------|
/// | A   | 10 Mar 2025; 30 Nov 2026 23:59 (付费保养, 王, 500.00)       | a lost car back: not retained  |
/// | B   | 1 Dec 2026 00:00 (首保, 李, open)                           | new in December, not November  |
/// | C   | 5 Nov 2026 (首保, 王, 88.50)                                | new in November                |
/// | D   | 1 Mar 2026; 10 Nov 2026 (事故维修, 王; completed 2 Dec, 3000) | retained, back in November     |
/// | E   | 15 Jan 2026                                                | retained, not back             |
/// | F   | 15 Nov 2025 10:00                                          | lost from 16 Nov 2026          |
/// | G   | 31 Oct 2025 23:59                                          | lost from 1 Nov 2026 00:00     |
/// | I   | 1 May 2024; 30 Sep 2026 23:59 (一般维修, 李, 150)           | Q3, not Q4                     |
/// | J   | 1 Oct 2026 00:00 (首保, no SA, 66)                          | new in Q4, not in Q3           |
/// | K   | none                                                       | nothing                        |
final class AfterSalesReportTests: XCTestCase {
    let tag = String(format: "%06d", Int.random(in: 0...999_999))
    /// The process under test, whose log a failed request shows.
    var afterSales: ServiceProcess?

    func testEveryFigureOfTheDailyMonthlyAndQuarterlyReportsOnACraftedStore() async throws {
        let storeCode = "RP\(tag)"
        let store = StoreID.forStoreCode(storeCode)
        let database = try await AdminDatabase()
        defer { database.shutdown() }
        let clock = try TestClockFile("2026-12-15T04:00:00Z")
        defer { clock.remove() }
        let afterSales = try ServiceProcess(.afterSales)
        self.afterSales = afterSales
        try afterSales.start(overrides: clock.environment)
        defer { afterSales.signal(SIGKILL) }
        do {
            try await afterSales.waitUntilReady()
            try await seed(store: store, storeCode: storeCode, database: database)
            // The same data set in a second store: a figure that counted another store's rows
            // would come out doubled.
            let decoy = "RD\(tag)"
            try await seed(store: StoreID.forStoreCode(decoy), storeCode: decoy, database: database)
            let director = try await DirectCaller.make(afterSales, store: store, role: "as.director", permissions: [.readAfterSalesReports])
            try await checkNovember(director)
            try await checkQuarters(director)
            try await checkDays(director)
            try await checkExport(director)
            try await checkBadInput(director, afterSales: afterSales, store: store)
            // Last: it moves the clock.
            try await checkMonthEndChurn(afterSales: afterSales, clock: clock, database: database)
        } catch {
            XCTFail("\(error)\nlog:\n\(afterSales.log.suffix(3000))")
        }
        await afterSales.stop()
    }

    // MARK: The data set

    private var wang: String { "王\(tag)" }
    private var li: String { "李\(tag)" }
    private func vin(_ car: String) -> String { "RPT\(tag)\(car)0000000".prefix(17).uppercased() }

    private func seed(store: UUID, storeCode: String, database: AdminDatabase) async throws {
        let cars = ["A", "B", "C", "D", "E", "F", "G", "I", "J", "K"]
        var ids: [String: UUID] = [:]
        for car in cars {
            let id = UUID()
            ids[car] = id
            _ = try await database.scalar("""
                INSERT INTO aftersales.vehicle (id, store_id, vin, owner_name, owner_mobile, source)
                VALUES ('\(id)', '\(store)', '\(vin(car))', '车主\(car)', '13900000000', 'crm') RETURNING 1
                """)
        }
        // car, opened (UTC), business type, SA, completed (UTC) or nil, amount or nil
        let orders: [(String, String, String, String, String?, String?)] = [
            ("A", "2025-03-10T02:00:00Z", "generalRepair", wang, "2025-03-10T08:00:00Z", "100"),
            ("A", "2026-11-30T15:59:00Z", "paidMaintenance", wang, "2026-11-30T15:59:30Z", "500.00"),
            ("B", "2026-11-30T16:00:00Z", "firstMaintenance", li, nil, nil),
            ("C", "2026-11-05T02:00:00Z", "firstMaintenance", wang, "2026-11-05T06:00:00Z", "88.50"),
            ("D", "2026-03-01T02:00:00Z", "generalRepair", li, "2026-03-01T08:00:00Z", "200"),
            ("D", "2026-11-10T02:00:00Z", "accidentRepair", wang, "2026-12-02T02:00:00Z", "3000.00"),
            ("E", "2026-01-15T02:00:00Z", "warranty", li, "2026-01-15T08:00:00Z", "0"),
            ("F", "2025-11-15T02:00:00Z", "generalRepair", li, "2025-11-15T08:00:00Z", "300"),
            ("G", "2025-10-31T15:59:00Z", "generalRepair", li, "2025-10-31T15:59:30Z", "120"),
            ("I", "2024-05-01T02:00:00Z", "generalRepair", li, "2024-05-01T08:00:00Z", "50"),
            ("I", "2026-09-30T15:59:00Z", "generalRepair", li, "2026-09-30T15:59:30Z", "150"),
            ("J", "2026-09-30T16:00:00Z", "firstMaintenance", "", "2026-10-01T03:00:00Z", "66"),
        ]
        for (index, (car, opened, type, advisor, completed, amount)) in orders.enumerated() {
            _ = try await database.scalar("""
                INSERT INTO aftersales.repair_order (
                    id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                    business_type, service_advisor, mileage_km, amount, state, opened_at, completed_at, source)
                VALUES (gen_random_uuid(), '\(store)', '\(storeCode)', 'RO-\(tag)-\(index)', '\(vin(car))', '鄂A\(car)0001', '车主\(car)',
                        '13900000000', '车主\(car)', '13900000000', '\(type)', '\(advisor)', 1000, \(amount.map { "\($0)::numeric" } ?? "NULL"),
                        '\(completed == nil ? "open" : "completed")', '\(opened)', \(completed.map { "'\($0)'" } ?? "NULL"), 'erp')
                RETURNING 1
                """)
        }
        // One ended campaign; its tasks closed at (UTC): the instant that counts, and what does not.
        let campaign = UUID()
        _ = try await database.scalar("""
            INSERT INTO aftersales.campaign (id, store_id, kind, name, starts_on, ends_on, contact_methods, target_mode, assignment, state,
                                             goes_live_at, ends_at, went_live_at, ended_at, created_by)
            VALUES ('\(campaign)', '\(store)', 'regular_maintenance', '报表招揽', '2026-10-01', '2026-11-30', ARRAY['phone'], 'conditions',
                    'current_sa', 'ended', '2026-09-30T16:00:00Z', '2026-11-30T16:00:00Z', '2026-09-30T16:00:00Z', '2026-11-30T16:00:00Z',
                    gen_random_uuid())
            RETURNING 1
            """)
        // car, state, returned_at, defeated_at, closed_at
        let tasks: [(String, String, String?, String?, String?)] = [
            // back at 23:59 on 30 November, recorded after midnight: November by its return
            ("A", "succeeded", "2026-11-30T15:59:00Z", nil, "2026-12-01T01:00:00Z"),
            // defeated at 00:00 on 1 December
            ("B", "defeated", nil, "2026-11-30T16:00:00Z", "2026-11-30T16:00:00Z"),
            ("C", "failed", nil, nil, "2026-11-20T16:00:00Z"),
            ("D", "defeated", nil, "2026-11-10T03:00:00Z", "2026-11-10T03:00:00Z"),
            ("E", "open", nil, nil, nil),
            ("F", "succeeded", "2026-10-05T02:00:00Z", nil, "2026-10-05T02:00:10Z"),
        ]
        for (car, state, returned, defeated, closed) in tasks {
            func time(_ text: String?) -> String { text.map { "'\($0)'::timestamptz" } ?? "NULL" }
            _ = try await database.scalar("""
                INSERT INTO aftersales.campaign_task (id, campaign_id, store_id, vehicle_id, vin, customer_class, state, returned_at,
                                                      defeated_at, defeat_reason, closed_at)
                VALUES (gen_random_uuid(), '\(campaign)', '\(store)', '\(ids[car]!)', '\(vin(car))', 'potential', '\(state)', \(time(returned)),
                        \(time(defeated)), \(defeated == nil ? "NULL" : "'price'"), \(time(closed)))
                RETURNING 1
                """)
        }

        // Renewal tasks closed at (UTC) — car, state, closed_at.
        let renewals: [(String, String, String?)] = [
            ("A", "renewed", "2026-11-30T15:59:00Z"),   // 23:59 on 30 November
            ("B", "defeated", "2026-11-30T16:00:00Z"),  // 00:00 on 1 December
            ("C", "expired", "2026-11-05T16:00:00Z"),
            ("D", "open", nil),
            ("F", "renewed", "2026-10-10T02:00:00Z"),
        ]
        for (car, state, closed) in renewals {
            _ = try await database.scalar("""
                INSERT INTO aftersales.renewal_task (id, store_id, vehicle_id, vin, insurance_expiry, stage, state, created_on,
                                                     defeat_reason, closed_at)
                VALUES (gen_random_uuid(), '\(store)', '\(ids[car]!)', '\(vin(car))', '2026-12-01', 'level2', '\(state)', '2026-09-02',
                        \(state == "defeated" ? "'price'" : "NULL"), \(closed.map { "'\($0)'::timestamptz" } ?? "NULL"))
                RETURNING 1
                """)
        }
    }

    // MARK: Reports

    private func report(_ director: DirectCaller, _ query: String, line: UInt = #line) async throws -> [String: Any] {
        let reply = try await director.request(.GET, "/api/v1/after-sales/reports?\(query)")
        XCTAssertEqual(reply.status, 200, "\(reply.text)\n\(reply.status == 500 ? afterSales?.log.suffix(2000) ?? "" : "")", line: line)
        return reply.json
    }

    private func section(_ report: [String: Any], _ name: String) -> [String: Any] { report[name] as? [String: Any] ?? [:] }

    /// `rows` as key → [opened, completed, completedAmount].
    private func rows(_ report: [String: Any], _ list: String, key: String) -> [String: [Double]] {
        let rows = section(report, "repairOrders")[list] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: rows.map { row in
            (row[key] as? String ?? "?", [row["opened"], row["completed"], row["completedAmount"]].map { ($0 as? NSNumber)?.doubleValue ?? -1 })
        })
    }

    private func keys(_ report: [String: Any], _ list: String, key: String) -> [String] {
        (section(report, "repairOrders")[list] as? [[String: Any]] ?? []).compactMap { $0[key] as? String }
    }

    private func expectCustomers(_ report: [String: Any], new: Int, lost: Int, retained: Int, returned: Int, returnRate: Double, churnRate: Double,
                                 line: UInt = #line) {
        let customers = section(report, "customers")
        XCTAssertEqual(customers["newCustomers"] as? Int, new, "new customers", line: line)
        XCTAssertEqual(customers["lostCustomers"] as? Int, lost, "lost customers", line: line)
        XCTAssertEqual(customers["retainedAtStart"] as? Int, retained, "retained at start", line: line)
        XCTAssertEqual(customers["returnedCustomers"] as? Int, returned, "returned", line: line)
        XCTAssertEqual(customers["returnRate"] as? Double, returnRate, "return rate", line: line)
        XCTAssertEqual(customers["churnRate"] as? Double, churnRate, "churn rate", line: line)
    }

    private func expectOrders(_ report: [String: Any], opened: Int, completed: Int, amount: Double, line: UInt = #line) {
        let orders = section(report, "repairOrders")
        XCTAssertEqual(orders["opened"] as? Int, opened, "opened", line: line)
        XCTAssertEqual(orders["completed"] as? Int, completed, "completed", line: line)
        XCTAssertEqual((orders["completedAmount"] as? NSNumber)?.doubleValue, amount, "completed amount", line: line)
    }

    private func expectCampaigns(_ report: [String: Any], back: Int, defeated: Int, failed: Int, rate: Double, line: UInt = #line) {
        let campaigns = section(report, "campaigns")
        XCTAssertEqual(campaigns["back"] as? Int, back, "back", line: line)
        XCTAssertEqual(campaigns["defeated"] as? Int, defeated, "defeated", line: line)
        XCTAssertEqual(campaigns["failed"] as? Int, failed, "failed", line: line)
        XCTAssertEqual(campaigns["closed"] as? Int, back + defeated + failed, "closed", line: line)
        XCTAssertEqual(campaigns["successRate"] as? Double, rate, "success rate", line: line)
    }

    private func expectRenewals(_ report: [String: Any], renewed: Int, defeated: Int, expired: Int, rate: Double, line: UInt = #line) {
        let renewals = section(report, "renewals")
        XCTAssertEqual(renewals["renewed"] as? Int, renewed, "renewed", line: line)
        XCTAssertEqual(renewals["defeated"] as? Int, defeated, "defeated", line: line)
        XCTAssertEqual(renewals["expired"] as? Int, expired, "expired", line: line)
        XCTAssertEqual(renewals["closed"] as? Int, renewed + defeated + expired, "closed", line: line)
        XCTAssertEqual(renewals["successRate"] as? Double, rate, "success rate", line: line)
    }

    private func checkNovember(_ director: DirectCaller) async throws {
        let november = try await report(director, "period=month&month=2026-11")
        XCTAssertEqual(november["period"] as? String, "month")
        XCTAssertEqual(november["label"] as? String, "2026-11")
        XCTAssertEqual(november["startsAt"] as? String, "2026-10-31T16:00:00Z", "00:00 on 1 November in Shanghai")
        XCTAssertEqual(november["endsAt"] as? String, "2026-11-30T16:00:00Z")
        XCTAssertEqual(november["asOf"] as? String, "2026-11-30T16:00:00Z", "a past period counts to its end")
        XCTAssertEqual(november["timeZone"] as? String, "Asia/Shanghai")
        XCTAssertEqual(november["churnMonths"] as? Int, 12)
        // New: C (B's first visit is 00:00 on 1 December). Retained at the start: D, E, F, G (its
        // last visit at 23:59 on 31 Oct 2025 is lost only from 1 November), I, J; not A (lost).
        // Back: D. Lost in November: G at 00:00 on 1 November, F on 16 November.
        expectCustomers(november, new: 1, lost: 2, retained: 6, returned: 1, returnRate: 0.1667, churnRate: 0.3333)
        // A at 23:59 on 30 November (completed 23:59:30), C, D (completed in December).
        expectOrders(november, opened: 3, completed: 2, amount: 588.5)
        XCTAssertEqual(keys(november, "byBusinessType", key: "businessType"), ["accidentRepair", "firstMaintenance", "paidMaintenance"])
        XCTAssertEqual(rows(november, "byBusinessType", key: "businessType"), [
            "accidentRepair": [1, 0, 0], "firstMaintenance": [1, 1, 88.5], "paidMaintenance": [1, 1, 500],
        ])
        XCTAssertEqual(rows(november, "byServiceAdvisor", key: "serviceAdvisor"), [wang: [3, 2, 588.5]])
        XCTAssertEqual(section(november, "firstMaintenance")["returns"] as? Int, 1)
        XCTAssertEqual(section(november, "firstMaintenance")["cars"] as? Int, 1)
        // A's return at 23:59 (recorded after midnight), C's failure, D's defeat; not B's at 00:00.
        expectCampaigns(november, back: 1, defeated: 1, failed: 1, rate: 0.3333)
        // A renewed at 23:59 on 30 November and C expired; not B's defeat at 00:00 on 1 December.
        expectRenewals(november, renewed: 1, defeated: 0, expired: 1, rate: 0.5)

        // October: only J's order at 00:00 on 1 October, and F's return.
        let october = try await report(director, "period=month&month=2026-10")
        expectOrders(october, opened: 1, completed: 1, amount: 66)
        XCTAssertEqual(rows(october, "byServiceAdvisor", key: "serviceAdvisor"), ["": [1, 1, 66]])
        expectCampaigns(october, back: 1, defeated: 0, failed: 0, rate: 1)
        expectRenewals(october, renewed: 1, defeated: 0, expired: 0, rate: 1)
        // New: J. Retained at the start (boundary 30 Sep 2025): D, E, F, G, I. Nobody lost.
        expectCustomers(october, new: 1, lost: 0, retained: 5, returned: 0, returnRate: 0, churnRate: 0)
    }

    private func checkQuarters(_ director: DirectCaller) async throws {
        let q4 = try await report(director, "period=quarter&quarter=2026-Q4")
        XCTAssertEqual(q4["startsAt"] as? String, "2026-09-30T16:00:00Z")
        XCTAssertEqual(q4["endsAt"] as? String, "2026-12-31T16:00:00Z")
        XCTAssertEqual(q4["asOf"] as? String, "2026-12-15T04:00:00Z", "a running period counts to now")
        // New: J, C, B. Retained at the start: D, E, F, G, I (J's first visit is at the start).
        expectCustomers(q4, new: 3, lost: 2, retained: 5, returned: 1, returnRate: 0.2, churnRate: 0.4)
        expectOrders(q4, opened: 5, completed: 4, amount: 3654.5)
        XCTAssertEqual(rows(q4, "byBusinessType", key: "businessType"), [
            "accidentRepair": [1, 1, 3000], "firstMaintenance": [3, 2, 154.5], "paidMaintenance": [1, 1, 500],
        ])
        XCTAssertEqual(keys(q4, "byServiceAdvisor", key: "serviceAdvisor"), ["", li, wang])
        XCTAssertEqual(rows(q4, "byServiceAdvisor", key: "serviceAdvisor"), ["": [1, 1, 66], li: [1, 0, 0], wang: [3, 3, 3588.5]])
        XCTAssertEqual(section(q4, "firstMaintenance")["returns"] as? Int, 3)
        XCTAssertEqual(section(q4, "firstMaintenance")["cars"] as? Int, 3)
        expectCampaigns(q4, back: 2, defeated: 2, failed: 1, rate: 0.4)
        expectRenewals(q4, renewed: 2, defeated: 1, expired: 1, rate: 0.5)

        // Q3: I's order at 23:59 on 30 September; J's at 00:00 is Q4's.
        let q3 = try await report(director, "period=quarter&quarter=2026-Q3")
        XCTAssertEqual(q3["startsAt"] as? String, "2026-06-30T16:00:00Z")
        expectOrders(q3, opened: 1, completed: 1, amount: 150)
        XCTAssertEqual(rows(q3, "byBusinessType", key: "businessType"), ["generalRepair": [1, 1, 150]])
        XCTAssertEqual(section(q3, "firstMaintenance")["returns"] as? Int, 0)
        // Retained on 1 July (boundary 30 Jun 2025): D, E, F, G. I (last visit May 2024) was lost.
        expectCustomers(q3, new: 0, lost: 0, retained: 4, returned: 0, returnRate: 0, churnRate: 0)
    }

    private func checkDays(_ director: DirectCaller) async throws {
        let lastOfNovember = try await report(director, "period=day&date=2026-11-30")
        XCTAssertEqual(lastOfNovember["startsAt"] as? String, "2026-11-29T16:00:00Z")
        XCTAssertEqual(lastOfNovember["endsAt"] as? String, "2026-11-30T16:00:00Z")
        expectOrders(lastOfNovember, opened: 1, completed: 1, amount: 500)
        XCTAssertEqual(rows(lastOfNovember, "byBusinessType", key: "businessType"), ["paidMaintenance": [1, 1, 500]])
        // A's visit at 23:59 is a return of a lost car, no retained customer's.
        expectCustomers(lastOfNovember, new: 0, lost: 0, retained: 5, returned: 0, returnRate: 0, churnRate: 0)
        expectCampaigns(lastOfNovember, back: 1, defeated: 0, failed: 0, rate: 1)

        let firstOfDecember = try await report(director, "period=day&date=2026-12-01")
        expectOrders(firstOfDecember, opened: 1, completed: 0, amount: 0)
        XCTAssertEqual(rows(firstOfDecember, "byServiceAdvisor", key: "serviceAdvisor"), [li: [1, 0, 0]])
        XCTAssertEqual(section(firstOfDecember, "firstMaintenance")["returns"] as? Int, 1)
        expectCustomers(firstOfDecember, new: 1, lost: 0, retained: 6, returned: 0, returnRate: 0, churnRate: 0)
        expectCampaigns(firstOfDecember, back: 0, defeated: 1, failed: 0, rate: 0)

        // F is lost from 00:00 on 16 November, not on the 15th.
        let fifteenth = try await report(director, "period=day&date=2026-11-15")
        XCTAssertEqual(section(fifteenth, "customers")["lostCustomers"] as? Int, 0)
        let sixteenth = try await report(director, "period=day&date=2026-11-16")
        XCTAssertEqual(section(sixteenth, "customers")["lostCustomers"] as? Int, 1)
        XCTAssertEqual(section(sixteenth, "customers")["churnRate"] as? Double, ReportRateCheck.rate(1, 6), "F of C, D, E, F, I, J")

        // A future day has nothing yet.
        let future = try await report(director, "period=day&date=2026-12-20")
        XCTAssertEqual(future["asOf"] as? String, future["startsAt"] as? String)
        expectOrders(future, opened: 0, completed: 0, amount: 0)
    }

    // MARK: Export

    private func checkExport(_ director: DirectCaller) async throws {
        let reply = try await director.request(.GET, "/api/v1/after-sales/reports/export?period=month&month=2026-11&format=csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        // The CSV starts with a byte order mark, for Excel.
        XCTAssertTrue(reply.text.hasPrefix("\u{FEFF}"))
        let lines = reply.text.dropFirst().split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.first, ["分组", "项目", "指标", "数值"])
        var values: [String: String] = [:]
        for line in lines.dropFirst() where line.count == 4 { values[line[0] + "/" + line[1] + "/" + line[2]] = line[3] }
        XCTAssertEqual(values["报表/月报/期间"], "2026-11", reply.text)
        XCTAssertEqual(values["报表/月报/统计至"], "2026-12-01 00:00", "the store's clock")
        XCTAssertEqual(values["客户/新增客户/台数"], "1")
        XCTAssertEqual(values["客户/流失客户/台数"], "2")
        XCTAssertEqual(values["客户/期初保有客户/台数"], "6")
        XCTAssertEqual(values["客户/保有客户进厂/台数"], "1")
        XCTAssertEqual(values["客户/进厂率/比率(%)"], "16.67")
        XCTAssertEqual(values["客户/流失率/比率(%)"], "33.33")
        XCTAssertEqual(values["维修工单/合计/开单数"], "3")
        XCTAssertEqual(values["维修工单/合计/完工金额（元）"], "588.5")
        // The store's words for the business types, not the codes.
        XCTAssertEqual(values["按业务类型/首保/开单数"], "1")
        XCTAssertEqual(values["按业务类型/付费保养/完工金额（元）"], "500")
        XCTAssertEqual(values["按业务类型/事故维修/完工数"], "0")
        XCTAssertFalse(reply.text.contains("firstMaintenance") || reply.text.contains("paidMaintenance"), reply.text)
        XCTAssertEqual(values["按服务顾问/\(wang)/开单数"], "3")
        XCTAssertEqual(values["首保回厂/首保/工单数"], "1")
        XCTAssertEqual(values["售后招揽/招揽成功/任务数"], "1")
        XCTAssertEqual(values["售后招揽/成功率/比率(%)"], "33.33")
        XCTAssertEqual(values["续保招揽/续保成功/任务数"], "1")
        XCTAssertEqual(values["续保招揽/成功率/比率(%)"], "50")

        let quarter = try await director.request(.GET, "/api/v1/after-sales/reports/export?period=quarter&quarter=2026-Q4&format=xlsx")
        XCTAssertEqual(quarter.status, 200, quarter.text)
        let sheet = try Spreadsheet.read(quarter.body)
        XCTAssertEqual(sheet.first, ["分组", "项目", "指标", "数值"])
        XCTAssertTrue(sheet.contains { $0.count == 4 && $0[0] == "按服务顾问" && $0[1] == "（未指定）" && $0[2] == "完工金额（元）" && $0[3] == "66" },
                      "\(sheet)")
        XCTAssertTrue(sheet.contains { $0.count == 4 && $0[0] == "按业务类型" && $0[1] == "首保" && $0[2] == "开单数" && $0[3] == "3" }, "\(sheet)")
    }

    // MARK: The churn rule at a month's end

    /// With a churn rule of 1 month, a visit on 30 January is lost from 1 March, not from 28 or
    /// 29 February (31 January less a month is 28 February on PostgreSQL's arithmetic): the report
    /// counts the car lost on the day the customer file first classes it lost, in a store of its
    /// own. The file's class is read through the API at 23:59 on 28 February and 00:00 on 1 March.
    private func checkMonthEndChurn(afterSales: ServiceProcess, clock: TestClockFile, database: AdminDatabase) async throws {
        let storeCode = "RQ\(tag)"
        let store = StoreID.forStoreCode(storeCode)
        let vehicle = UUID(), vin = "RPQ\(tag)M0000000".prefix(17).uppercased()
        _ = try await database.scalar("""
            INSERT INTO aftersales.after_sales_setting (store_id, churn_months) VALUES ('\(store)', 1) RETURNING 1
            """)
        _ = try await database.scalar("""
            INSERT INTO aftersales.vehicle (id, store_id, vin, owner_name, owner_mobile, source)
            VALUES ('\(vehicle)', '\(store)', '\(vin)', '车主M', '13900000000', 'crm') RETURNING 1
            """)
        // 10:00 on 30 January 2026 in Shanghai.
        _ = try await database.scalar("""
            INSERT INTO aftersales.repair_order (
                id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name, sender_mobile,
                business_type, service_advisor, mileage_km, amount, state, opened_at, completed_at, source)
            VALUES (gen_random_uuid(), '\(store)', '\(storeCode)', 'RQ-\(tag)', '\(vin)', '鄂AM0001', '车主M', '13900000000', '车主M',
                    '13900000000', 'generalRepair', '', 1000, 100, 'completed', '2026-01-30T02:00:00Z', '2026-01-30T06:00:00Z', 'erp')
            RETURNING 1
            """)
        let manager = try await DirectCaller.make(afterSales, store: store, role: "as.director", permissions: [.readAfterSalesReports, .readVehicles])
        let february = try await report(manager, "period=month&month=2026-02")
        XCTAssertEqual(february["churnMonths"] as? Int, 1)
        expectCustomers(february, new: 0, lost: 0, retained: 1, returned: 0, returnRate: 0, churnRate: 0)
        let lastOfFebruary = try await report(manager, "period=day&date=2026-02-28")
        XCTAssertEqual(section(lastOfFebruary, "customers")["lostCustomers"] as? Int, 0)
        let firstOfMarch = try await report(manager, "period=day&date=2026-03-01")
        expectCustomers(firstOfMarch, new: 0, lost: 1, retained: 1, returned: 0, returnRate: 0, churnRate: 1)
        let march = try await report(manager, "period=month&month=2026-03")
        expectCustomers(march, new: 0, lost: 1, retained: 1, returned: 0, returnRate: 0, churnRate: 1)
        let january = try await report(manager, "period=month&month=2026-01")
        expectCustomers(january, new: 1, lost: 0, retained: 0, returned: 0, returnRate: 0, churnRate: 0)

        // The customer file agrees: not lost at 23:59 on 28 February, lost at 00:00 on 1 March.
        try clock.set(RFC3339.date(from: "2026-02-28T15:59:00Z")!)
        let before = try await manager.request(.GET, "/api/v1/after-sales/vehicles/\(vehicle)")
        XCTAssertEqual(before.status, 200, before.text)
        XCTAssertNotEqual(before.json["customerClass"] as? String, "lost", before.text)
        try clock.set(RFC3339.date(from: "2026-02-28T16:00:00Z")!)
        let after = try await manager.request(.GET, "/api/v1/after-sales/vehicles/\(vehicle)")
        XCTAssertEqual(after.json["customerClass"] as? String, "lost", after.text)
        // And the running March report counts the car from that instant.
        let running = try await report(manager, "period=month&month=2026-03")
        XCTAssertEqual(running["asOf"] as? String, "2026-02-28T16:00:00Z")
        XCTAssertEqual(section(running, "customers")["lostCustomers"] as? Int, 0, "nothing has happened in March at its first instant")
        try clock.set(RFC3339.date(from: "2026-02-28T16:00:01Z")!)
        let oneSecondLater = try await report(manager, "period=month&month=2026-03")
        XCTAssertEqual(section(oneSecondLater, "customers")["lostCustomers"] as? Int, 1)
    }

    // MARK: Bad input and permission

    private func checkBadInput(_ director: DirectCaller, afterSales: ServiceProcess, store: UUID) async throws {
        let bad: [(String, [String])] = [
            ("", ["period"]),
            ("period=week&month=2026-11", ["period"]),
            ("period=month", ["month"]),
            ("period=month&month=2026-13", ["month"]),
            ("period=month&month=2026-1", ["month"]),
            ("period=quarter&quarter=2026-Q5", ["quarter"]),
            ("period=quarter&quarter=2026-q4", ["quarter"]),
            ("period=day&date=2026-02-29", ["date"]),
            ("period=day&date=2026-11-30T00:00:00Z", ["date"]),
            ("period=day&date=1999-12-31", ["date"]),
            ("period=month&month=2026-11&date=2026-11-01", ["date"]),
        ]
        for (query, fields) in bad {
            let reply = try await director.request(.GET, "/api/v1/after-sales/reports?\(query)")
            XCTAssertEqual(reply.status, 422, "\(query): \(reply.text)")
            XCTAssertEqual(reply.problemFields, fields, query)
        }
        let leap = try await director.request(.GET, "/api/v1/after-sales/reports?period=day&date=2028-02-29")
        XCTAssertEqual(leap.status, 200, leap.text)
        let noFormat = try await director.request(.GET, "/api/v1/after-sales/reports/export?period=month&month=2026-11")
        XCTAssertEqual(noFormat.status, 422, noFormat.text)
        XCTAssertEqual(noFormat.problemFields, ["format"])
        let badExport = try await director.request(.GET, "/api/v1/after-sales/reports/export?period=month&month=2026-11-01&format=csv")
        XCTAssertEqual(badExport.status, 422, badExport.text)
        XCTAssertEqual(badExport.problemFields, ["month"])
        // An SA without the report permission.
        let advisor = try await DirectCaller.make(afterSales, store: store, role: "sa", permissions: [.readVehicles, .readRepairOrders])
        for path in ["/api/v1/after-sales/reports?period=month&month=2026-11", "/api/v1/after-sales/reports/export?period=month&month=2026-11&format=csv"] {
            let reply = try await advisor.request(.GET, path)
            XCTAssertEqual(reply.status, 403, "\(path): \(reply.text)")
        }
    }
}

/// The report's rounding, written out independently: four decimals.
enum ReportRateCheck {
    static func rate(_ part: Int, _ whole: Int) -> Double { (Double(part) / Double(whole) * 10_000).rounded() / 10_000 }
}
