import Contracts
import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Channel QR codes (推广二维码, issue 15 M6) on the real PostgreSQL and RabbitMQ, every service a
/// process, through the gateway as `marketing.1` (HX000001) and `consultant.1`:
///
/// - the code's PNG and SVG decode (zbarimg, Debian's zbar-tools) to the channel's URL;
/// - a lead arriving with the code (`platform.lead.received.v1` with `channelCode`) is attributed
///   to the channel in the report, and so are the same customer's first showroom arrival (a
///   traffic registration in Prospects) and order; a lead with another store's code, or none,
///   is not; a redelivered lead counts once;
/// - bad input names every field; a consultant cannot make codes.
final class MarketingChannelTests: XCTestCase {
    private func decodedQRCode(_ file: Data, suffix: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("channel-\(UUID().uuidString).\(suffix)")
        try file.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["--quiet", "--raw", url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    func testAChannelsQRCodeDecodesToItsURLAndALeadArrivingWithItIsAttributedInTheReport() async throws {
        let suite = try await Suite.start(marketingEnvironment: [:])
        do {
            let known = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.directory_store WHERE code = 'HX000001'") == 1
            }
            XCTAssertTrue(known, "Marketing never learned the demo store")
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")

            // Every bad field at once, the kind with the store's codes and labels.
            let invalid = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                "name": " ", "kind": "banner", "landingUrl": "javascript:alert(1)",
            ])
            XCTAssertEqual(invalid.status, 422, invalid.text)
            XCTAssertEqual(Set(invalid.problemFields), ["name", "kind", "landingUrl"], invalid.text)
            XCTAssertTrue(invalid.text.contains("poster (海报)"), invalid.text)
            let noConsultant = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                "name": "张伟的个人码", "kind": "consultant", "landingUrl": "https://h5.example.cn/",
            ])
            XCTAssertEqual(noConsultant.problemFields, ["consultantId"], noConsultant.text)
            let otherStores = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                "name": "别店顾问码", "kind": "consultant", "landingUrl": "https://h5.example.cn/",
                "consultantId": try await suite.userID("consultant.2"),
            ])
            XCTAssertEqual(otherStores.problemFields, ["consultantId"], "a consultant of store 2 for a code of store 1: \(otherStores.text)")
            let refused = try await suite.request(.POST, "/api/v1/marketing/channels", token: consultant, json: [
                "name": "门口海报", "kind": "poster", "landingUrl": "https://h5.example.cn/",
            ])
            XCTAssertEqual(refused.status, 403, refused.text)

            let created = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                "name": "4S店门口海报", "kind": "poster", "landingUrl": "https://h5.example.cn/events/12?from=poster",
            ])
            XCTAssertEqual(created.status, 201, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String)
            let code = try XCTUnwrap(created.json["code"] as? String)
            XCTAssertNotNil(code.range(of: "^[2-9A-HJKMNP-Z]{6}$", options: .regularExpression), code)
            let url = try XCTUnwrap(created.json["url"] as? String)
            XCTAssertEqual(url, "https://h5.example.cn/events/12?from=poster&channel=\(code)")

            // The acceptance item: the code decodes to its channel URL, as PNG and as SVG.
            let png = try await suite.request(.GET, "/api/v1/marketing/channels/\(id)/qrcode", token: marketing)
            XCTAssertEqual(png.status, 200, png.text)
            XCTAssertEqual(png.headers.first(name: "content-type"), "image/png")
            XCTAssertEqual(try decodedQRCode(png.body, suffix: "png"), url)
            let svg = try await suite.request(.GET, "/api/v1/marketing/channels/\(id)/qrcode?format=svg&size=4", token: marketing)
            XCTAssertEqual(svg.headers.first(name: "content-type"), "image/svg+xml")
            XCTAssertEqual(try decodedQRCode(svg.body, suffix: "svg"), url)
            let badFormat = try await suite.request(.GET, "/api/v1/marketing/channels/\(id)/qrcode?format=gif", token: marketing)
            XCTAssertEqual(badFormat.problemFields, ["format"], badFormat.text)

            // A lead from the page the code opened; one without a code; one with a code of no channel;
            // the first again (a redelivery).
            let mobile = "1390710\(String(Int.random(in: 1000...9999)))"
            let lead = CloudEvent(source: "/platform/website", data: PlatformLeadReceived(
                platform: .other, platformLeadId: "H5-\(mobile)", storeCode: "HX000001", name: "海报客户", mobile: mobile,
                receivedAt: Date().addingTimeInterval(-600), channelCode: code.lowercased()))
            let uncoded = CloudEvent(source: "/platform/website", data: PlatformLeadReceived(
                platform: .other, platformLeadId: "H5-none-\(mobile)", storeCode: "HX000001", name: "无码客户", mobile: "13907109999",
                receivedAt: Date()))
            let foreign = CloudEvent(source: "/platform/website", data: PlatformLeadReceived(
                platform: .other, platformLeadId: "H5-foreign-\(mobile)", storeCode: "HX000002", name: "别店客户", mobile: "13907108888",
                receivedAt: Date(), channelCode: code))
            try await BrokerQueues.publish([lead, uncoded, foreign, lead])

            // The same customer comes to the showroom (Prospects announces the first arrival) and orders.
            let traffic = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "海报客户", "mobile": mobile, "arrival": "showroom", "arrivedAt": ISO8601DateFormatter().string(from: Date()),
                "category": "showroom", "source": "walk_in", "nature": "first_visit",
            ])
            XCTAssertEqual(traffic.status, 201, traffic.text)
            try await BrokerQueues.publish([CloudEvent(source: "/crm/prospects", data: ProspectPurchased(
                prospectId: UUID(), storeId: StoreID.forStoreCode("HX000001"), name: "海报客户", mobile: mobile, referrerMobile: nil,
                orderNo: "SO\(mobile)", orderedAt: Date().addingTimeInterval(60)))])

            var row: [String: Any] = [:]
            let attributed = try await eventually(timeout: .seconds(30)) {
                let report = try await suite.request(.GET, "/api/v1/marketing/channels/report", token: marketing)
                row = (report.json["channels"] as? [[String: Any]] ?? []).first { $0["code"] as? String == code } ?? [:]
                return row["leads"] as? Int == 1 && row["prospects"] as? Int == 1 && row["orders"] as? Int == 1
            }
            let outcomes = try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.channel_outcome")
            XCTAssertTrue(attributed, "the report's row: \(row), \(outcomes) outcomes\n\(suite.logs)")
            XCTAssertEqual(row["registrations"] as? Int, 0)
            let touches = try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.channel_touch")
            XCTAssertEqual(touches, 1, "only the coded lead of the channel's own store, once")

            // A period before the lead: nothing; the export speaks the store's words.
            let before = try await suite.request(.GET, "/api/v1/marketing/channels/report?from=2020-01-01&to=2020-01-31", token: marketing)
            XCTAssertEqual((before.json["channels"] as? [[String: Any]])?.first?["leads"] as? Int, 0, before.text)
            let badPeriod = try await suite.request(.GET, "/api/v1/marketing/channels/report?from=2026-13-01&to=x", token: marketing)
            XCTAssertEqual(Set(badPeriod.problemFields), ["from", "to"], badPeriod.text)
            let export = try await suite.request(.GET, "/api/v1/marketing/channels/report/export?format=csv", token: marketing)
            XCTAssertEqual(export.status, 200, export.text)
            XCTAssertTrue(export.text.contains("4S店门口海报") && export.text.contains("海报") && export.text.contains("线索"), export.text)

            // Disabled, the code keeps its URL; the list filters on it.
            let disabled = try await suite.request(.PATCH, "/api/v1/marketing/channels/\(id)", token: marketing, json: ["enabled": false])
            XCTAssertEqual(disabled.json["enabled"] as? Bool, false, disabled.text)
            XCTAssertEqual(disabled.json["code"] as? String, code)
            let live = try await suite.request(.GET, "/api/v1/marketing/channels?enabled=true", token: marketing)
            XCTAssertFalse(live.items.contains { $0["id"] as? String == id })
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// First touch (M6): a customer a channel brought in first stays that channel's, whatever other
    /// channel they come through later, and a period keeps the customers whose first touch falls in
    /// it. And 展厅活动 (M3) has limits: a registration more than 90 days before the arrival does not
    /// make it, nor does one of a customer a referrer brought (老客户介绍 stays, for the referral).
    func testTheFirstTouchKeepsTheCustomerAndTheEventSourceHasItsLimits() async throws {
        let suite = try await Suite.start()
        do {
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")
            func channel(_ name: String) async throws -> String {
                let created = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                    "name": name, "kind": "poster", "landingUrl": "https://h5.example.cn/events/1",
                ])
                guard let code = created.json["code"] as? String else { throw TestFailure(created.text) }
                return code
            }
            let first = try await channel("车展海报"), second = try await channel("朋友圈广告")
            let event = try await suite.request(.POST, "/api/v1/marketing/events", token: marketing, json: [
                "name": "试驾日", "startsAt": "2099-01-01 09:00", "endsAt": "2099-01-01 17:00", "content": "到店试驾", "capacity": 10,
            ])
            let eventID = try XCTUnwrap(event.json["id"] as? String, event.text)
            _ = try await suite.request(.POST, "/api/v1/marketing/events/\(eventID)/online", token: marketing)

            // Yesterday a lead came through the first channel; today the customer registers through the second.
            let mobile = "1370720\(String(Int.random(in: 1000...9999)))"
            try await BrokerQueues.publish([CloudEvent(source: "/platform/website", data: PlatformLeadReceived(
                platform: .other, platformLeadId: "H5-first-\(mobile)", storeCode: "HX000001", name: "首触客户", mobile: mobile,
                receivedAt: Date().addingTimeInterval(-86_400), channelCode: first))])
            let touched = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.channel_touch WHERE mobile = '\(mobile)'") == 1
            }
            XCTAssertTrue(touched, "the lead never reached Marketing\n\(suite.logs)")
            let registered = try await suite.request(
                .POST, "/api/v1/public/marketing/events/\(eventID)/registrations", json: ["mobile": mobile, "name": "首触客户", "channelCode": second])
            XCTAssertEqual(registered.status, 201, registered.text)
            let arrival = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "首触客户", "mobile": mobile, "arrival": "showroom", "arrivedAt": ISO8601DateFormatter().string(from: Date()),
                "category": "showroom", "source": "walk_in", "nature": "first_visit",
            ])
            XCTAssertEqual(arrival.status, 201, arrival.text)
            func rows(_ query: String = "") async throws -> [String: [String: Any]] {
                let report = try await suite.request(.GET, "/api/v1/marketing/channels/report\(query)", token: marketing)
                return Dictionary(uniqueKeysWithValues: (report.json["channels"] as? [[String: Any]] ?? []).map { ($0["code"] as? String ?? "", $0) })
            }
            let credited = try await eventually(timeout: .seconds(30)) { try await rows()[first]?["prospects"] as? Int == 1 }
            let report = try await rows()
            XCTAssertTrue(credited, "the first channel never got the prospect: \(report)")
            XCTAssertEqual(report[first]?["leads"] as? Int, 1)
            XCTAssertEqual(report[second]?["registrations"] as? Int, 1)
            XCTAssertEqual(report[second]?["prospects"] as? Int, 0, "the second touch does not take the customer")
            // Today on the store's calendar: the registration is in the period, the customer (first touched yesterday) is not.
            let storeDay = DateFormatter()
            storeDay.locale = Locale(identifier: "en_US_POSIX")
            storeDay.timeZone = TimeZone(identifier: "Asia/Shanghai")
            storeDay.dateFormat = "yyyy-MM-dd"
            let period = try await rows("?from=\(storeDay.string(from: Date()))")
            XCTAssertEqual(period[first]?["leads"] as? Int, 0)
            XCTAssertEqual(period[first]?["prospects"] as? Int, 0)
            XCTAssertEqual(period[second]?["registrations"] as? Int, 1)
            XCTAssertEqual(period[second]?["prospects"] as? Int, 0)

            // A registration 100 days before the arrival is too old to make the source 展厅活动.
            let old = "1370730\(String(Int.random(in: 1000...9999)))"
            let store = StoreID.forStoreCode("HX000001")
            _ = try await suite.database.scalar("""
                INSERT INTO prospects.event_registration (registration_id, store_id, mobile, event_id, event_name, registered_at)
                VALUES ('\(UUID())', '\(store)', '\(old)', '\(UUID())', '去年车展', now() - interval '100 days') RETURNING 1
                """)
            let late = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "老报名客户", "mobile": old, "arrival": "showroom", "arrivedAt": ISO8601DateFormatter().string(from: Date()),
                "category": "showroom", "source": "walk_in", "nature": "first_visit",
            ])
            XCTAssertEqual(late.status, 201, late.text)
            let lateSource = try await suite.database.rows("SELECT source FROM prospects.prospect WHERE mobile = '\(old)'")
            XCTAssertEqual(lateSource, ["walk_in"])
            // A registrant a referrer brought stays a referral: the referrer earns the referral coupons.
            let referred = "1370740\(String(Int.random(in: 1000...9999)))"
            let registration = try await suite.request(
                .POST, "/api/v1/public/marketing/events/\(eventID)/registrations", json: ["mobile": referred, "name": "被介绍客户"])
            XCTAssertEqual(registration.status, 201, registration.text)
            let heard = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.event_registration WHERE mobile = '\(referred)'") == 1
            }
            XCTAssertTrue(heard, "Prospects never heard of the registration")
            let referral = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "被介绍客户", "mobile": referred, "arrival": "showroom", "arrivedAt": ISO8601DateFormatter().string(from: Date()),
                "category": "showroom", "source": "referral", "referrerMobile": "13900001111", "nature": "first_visit",
            ])
            XCTAssertEqual(referral.status, 201, referral.text)
            let referralSource = try await suite.database.rows("SELECT source FROM prospects.prospect WHERE mobile = '\(referred)'")
            XCTAssertEqual(referralSource, ["referral"])
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// A mobile that registered for an event through a channel's page (集客报名, M3) counts as the
    /// channel's registration, and when it then comes to the showroom as a new customer, its
    /// prospect's source is 展厅活动 whatever the consultant chose (Prospects reads
    /// `marketing.registration.created.v1`).
    func testARegistrationThroughAChannelIsCountedAndItsProspectComesFromTheEvent() async throws {
        let suite = try await Suite.start()
        do {
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")
            let channel = try await suite.request(.POST, "/api/v1/marketing/channels", token: marketing, json: [
                "name": "合作伙伴展架", "kind": "partner", "landingUrl": "https://h5.example.cn/events",
            ])
            let code = try XCTUnwrap(channel.json["code"] as? String, channel.text)
            let event = try await suite.request(.POST, "/api/v1/marketing/events", token: marketing, json: [
                "name": "新春试驾会", "startsAt": "2099-01-01 09:00", "endsAt": "2099-01-01 17:00", "content": "到店试驾", "capacity": 10,
            ])
            let eventID = try XCTUnwrap(event.json["id"] as? String, event.text)
            let online = try await suite.request(.POST, "/api/v1/marketing/events/\(eventID)/online", token: marketing)
            XCTAssertEqual(online.status, 200, online.text)
            let mobile = "1370710\(String(Int.random(in: 1000...9999)))"
            let registered = try await suite.request(
                .POST, "/api/v1/public/marketing/events/\(eventID)/registrations",
                json: ["mobile": mobile, "name": "展会客户", "channelCode": " \(code.lowercased()) "])
            XCTAssertEqual(registered.status, 201, registered.text)
            // A page that passes the code in lower case: stored as the channel's code.
            let stored = try await suite.database.scalar(
                "SELECT count(*)::int8 FROM marketing.event_registration WHERE mobile = '\(mobile)' AND channel_code = '\(code)'")
            XCTAssertEqual(stored, 1)

            let report = try await suite.request(.GET, "/api/v1/marketing/channels/report", token: marketing)
            let row = (report.json["channels"] as? [[String: Any]] ?? []).first { $0["code"] as? String == code }
            XCTAssertEqual(row?["registrations"] as? Int, 1, report.text)

            let heard = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM prospects.event_registration WHERE mobile = '\(mobile)'") == 1
            }
            XCTAssertTrue(heard, "Prospects never heard of the registration\n\(suite.logs)")
            let traffic = try await suite.request(.POST, "/api/v1/prospects/traffic", token: consultant, json: [
                "name": "展会客户", "mobile": mobile, "arrival": "showroom", "arrivedAt": ISO8601DateFormatter().string(from: Date()),
                "category": "showroom", "source": "walk_in", "nature": "first_visit",
            ])
            XCTAssertEqual(traffic.status, 201, traffic.text)
            let source = try await suite.database.scalar(
                "SELECT count(*)::int8 FROM prospects.prospect WHERE mobile = '\(mobile)' AND source = 'showroom_event'")
            XCTAssertEqual(source, 1, "the prospect's source is 展厅活动: \(traffic.text)")
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }
}
