import Contracts
import Foundation
import NIOHTTP1
import TestSupport
import XCTest

/// Test drives (P9), purchase proposals (P11), the follow-up's quote image (P5) and the traffic
/// import (P1 batch), through the gateway on the Prospects clock of `ProspectsTests`
/// (2026-11-22 10:00 in Shanghai).
final class ProspectDocumentsTests: XCTestCase {
    var suite: Suite!
    var clock: TestClockFile!

    override func setUp() async throws {
        clock = try TestClockFile(ProspectsTests.start)
        suite = try await Suite.start(prospectsEnvironment: clock.environment)
    }

    override func tearDown() async throws {
        await suite?.stop()
        clock?.remove()
    }

    /// Smallest files that are what they say: a PNG signature and a JPEG start-of-image, then filler.
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 7, count: 200)
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0]) + Data(repeating: 9, count: 300)
    static let pdf = Data("%PDF-1.4\n% scanned agreement\n".utf8)

    /// A new prospect of consultant.1, intending a Cadillac XT5.
    func prospect(named name: String, consultant: String) async throws -> String {
        let reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
            "name": name, "mobile": ProspectsTests.mobile(), "arrival": "showroom", "arrivedAt": "2026-11-22T01:30:00Z",
            "category": "showroom", "source": "walk_in", "nature": "first_visit", "level": "A",
            "brand": "凯迪拉克", "series": "XT5", "model": "2026款 28T 豪华型",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        return try XCTUnwrap((reply.json["prospect"] as? [String: Any])?["id"] as? String)
    }

    /// Checks a printed document as a reader sees it (poppler): every font embedded and mapped back
    /// to Unicode, `texts` in the text copied out of it (`pdftotext -raw`), every page drawn
    /// (`pdftoppm`) and not blank.
    static func assertPrintable(_ pdf: Data, shows texts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(pdf.starts(with: Data("%PDF-".utf8)), file: file, line: line)
        let reader = PDFReader(pdf)
        let fonts = try reader.fonts()
        XCTAssertFalse(fonts.isEmpty, file: file, line: line)
        for font in fonts {
            XCTAssertTrue(font.embedded && font.unicode, "embedded, text copyable: \(font)", file: file, line: line)
        }
        // In the order drawn: reading order drops the spaces of short lines ("建设大道 1 号").
        let text = try reader.text(raw: true)
        for shown in texts {
            XCTAssertTrue(text.contains(shown), "pdftotext gives back \(shown): \(text)", file: file, line: line)
        }
        for (index, page) in try reader.pages(resolution: 60).enumerated() {
            XCTAssertGreaterThan(page.inkedPixels, 2_000, "page \(index + 1) drawn by pdftoppm shows something", file: file, line: line)
        }
    }

    // MARK: P9

    func testATestDriveIsBookedDocumentedStartedAndFinished() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")

        // Routes are the store's configuration: a manager's, not a consultant's.
        let routeBody: [String: Any] = ["name": "市区线", "distanceKm": 8.5, "minutes": 30, "description": "经二环返回展厅"]
        var reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: consultant, json: routeBody)
        XCTAssertEqual(reply.status, 403, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: routeBody)
        XCTAssertEqual(reply.status, 201, reply.text)
        let routeID = try XCTUnwrap(reply.json["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: routeBody)
        XCTAssertEqual(reply.status, 409, "one name per store: \(reply.text)")
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drive-routes?active=true", token: consultant)
        XCTAssertTrue(reply.items.contains { $0["id"] as? String == routeID }, reply.text)

        let prospectID = try await prospect(named: "范思博", consultant: consultant)
        let booking: [String: Any] = [
            "prospectId": prospectID, "routeId": routeID, "kind": "drive", "bookedFor": "2026-11-22T06:00:00Z",
            "vehiclePlate": "鄂A12345", "licenceNumber": "11010519491231002X",
        ]
        // What is wrong is named: an ID number with a wrong check character, a time before today.
        var bad = booking
        bad["idNumber"] = "110105194912310021"
        bad["bookedFor"] = "2026-11-21T06:00:00Z"
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: bad)
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertTrue(reply.text.contains("idNumber"), reply.text)

        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: booking)
        XCTAssertEqual(reply.status, 201, reply.text)
        let driveID = try XCTUnwrap(reply.json["id"] as? String)
        let driveNo = try XCTUnwrap(reply.json["testDriveNo"] as? String)
        XCTAssertTrue(driveNo.hasPrefix("SJ261122"), driveNo)
        XCTAssertEqual(reply.json["driverName"] as? String, "范思博", "the prospect drives unless someone else is named")
        XCTAssertEqual(reply.json["series"] as? String, "XT5", "the prospect's intended car unless another is named")
        XCTAssertEqual(reply.json["state"] as? String, "booked")

        // The car is taken 14:00–14:30: a booking at 14:15 clashes, one at 14:30 does not.
        var clash = booking
        clash["bookedFor"] = "2026-11-22T06:15:00Z"
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: clash)
        XCTAssertEqual(reply.status, 409, reply.text)
        XCTAssertTrue(reply.text.contains(driveNo), reply.text)
        clash["bookedFor"] = "2026-11-22T06:30:00Z"
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: clash)
        XCTAssertEqual(reply.status, 201, reply.text)
        let laterID = try XCTUnwrap(reply.json["id"] as? String)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives/\(laterID)/cancel", token: consultant, json: ["reason": "客户改期"])
        XCTAssertEqual(reply.json["state"] as? String, "cancelled", reply.text)

        // No drive without the driver's documents on file.
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives/\(driveID)/start", token: consultant)
        XCTAssertEqual(reply.status, 409, reply.text)
        for field in ["idNumber", "photos.id_card", "photos.licence"] {
            XCTAssertTrue(reply.text.contains(field), "names \(field): \(reply.text)")
        }
        reply = try await suite.request(.PATCH, "/api/v1/prospects/test-drives/\(driveID)", token: consultant, json: [
            "idNumber": "11010519491231002x", "driverAddress": "武汉市江汉区建设大道 1 号",
        ])
        XCTAssertEqual(reply.json["idNumber"] as? String, "11010519491231002X", reply.text)
        let photos = "/api/v1/prospects/test-drives/\(driveID)/photos"
        reply = try await suite.request(.PUT, "\(photos)/id_card", token: consultant, bytes: Self.jpeg, contentType: "image/png")
        XCTAssertEqual(reply.status, 422, "a JPEG is not stored as a PNG: \(reply.text)")
        reply = try await suite.request(.PUT, "\(photos)/id_card", token: consultant, bytes: Self.png, contentType: "text/plain")
        XCTAssertEqual(reply.status, 415, reply.text)
        reply = try await suite.request(.PUT, "\(photos)/id_card", token: consultant, bytes: Self.png, contentType: "image/png")
        XCTAssertEqual(reply.status, 200, reply.text)
        // A phone camera's photo (3 MB) goes through the gateway; one over 8 MB is refused whole.
        let phonePhoto = Self.jpeg + Data(repeating: 0x5A, count: 3 << 20)
        reply = try await suite.request(.PUT, "\(photos)/licence", token: consultant, bytes: phonePhoto, contentType: "image/jpeg")
        XCTAssertEqual(reply.json["photos"] as? [String], ["id_card", "licence"], reply.text)
        reply = try await suite.request(.PUT, "\(photos)/licence", token: consultant, bytes: Self.jpeg + Data(count: 9 << 20), contentType: "image/jpeg")
        XCTAssertEqual(reply.status, 413, reply.text)
        reply = try await suite.request(.GET, "\(photos)/licence", token: consultant)
        XCTAssertEqual(reply.body, phonePhoto, "the refused upload left the filed photo as it was")
        reply = try await suite.request(.GET, "\(photos)/id_card", token: manager)
        XCTAssertEqual(reply.headers.first(name: "content-type"), "image/png")
        XCTAssertEqual(reply.body, Self.png, "the photo comes back byte for byte")

        // The agreement to sign: a PDF naming the driver, the number and the car.
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(driveID)/agreement", token: consultant)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.headers.first(name: "content-type"), "application/pdf")
        try Self.assertPrintable(reply.body, shows: ["范思博", driveNo, "鄂A12345", "11010519491231002X", "武汉市江汉区建设大道 1 号"])

        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives/\(driveID)/start", token: consultant)
        XCTAssertEqual(reply.json["state"] as? String, "started", reply.text)
        XCTAssertEqual(reply.json["startedAt"] as? String, "2026-11-22T02:00:00Z")
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives/\(driveID)/finish", token: consultant, json: ["feedback": "动力充沛，后排空间略小", "rating": 6])
        XCTAssertEqual(reply.status, 422, reply.text)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives/\(driveID)/finish", token: consultant, json: ["feedback": "动力充沛，后排空间略小", "rating": 4])
        XCTAssertEqual(reply.json["state"] as? String, "finished", reply.text)
        XCTAssertEqual(reply.json["distanceKm"] as? Double, 8.5, "the route's distance when none is given")
        XCTAssertEqual(reply.json["agreementSigned"] as? Bool, false)
        reply = try await suite.request(.PUT, "\(photos)/agreement", token: consultant, bytes: Self.pdf, contentType: "application/pdf")
        XCTAssertEqual(reply.json["agreementSigned"] as? Bool, true, reply.text)

        // Lists, exports and scope: the consultant's team sees it, another team's consultant does not.
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives?prospectId=\(prospectID)&state=finished", token: manager)
        XCTAssertEqual(reply.items.map { $0["id"] as? String }, [driveID], reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives/export?format=csv&prospectId=\(prospectID)", token: manager)
        XCTAssertTrue(reply.text.contains(driveNo) && reply.text.contains("动力充沛"), reply.text)
        let otherTeam = try await suite.login("consultant.3")
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(driveID)", token: otherTeam)
        XCTAssertEqual(reply.status, 404)
        reply = try await suite.request(.GET, "\(photos)/id_card", token: otherTeam)
        XCTAssertEqual(reply.status, 404)
    }

    /// Ten bookings of one car for one time at once: the car's lock makes them take turns.
    func testConcurrentBookingsOfOneCarLeaveOneBooking() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")
        var reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: ["name": "高速线", "distanceKm": 20, "minutes": 45])
        let routeID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        var prospects: [String] = []
        for index in 0..<10 { prospects.append(try await prospect(named: "客户\(index)", consultant: consultant)) }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for prospectID in prospects {
                group.addTask {
                    try await self.suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: [
                        "prospectId": prospectID, "routeId": routeID, "kind": "ride", "bookedFor": "2026-11-22T08:00:00Z", "vehiclePlate": "鄂AD12345",
                    ]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 201 }.count, 1, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 9, "\(statuses)")
        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives?routeId=\(routeID)", token: manager)
        XCTAssertEqual(reply.json["total"] as? Int, 1, reply.text)
    }

    /// driver.json: a driver whose name has a CJK Extension B character. The agreement printed
    /// "?喆燊堃" in a font it did not embed; now the name, the address and the ID number come back
    /// out of the PDF as written, and the customer's purchase proposal prints the name too.
    func testTheDocumentsPrintTheDriverOfDriverJSON() async throws {
        let driver = try RealWorldFiles.driver()
        let name = try XCTUnwrap(driver["driverName"])
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")
        var reply = try await suite.request(.POST, "/api/v1/prospects/test-drive-routes", token: manager, json: ["name": "江岸线", "distanceKm": 6, "minutes": 20])
        let routeID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        let prospectID = try await prospect(named: name, consultant: consultant)
        reply = try await suite.request(.POST, "/api/v1/prospects/test-drives", token: consultant, json: [
            "prospectId": prospectID, "routeId": routeID, "kind": "drive", "bookedFor": "2026-11-22T07:00:00Z", "vehiclePlate": "鄂A54321",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let driveID = try XCTUnwrap(reply.json["id"] as? String)
        reply = try await suite.request(.PATCH, "/api/v1/prospects/test-drives/\(driveID)", token: consultant, json: driver)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["driverName"] as? String, name, reply.text)

        reply = try await suite.request(.GET, "/api/v1/prospects/test-drives/\(driveID)/agreement", token: consultant)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.headers.first(name: "content-type"), "application/pdf")
        let driverValues = [name, try XCTUnwrap(driver["driverAddress"]), try XCTUnwrap(driver["idNumber"])]
        try Self.assertPrintable(reply.body, shows: driverValues)
        // Plain `pdftotext` too, as the issue checked it.
        let text = try PDFReader(reply.body).text()
        for value in driverValues {
            XCTAssertTrue(text.contains(value), "pdftotext gives back \(value): \(text)")
        }

        reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/proposals", token: consultant, json: ["listPrice": 250000, "discount": 10000])
        let proposalID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/proposals/\(proposalID)/document", token: consultant)
        XCTAssertEqual(reply.status, 200, reply.text)
        try Self.assertPrintable(reply.body, shows: [name, "250,000.00"])
    }

    // MARK: P11

    func testAProposalQuotesEveryCostAndTheLoanAndPrints() async throws {
        let consultant = try await suite.login("consultant.1")
        let prospectID = try await prospect(named: "巴奔", consultant: consultant)
        let path = "/api/v1/prospects/prospects/\(prospectID)/proposals"
        var reply = try await suite.request(.POST, path, token: consultant, json: ["listPrice": 300000, "discount": 300001, "loanMonths": 36])
        XCTAssertEqual(reply.status, 422, reply.text)
        XCTAssertTrue(reply.text.contains("discount") && reply.text.contains("loanMonths"), reply.text)

        reply = try await suite.request(.POST, path, token: consultant, json: [
            "color": "珍珠白", "listPrice": 300000, "discount": 20000, "insurance": 5000, "registration": 500, "accessories": 3000,
            "downPayment": 100000, "loanMonths": 36, "annualRatePercent": 4.5, "note": "含首保",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let proposalID = try XCTUnwrap(reply.json["id"] as? String)
        let proposalNo = try XCTUnwrap(reply.json["proposalNo"] as? String)
        XCTAssertTrue(proposalNo.hasPrefix("JY261122"), proposalNo)
        XCTAssertEqual(reply.json["series"] as? String, "XT5", "the prospect's intended car")
        XCTAssertEqual(reply.json["validUntil"] as? String, "2026-11-29", "a week on the store's clock")
        let quote = try XCTUnwrap(reply.json["quote"] as? [String: Any])
        // 280,000 after the discount; purchase tax 280,000 / 1.13 × 10% = 24,778.76.
        XCTAssertEqual(quote["vehiclePrice"] as? Double, 280000)
        XCTAssertEqual(quote["purchaseTax"] as? Double, 24778.76)
        XCTAssertEqual(quote["total"] as? Double, 313278.76)
        XCTAssertEqual(quote["loanAmount"] as? Double, 213278.76)
        // Equal instalments of 213,278.76 over 36 months at 4.5% a year: 6,344.39.
        XCTAssertEqual(quote["monthlyPayment"] as? Double, 6344.39)

        reply = try await suite.request(.GET, "/api/v1/prospects/proposals/\(proposalID)/document", token: consultant)
        XCTAssertEqual(reply.headers.first(name: "content-type"), "application/pdf")
        try Self.assertPrintable(reply.body, shows: ["购车建议书", proposalNo, "313,278.76", "6,344.39", "300,000.00", "巴奔"])
        reply = try await suite.request(.GET, "/api/v1/prospects/proposals?prospectId=\(prospectID)", token: consultant)
        XCTAssertEqual(reply.items.map { $0["proposalNo"] as? String }, [proposalNo])
        reply = try await suite.request(.GET, "/api/v1/prospects/proposals/export?format=xlsx&prospectId=\(prospectID)", token: consultant)
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.body.starts(with: Data([0x50, 0x4B])), "an .xlsx is a zip")
        let otherTeam = try await suite.login("consultant.3")
        reply = try await suite.request(.GET, "/api/v1/prospects/proposals/\(proposalID)/document", token: otherTeam)
        XCTAssertEqual(reply.status, 404)
    }

    // MARK: P5 quote image

    func testAFollowUpKeepsThePhotoOfItsQuote() async throws {
        let consultant = try await suite.login("consultant.1")
        let prospectID = try await prospect(named: "韩雪", consultant: consultant)
        var reply = try await suite.request(.POST, "/api/v1/prospects/prospects/\(prospectID)/follow-ups", token: consultant, json: [
            "level": "H", "method": "showroom", "contents": ["negotiation"], "result": "continue", "contact": "repeated",
            "note": "报价已发", "valid": true, "next": ["method": "phone", "content": "order", "comesTomorrow": true],
        ])
        let followUpID = try XCTUnwrap(reply.json["id"] as? String, reply.text)
        XCTAssertEqual(reply.json["hasQuoteImage"] as? Bool, false)
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups/\(followUpID)/quote-image", token: consultant)
        XCTAssertEqual(reply.status, 404)
        reply = try await suite.request(.PUT, "/api/v1/prospects/follow-ups/\(followUpID)/quote-image", token: consultant, bytes: Self.jpeg, contentType: "image/jpeg")
        XCTAssertEqual(reply.json["hasQuoteImage"] as? Bool, true, reply.text)
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups/\(followUpID)/quote-image", token: consultant)
        XCTAssertEqual(reply.body, Self.jpeg)
        let otherTeam = try await suite.login("consultant.3")
        reply = try await suite.request(.PUT, "/api/v1/prospects/follow-ups/\(followUpID)/quote-image", token: otherTeam, bytes: Self.png, contentType: "image/png")
        XCTAssertEqual(reply.status, 404)
        reply = try await suite.request(.GET, "/api/v1/prospects/follow-ups/\(followUpID)/quote-image", token: consultant)
        XCTAssertEqual(reply.body, Self.jpeg, "another team's upload changed nothing")
    }

    // MARK: P1 batch

    func testATrafficImportRegistersTheValidRowsByTheDuplicateRules() async throws {
        let manager = try await suite.login("sales.manager.1")
        let consultant = try await suite.login("consultant.1")
        let known = ProspectsTests.mobile()
        var reply = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
            "name": "曹广", "mobile": known, "arrival": "showroom", "arrivedAt": "2026-11-21T03:00:00Z",
            "category": "showroom", "source": "walk_in", "nature": "first_visit",
        ])
        XCTAssertEqual(reply.status, 201, reply.text)
        let fresh = ProspectsTests.mobile()
        let csv = """
            客户姓名,手机号码,性别,登记方式,登记人数,到店时间,离店时间,登记大类,客户来源,获取性质,销售顾问,意向品牌,意向车系,意向级别,备注
            陈云,\(fresh),男,来店,2,2026-11-22 09:12,2026-11-22 09:50,展厅,老客户介绍,首次到店,consultant.1,凯迪拉克,XT5,A,带家人看车
            曹广,+86 \(known),男,来店,1,2026/11/22 9:30,,展厅,自然到店,二次到店,,,,B,
            王五,1234,女,来店,1,2026-11-22 10:00,,展厅,自然到店,首次到店,,,,B,
            赵六,\(ProspectsTests.mobile()),女,来电,1,昨天下午,,网络,网销线索,首次到店,nobody,,,Z,
            陈云,\(fresh),男,来店,2,2026-11-22 11:00,,展厅,老客户介绍,再次到店,consultant.1,,,,又来了
            """
        reply = try await suite.request(.POST, "/api/v1/prospects/traffic/imports?dryRun=true", token: manager, rawBody: csv, contentType: "text/csv")
        XCTAssertEqual(reply.status, 200, reply.text)
        var results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["created", "existing", "rejected", "rejected", "existing"])
        XCTAssertEqual(results.map { $0["row"] as? Int }, [2, 3, 4, 5, 6])
        let count = "SELECT count(*)::int8 FROM prospects.traffic WHERE mobile IN ('\(fresh)', '\(known)')"
        var rows = try await suite.database.scalar(count)
        XCTAssertEqual(rows, 1, "a dry run keeps nothing")

        reply = try await suite.request(.POST, "/api/v1/prospects/traffic/imports", token: manager, rawBody: csv, contentType: "text/csv")
        results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(reply.json["registered"] as? Int, 3, reply.text)
        XCTAssertEqual(reply.json["rejected"] as? Int, 2)
        let badMobile = try XCTUnwrap(results[2]["errors"] as? [[String: Any]])
        XCTAssertEqual(badMobile.compactMap { $0["field"] as? String }, ["手机号码"])
        let badRow = Set(try XCTUnwrap(results[3]["errors"] as? [[String: Any]]).compactMap { $0["field"] as? String })
        XCTAssertEqual(badRow, ["到店时间", "客户来源", "销售顾问", "意向级别"], "every bad cell of the row is named")
        rows = try await suite.database.scalar(count)
        XCTAssertEqual(rows, 4, "the known prospect's earlier visit plus the three registered rows")
        let prospectID = try XCTUnwrap(results[0]["prospectId"] as? String)
        XCTAssertEqual(results[4]["prospectId"] as? String, prospectID, "the same visitor twice in a file is one prospect")
        let consultantID = try await suite.userID("consultant.1")
        reply = try await suite.request(.GET, "/api/v1/prospects/prospects/\(prospectID)", token: consultant)
        XCTAssertEqual(reply.json["consultantId"] as? String, consultantID, "the named consultant follows up")
        XCTAssertEqual(reply.json["level"] as? String, "A")
        reply = try await suite.request(.GET, "/api/v1/prospects/traffic?mobile=\(fresh)", token: manager)
        XCTAssertEqual(reply.items.compactMap { $0["arrivedAt"] as? String }.sorted(), ["2026-11-22T01:12:00Z", "2026-11-22T03:00:00Z"], "sheet times are the store's clock")

        reply = try await suite.request(.GET, "/api/v1/prospects/traffic/imports/template?format=csv", token: manager)
        XCTAssertTrue(reply.text.hasPrefix("\u{FEFF}客户姓名,手机号码") || reply.text.hasPrefix("客户姓名,手机号码"), reply.text)
    }
}
