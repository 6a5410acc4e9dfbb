import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// The SMS platform (短信平台, issue 15 M5; seed §9.5) on the real PostgreSQL and RabbitMQ, every
/// service a process, through the gateway as `marketing.1` (HX000001, Asia/Shanghai), with the
/// real Aliyun adapter (`CRM_SMS_PROVIDER=aliyun`) against the provider emulator
/// `Tests/Fixtures/sms/aliyun_sms_emulator.py`, started here as a process: it checks each request's
/// HMAC-SHA1 signature, accepts one message per `OutId`, fails and times out on command, counts
/// what it sent, and pushes delivery receipts and replies to the public callback routes.
///
/// - templates: an unknown variable or an unbalanced brace is a 422 on `content` listing the
///   allowed variables; bad sends, settings and opt-outs are problem+json naming their fields;
/// - a mobile on the opt-out list and a mobile over the daily cap get no message and a logged
///   reason (已退订, 超过每日上限);
/// - the emulator failing once (HTTP 500) and timing out once still sends each message exactly
///   once (its counts: one message per key and mobile) with the emulator sending every repeated
///   `OutId` again, as Aliyun does: the retry after the timeout finds the message by its `OutId`
///   (`QuerySendDetails`) instead of sending it twice; receipts set `delivered` and are announced as
///   `marketing.sms.delivered.v1`;
/// - a marketing send at 22:30 store time is queued (免打扰时段) and goes at 08:00 the next day
///   (the fixed clock moved through `CRM_CLOCK_FILE`), while a notice goes at once;
/// - a send at a time (08:30) waits for it on the store's clock;
/// - a reply of TD puts the mobile on the opt-out list and its next message is skipped; the log
///   exports with labels; an imported list reports row by row (dry run) and then sends.
final class MarketingSmsTests: XCTestCase {
    /// The emulator as a process of this test.
    final class Emulator: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(accessKeyId: String, secret: String) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/sms/aliyun_sms_emulator.py")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, "--access-key-id", accessKeyId, "--access-key-secret", secret]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { throw TestFailure("the SMS emulator exited before it listened") }
                line.append(chunk)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let port = Int(text.split(separator: "\n")[0].split(separator: " ").last ?? "") else {
                throw TestFailure("the SMS emulator said \(text)")
            }
            self.port = port
        }

        func control(_ body: [String: Any], path: String = "/control") async throws {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            guard response.status == .ok else { throw TestFailure("the emulator refused \(body)") }
        }

        /// `requests`, `messages` (by OutId), `byMobile` (messages sent) and `queries` (QuerySendDetails by mobile).
        func stats() async throws -> [String: [String: Int]] {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/stats"), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
            var stats: [String: [String: Int]] = [:]
            for name in ["requests", "messages", "byMobile", "queries"] { stats[name] = json[name] as? [String: Int] ?? [:] }
            return stats
        }

        /// SIGKILL: a child of the test process inherits its blocked signals, SIGTERM among them.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    private func key(_ id: String) -> String { id.lowercased().replacingOccurrences(of: "-", with: "") }

    func testTheSmsPlatformKeepsItsRulesAndSendsEachMessageExactlyOnce() async throws {
        let accessKeyId = "LTAI5tTestDealerCrm"
        let secret = UUID().uuidString
        let token = UUID().uuidString
        let emulator = try Emulator(accessKeyId: accessKeyId, secret: secret)
        // 10:00 in Wuhan (UTC+8) on 18 December 2026.
        let clock = try TestClockFile("2026-12-18T02:00:00Z")
        defer { clock.remove(); emulator.stop() }
        let suite = try await Suite.start(marketingEnvironment: clock.environment.merging([
            "CRM_SMS_PROVIDER": "aliyun", "CRM_SMS_ENDPOINT": "http://127.0.0.1:\(emulator.port)/",
            "CRM_SMS_ACCESS_KEY_ID": accessKeyId, "CRM_SMS_ACCESS_KEY_SECRET": secret, "CRM_SMS_SIGN_NAME": "华星汽车",
            "CRM_SMS_CALLBACK_TOKEN": token, "CRM_SMS_TIMEOUT_MS": "1500", "CRM_SMS_RETRY_MS": "200", "CRM_SMS_DISPATCH_MS": "200",
        ]) { _, given in given })
        do {
            let gateway = "http://127.0.0.1:\(suite.gateway.port)/api/v1/public/marketing/sms"
            try await emulator.control(["receiptsUrl": "\(gateway)/receipts?token=\(token)", "repliesUrl": "\(gateway)/replies?token=\(token)"])
            let known = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.directory_store WHERE code = 'HX000001'") == 1
            }
            XCTAssertTrue(known, "Marketing never learned the demo store")
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")

            // Templates: variables checked when saved.
            let unknown = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "试驾邀请", "kind": "marketing", "content": "{name}您好，{vin}的保养到期了",
            ])
            XCTAssertEqual(unknown.status, 422, unknown.text)
            XCTAssertTrue(unknown.isProblem)
            XCTAssertEqual(unknown.problemFields, ["content"], unknown.text)
            XCTAssertTrue(unknown.text.contains("{vin}") && unknown.text.contains("{plate}") && unknown.text.contains("{store}"), unknown.text)
            let unbalanced = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "试驾邀请", "kind": "advert", "content": "{name您好", "providerTemplateCode": "SMS 1",
            ])
            XCTAssertEqual(Set(unbalanced.problemFields), ["kind", "content", "providerTemplateCode"], unbalanced.text)
            let closing = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "试驾邀请", "kind": "marketing", "content": "name}您好",
            ])
            XCTAssertEqual(closing.problemFields, ["content"], closing.text)
            let refused = try await suite.request(.GET, "/api/v1/marketing/sms/templates", token: consultant)
            XCTAssertEqual(refused.status, 403, refused.text)

            let invitation = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "周末试驾", "kind": "marketing", "content": "{name}您好，{store}本周末试驾会，到店有礼。",
                "providerTemplateCode": "SMS_100001",
            ])
            XCTAssertEqual(invitation.status, 201, invitation.text)
            XCTAssertEqual(invitation.json["variables"] as? [String], ["name", "store"])
            let marketingTemplate = try XCTUnwrap(invitation.json["id"] as? String)
            let notice = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "保养提醒", "kind": "notice", "content": "{name}您好，您的爱车{plate}保养到期，请预约到店。",
                "providerTemplateCode": "SMS_100002",
            ])
            XCTAssertEqual(notice.status, 201, notice.text)
            let noticeTemplate = try XCTUnwrap(notice.json["id"] as? String)

            // Bad input: problem+json naming the fields.
            let badSend = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "list", "recipients": [["mobile": "12345", "name": "张三"]],
            ])
            XCTAssertEqual(badSend.status, 422, badSend.text)
            XCTAssertEqual(badSend.problemFields, ["recipients[0].mobile"], badSend.text)
            let badAudience = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "everyone",
            ])
            XCTAssertEqual(badAudience.problemFields, ["audience"], badAudience.text)
            let malformed = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, rawBody: "{\"templateId\": ")
            XCTAssertEqual(malformed.status, 400, malformed.text)
            XCTAssertTrue(malformed.isProblem, malformed.text)
            let noTemplate = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": UUID().uuidString, "audience": "list", "recipients": [["mobile": "13900000000"]],
            ])
            XCTAssertEqual(noTemplate.status, 404, noTemplate.text)
            let badCap = try await suite.request(.PUT, "/api/v1/marketing/sms/settings", token: marketing, json: ["dailyCap": 0])
            XCTAssertEqual(badCap.problemFields, ["dailyCap"], badCap.text)
            let badOptOut = try await suite.request(.POST, "/api/v1/marketing/sms/opt-outs", token: marketing, json: ["mobile": "abc"])
            XCTAssertEqual(badOptOut.problemFields, ["mobile"], badOptOut.text)
            let forged = try await suite.request(.POST, "/api/v1/public/marketing/sms/receipts?token=guess", rawBody: "[]")
            XCTAssertEqual(forged.status, 401, forged.text)

            // The rules: an opted-out mobile, a cap of 2 a day.
            let suffix = String(Int.random(in: 1000...9999))
            let failing = "1390710" + suffix, slow = "1390711" + suffix, optedOut = "1390712" + suffix, capped = "1390713" + suffix
            let optOut = try await suite.request(.POST, "/api/v1/marketing/sms/opt-outs", token: marketing, json: ["mobile": optedOut, "note": "电话要求"])
            XCTAssertEqual(optOut.status, 201, optOut.text)
            let cap = try await suite.request(.PUT, "/api/v1/marketing/sms/settings", token: marketing, json: ["dailyCap": 2])
            XCTAssertEqual(cap.json["dailyCap"] as? Int, 2, cap.text)
            // As Aliyun behaves: a repeated OutId is sent again; only the adapter's lookup keeps a retry single.
            try await emulator.control(["failOnce": [failing], "timeoutOnce": [slow], "timeoutSeconds": 4, "dedup": false])

            var sends: [String] = []
            let first = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "list",
                "recipients": [["mobile": failing, "name": "王磊"], ["mobile": slow, "name": "李毅"], ["mobile": optedOut, "name": "赵敏"],
                               ["mobile": capped, "name": "陈云"], ["mobile": failing, "name": "王磊"]],
            ])
            XCTAssertEqual(first.status, 201, first.text)
            XCTAssertEqual((first.json["counts"] as? [String: Any])?["total"] as? Int, 4, "a mobile once per send: \(first.text)")
            sends.append(try XCTUnwrap(first.json["id"] as? String))
            for _ in 0..<2 {
                let more = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                    "templateId": marketingTemplate, "audience": "list", "recipients": [["mobile": capped, "name": "陈云"]],
                ])
                XCTAssertEqual(more.status, 201, more.text)
                sends.append(try XCTUnwrap(more.json["id"] as? String))
            }

            var log: [[String: Any]] = []
            let settled = try await eventually(timeout: .seconds(60)) {
                log = []
                for send in sends {
                    log += try await suite.request(.GET, "/api/v1/marketing/sms/messages?sendId=\(send)&pageSize=100", token: marketing).items
                }
                let states = log.map { $0["state"] as? String ?? "" }
                return log.count == 6 && states.allSatisfy { $0 == "delivered" || $0 == "skipped" }
            }
            XCTAssertTrue(settled, "\(log)\n\(suite.logs)")
            func rows(_ mobile: String) -> [[String: Any]] { log.filter { $0["mobile"] as? String == mobile } }
            let stats = try await emulator.stats()
            for mobile in [failing, slow] {
                let row = try XCTUnwrap(rows(mobile).first)
                XCTAssertEqual(row["state"] as? String, "delivered", "\(row)")
                XCTAssertEqual(row["stateLabel"] as? String, "已送达")
                XCTAssertEqual(row["providerCode"] as? String, "DELIVERED")
                XCTAssertEqual(row["attempts"] as? Int, 2, "one failed or timed-out try, then the retry: \(row)")
                let id = try XCTUnwrap(row["id"] as? String)
                XCTAssertEqual(stats["messages"]?[key(id)], 1, "one message for the key")
                XCTAssertEqual(stats["byMobile"]?[mobile], 1, "exactly one message reached \(mobile)")
                XCTAssertGreaterThanOrEqual(stats["queries"]?[mobile] ?? 0, 1, "the retry looked the OutId up first")
                XCTAssertTrue((row["content"] as? String ?? "").hasSuffix("回复TD退订"), "\(row)")
            }
            // The 500 was no message: the retry sent it. The timeout was one: the retry found it by its OutId
            // (QuerySendDetails) and did not send it again.
            let failedOnce = try XCTUnwrap(rows(failing).first?["id"] as? String)
            let timedOut = try XCTUnwrap(rows(slow).first?["id"] as? String)
            XCTAssertEqual(stats["requests"]?[key(failedOnce)], 2, "SendSms twice with one OutId")
            XCTAssertEqual(stats["requests"]?[key(timedOut)], 1, "SendSms once; the retry was a lookup")
            let opted = try XCTUnwrap(rows(optedOut).first)
            XCTAssertEqual(opted["state"] as? String, "skipped")
            XCTAssertTrue((opted["reason"] as? String ?? "").contains("已退订"), "\(opted)")
            XCTAssertNil(stats["byMobile"]?[optedOut], "no message to an opted-out mobile")
            let cappedRows = rows(capped)
            XCTAssertEqual(cappedRows.count { $0["state"] as? String == "delivered" }, 2, "\(cappedRows)")
            let over = try XCTUnwrap(cappedRows.first { $0["state"] as? String == "skipped" })
            XCTAssertTrue((over["reason"] as? String ?? "").contains("超过每日上限"), "\(over)")
            XCTAssertEqual(stats["byMobile"]?[capped], 2, "the cap of 2 a day")
            let announced = try await eventually(timeout: .seconds(15)) {
                try await suite.database.scalar("""
                    SELECT count(*)::int8 FROM marketing.outbox WHERE event_type = 'marketing.sms.delivered.v1'
                    AND envelope->'data'->>'mobile' IN ('\(failing)', '\(slow)')
                    """) == 2
            }
            XCTAssertTrue(announced, "each delivery announced once")
            let counted = try await suite.request(.GET, "/api/v1/marketing/sms/sends/\(sends[0])", token: marketing)
            let counts = try XCTUnwrap(counted.json["counts"] as? [String: Any])
            XCTAssertEqual((counts["delivered"] as? Int ?? 0) + (counts["skipped"] as? Int ?? 0), 4, counted.text)
            XCTAssertEqual(counts["total"] as? Int, 4, counted.text)

            // 22:30 on the store's clock: a marketing message waits for 08:00; a notice goes now.
            try clock.set(RFC3339.date(from: "2026-12-18T14:30:00Z")!)
            let night = "1390714" + suffix, car = "1390715" + suffix
            let late = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "list", "recipients": [["mobile": night, "name": "周杰"]],
            ])
            XCTAssertEqual(late.status, 201, late.text)
            let reminder = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": noticeTemplate, "audience": "list",
                "recipients": [["mobile": car, "name": "孙丽", "plate": "鄂A12345"], ["mobile": night, "name": "周杰"]],
            ])
            XCTAssertEqual(reminder.status, 201, reminder.text)
            var nightRow: [String: Any] = [:]
            let deferred = try await eventually(timeout: .seconds(30)) {
                let rows = try await suite.request(.GET, "/api/v1/marketing/sms/messages?mobile=\(night)", token: marketing).items
                nightRow = rows.first { $0["sendId"] as? String == late.json["id"] as? String } ?? [:]
                return (nightRow["reason"] as? String ?? "").contains("免打扰时段")
            }
            XCTAssertTrue(deferred, "\(nightRow)")
            XCTAssertEqual(nightRow["state"] as? String, "queued")
            XCTAssertEqual(nightRow["notBefore"] as? String, "2026-12-19T00:00:00Z", "08:00 the next day in Wuhan")
            let noticed = try await eventually(timeout: .seconds(30)) {
                let rows = try await suite.request(.GET, "/api/v1/marketing/sms/messages?sendId=\(reminder.json["id"] as? String ?? "")", token: marketing).items
                return rows.count == 2 && rows.allSatisfy { ["delivered", "skipped"].contains($0["state"] as? String ?? "") }
            }
            XCTAssertTrue(noticed, "a notice goes in quiet hours")
            let noticeRows = try await suite.request(.GET, "/api/v1/marketing/sms/messages?sendId=\(reminder.json["id"] as? String ?? "")", token: marketing).items
            XCTAssertEqual(noticeRows.first { $0["mobile"] as? String == car }?["state"] as? String, "delivered")
            XCTAssertEqual(noticeRows.first { $0["mobile"] as? String == car }?["content"] as? String, "孙丽您好，您的爱车鄂A12345保养到期，请预约到店。")
            let noPlate = noticeRows.first { $0["mobile"] as? String == night }
            XCTAssertEqual(noPlate?["state"] as? String, "skipped")
            XCTAssertTrue((noPlate?["reason"] as? String ?? "").contains("车牌"), "\(String(describing: noPlate))")
            var nightStats = try await emulator.stats()
            XCTAssertNil(nightStats["byMobile"]?[night], "nothing to \(night) at 22:30")

            try clock.set(RFC3339.date(from: "2026-12-18T23:59:00Z")!)  // 07:59
            try await Task.sleep(for: .seconds(1))
            nightStats = try await emulator.stats()
            XCTAssertNil(nightStats["byMobile"]?[night], "nothing at 07:59")
            try clock.set(RFC3339.date(from: "2026-12-19T00:00:00Z")!)  // 08:00
            let morning = try await eventually(timeout: .seconds(30)) {
                let rows = try await suite.request(.GET, "/api/v1/marketing/sms/messages?mobile=\(night)", token: marketing).items
                return rows.first { $0["sendId"] as? String == late.json["id"] as? String }?["state"] as? String == "delivered"
            }
            XCTAssertTrue(morning, "the queued message goes at 08:00")
            nightStats = try await emulator.stats()
            XCTAssertEqual(nightStats["byMobile"]?[night], 1)

            // A send at a time: 08:30 on the store's clock goes at 08:30, not before.
            let later = "1390716" + suffix
            let scheduled = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "list", "recipients": [["mobile": later, "name": "吴凡"]],
                "sendAt": "2026-12-19T08:30:00+08:00",
            ])
            XCTAssertEqual(scheduled.status, 201, scheduled.text)
            XCTAssertEqual(scheduled.json["sendAt"] as? String, "2026-12-19T00:30:00Z")
            try await Task.sleep(for: .seconds(1))
            let waiting = try await suite.request(.GET, "/api/v1/marketing/sms/messages?mobile=\(later)", token: marketing).items
            XCTAssertEqual(waiting.first?["state"] as? String, "queued", "\(waiting)")
            try clock.set(RFC3339.date(from: "2026-12-19T00:30:00Z")!)
            let onTime = try await eventually(timeout: .seconds(30)) {
                try await suite.request(.GET, "/api/v1/marketing/sms/messages?mobile=\(later)", token: marketing).items.first?["state"] as? String
                    == "delivered"
            }
            XCTAssertTrue(onTime, "the scheduled message goes at its time")

            // The customer replies TD: on the list, and the next marketing message is skipped.
            try await emulator.control(["mobile": failing, "content": "td"], path: "/control/reply")
            let listed = try await eventually(timeout: .seconds(15)) {
                let entries = try await suite.request(.GET, "/api/v1/marketing/sms/opt-outs?mobile=\(failing)", token: marketing).items
                return entries.first?["source"] as? String == "reply"
            }
            XCTAssertTrue(listed, "a TD reply opts the mobile out")
            let afterReply = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": marketingTemplate, "audience": "list", "recipients": [["mobile": failing, "name": "王磊"]],
            ])
            XCTAssertEqual(afterReply.status, 201, afterReply.text)
            var replyRow: [String: Any] = [:]
            let skippedAfterReply = try await eventually(timeout: .seconds(30)) {
                let rows = try await suite.request(.GET, "/api/v1/marketing/sms/messages?sendId=\(afterReply.json["id"] as? String ?? "")", token: marketing).items
                replyRow = rows.first ?? [:]
                return replyRow["state"] as? String == "skipped"
            }
            XCTAssertTrue(skippedAfterReply && (replyRow["reason"] as? String ?? "").contains("已退订"), "\(replyRow)")
            let afterStats = try await emulator.stats()
            XCTAssertEqual(afterStats["byMobile"]?[failing], 1, "nothing more to a mobile that replied TD")

            // The log as a file, in staff words.
            let export = try await suite.request(.GET, "/api/v1/marketing/sms/messages/export?format=csv", token: marketing)
            XCTAssertEqual(export.status, 200, export.text)
            XCTAssertTrue(export.text.contains("发送状态") && export.text.contains("已退订") && export.text.contains("已送达"), export.text)

            // An imported list, as a dry run: a report per row, nothing sent.
            let csv = "手机号码,客户姓名,车牌号码\n13800000001,张三,鄂A12345\nbad,李四,\n13800000001,张三,\n"
            let dry = try await suite.request(
                .POST, "/api/v1/marketing/sms/sends/import?templateId=\(noticeTemplate)&dryRun=true", token: marketing, rawBody: csv,
                contentType: "text/csv")
            XCTAssertEqual(dry.status, 200, dry.text)
            XCTAssertEqual(dry.json["listed"] as? Int, 1, dry.text)
            XCTAssertEqual(dry.json["rejected"] as? Int, 1, dry.text)
            XCTAssertEqual(dry.json["duplicates"] as? Int, 1, dry.text)
            XCTAssertNil(dry.json["send"] as? [String: Any])
            let imported = try await suite.request(
                .POST, "/api/v1/marketing/sms/sends/import?templateId=\(noticeTemplate)", token: marketing, rawBody: csv, contentType: "text/csv")
            XCTAssertEqual(imported.status, 201, imported.text)
            let importedSend = try XCTUnwrap(imported.json["send"] as? [String: Any], imported.text)
            XCTAssertEqual(importedSend["audience"] as? String, "file")
            XCTAssertEqual((importedSend["counts"] as? [String: Any])?["total"] as? Int, 1, imported.text)
        } catch {
            await suite.stop()
            throw error
        }
        await suite.stop()
    }

    /// A retry meets the rules again: a marketing message whose first try failed at 21:59 and whose
    /// retry falls after 22:00 waits for 08:00 (and then goes once); one whose mobile replied TD
    /// between the tries is not sent again.
    func testARetryAfter22WaitsFor08AndAnOptOutBetweenTriesStopsIt() async throws {
        let accessKeyId = "LTAI5tTestDealerCrm"
        let secret = UUID().uuidString
        let emulator = try Emulator(accessKeyId: accessKeyId, secret: secret)
        // 21:59 in Wuhan (UTC+8) on 18 December 2026.
        let clock = try TestClockFile("2026-12-18T13:59:00Z")
        defer { clock.remove(); emulator.stop() }
        let suite = try await Suite.start(marketingEnvironment: clock.environment.merging([
            "CRM_SMS_PROVIDER": "aliyun", "CRM_SMS_ENDPOINT": "http://127.0.0.1:\(emulator.port)/",
            "CRM_SMS_ACCESS_KEY_ID": accessKeyId, "CRM_SMS_ACCESS_KEY_SECRET": secret, "CRM_SMS_SIGN_NAME": "华星汽车",
            "CRM_SMS_CALLBACK_TOKEN": UUID().uuidString, "CRM_SMS_TIMEOUT_MS": "1500", "CRM_SMS_RETRY_MS": "4000", "CRM_SMS_DISPATCH_MS": "200",
        ]) { _, given in given })
        do {
            let marketing = try await suite.login("marketing.1")
            let template = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "周末试驾", "kind": "marketing", "content": "{name}您好，本周末试驾会，到店有礼。", "providerTemplateCode": "SMS_100003",
            ])
            let templateID = try XCTUnwrap(template.json["id"] as? String, template.text)
            let suffix = String(Int.random(in: 1000...9999))
            let late = "1390720" + suffix, leaving = "1390721" + suffix
            try await emulator.control(["failOnce": [late, leaving], "dedup": false])
            let send = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": templateID, "audience": "list", "recipients": [["mobile": late, "name": "王磊"], ["mobile": leaving, "name": "李毅"]],
            ])
            XCTAssertEqual(send.status, 201, send.text)
            let sendID = try XCTUnwrap(send.json["id"] as? String)
            // Both first tries fail (HTTP 500) at 21:59; before the retries, one mobile opts out and it turns 22:00.
            let tried = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("""
                    SELECT count(*)::int8 FROM marketing.sms_message WHERE send_id = '\(sendID)' AND attempts = 1 AND held_until IS NOT NULL
                      AND reason IS NOT NULL
                    """) == 2
            }
            XCTAssertTrue(tried, "the first tries never failed\n\(suite.logs)")
            let optOut = try await suite.request(.POST, "/api/v1/marketing/sms/opt-outs", token: marketing, json: ["mobile": leaving])
            XCTAssertEqual(optOut.status, 201, optOut.text)
            try clock.set(RFC3339.date(from: "2026-12-18T14:00:30Z")!)  // 22:00:30
            let waited = try await eventually(timeout: .seconds(30)) {
                try await suite.database.rows("""
                    SELECT mobile || ':' || state || ':' || coalesce(reason, '') FROM marketing.sms_message WHERE send_id = '\(sendID)' ORDER BY mobile
                    """).map { $0.contains("免打扰") || $0.contains("已退订") } == [true, true]
            }
            let states = try await suite.database.rows(
                "SELECT mobile || ':' || state FROM marketing.sms_message WHERE send_id = '\(sendID)' ORDER BY mobile")
            XCTAssertTrue(waited, "\(states)")
            XCTAssertEqual(states.last, "\(leaving):skipped")
            try await Task.sleep(for: .seconds(5))
            var stats = try await emulator.stats()
            XCTAssertEqual(stats["byMobile"]?[late] ?? 0, 0, "nothing sent after 22:00")
            XCTAssertEqual(stats["byMobile"]?[leaving] ?? 0, 0, "nothing sent to the mobile that opted out")
            // 08:00 the next day: the retry goes, once.
            try clock.set(RFC3339.date(from: "2026-12-19T00:00:00Z")!)
            let sent = try await eventually(timeout: .seconds(30)) { try await emulator.stats()["byMobile"]?[late] == 1 }
            XCTAssertTrue(sent, "the retry never went at 08:00")
            try await Task.sleep(for: .seconds(2))
            stats = try await emulator.stats()
            XCTAssertEqual(stats["byMobile"]?[late], 1)
            XCTAssertEqual(stats["byMobile"]?[leaving] ?? 0, 0)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// A solicitation campaign's targets as an audience (M5; AS4): the owners of the cars the
    /// after-sales director's campaign lists, read from AfterSales over its internal route, each
    /// message with its car's plate; a campaign of no store of the caller's is a 422.
    func testACampaignsTargetsAreAnAudienceWithTheirPlates() async throws {
        let suite = try await Suite.start()
        do {
            let director = try await suite.login("as.director.1")
            let tag = String(Int.random(in: 10_000...99_999))
            var vins: [String] = []
            for (index, name) in ["车主甲", "车主乙"].enumerated() {
                let vin = AfterSalesRecordsTests.vin()
                vins.append(vin)
                let car = try await suite.request(.POST, "/api/v1/after-sales/vehicles", token: director, json: [
                    "vin": vin, "plate": "鄂A\(index)\(tag.prefix(4))", "brand": "别克", "series": "君越", "model": "2026款",
                    "owner": ["name": name, "mobile": "1368\(tag)\(index)0"],
                ])
                XCTAssertEqual(car.status, 201, car.text)
            }
            let campaign = try await suite.request(.POST, "/api/v1/after-sales/campaigns", token: director, json: [
                "kind": "regular_maintenance", "name": "冬季保养招揽", "startsOn": "2026-12-01", "endsOn": "2099-12-31",
                "contactMethods": ["sms"], "targets": "list",
            ])
            XCTAssertEqual(campaign.status, 201, campaign.text)
            let campaignID = try XCTUnwrap(campaign.json["id"] as? String)
            let list = try await suite.request(
                .PUT, "/api/v1/after-sales/campaigns/\(campaignID)/vehicles", token: director,
                bytes: Data("车架号\n\(vins.joined(separator: "\n"))\n".utf8), contentType: "text/csv")
            XCTAssertEqual(list.json["listed"] as? Int, 2, list.text)

            let marketing = try await suite.login("marketing.1")
            let template = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "保养提醒", "kind": "notice", "content": "{name}您好，您的爱车{plate}该保养了。", "providerTemplateCode": "SMS_100010",
            ])
            let templateID = try XCTUnwrap(template.json["id"] as? String, template.text)
            let send = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": templateID, "audience": "campaign", "campaignId": campaignID,
            ])
            XCTAssertEqual(send.status, 201, send.text)
            XCTAssertEqual(send.json["audience"] as? String, "campaign")
            XCTAssertEqual(send.json["campaignId"] as? String, campaignID)
            XCTAssertEqual((send.json["counts"] as? [String: Any])?["total"] as? Int, 2, send.text)
            let sendID = try XCTUnwrap(send.json["id"] as? String)
            let contents = try await suite.database.rows(
                "SELECT content FROM marketing.sms_message WHERE send_id = '\(sendID)' ORDER BY content")
            XCTAssertEqual(contents, ["车主乙您好，您的爱车鄂A1\(tag.prefix(4))该保养了。", "车主甲您好，您的爱车鄂A0\(tag.prefix(4))该保养了。"].sorted())

            // A campaign the store does not have, a campaign without the audience, the audience without a campaign.
            let unknown = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": templateID, "audience": "campaign", "campaignId": UUID().uuidString,
            ])
            XCTAssertEqual(unknown.status, 422, unknown.text)
            XCTAssertEqual(unknown.problemFields, ["campaignId"])
            let otherStore = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: try await suite.login("marketing.2"), json: [
                "templateId": templateID, "audience": "campaign", "campaignId": campaignID,
            ])
            XCTAssertTrue([404, 422].contains(otherStore.status), otherStore.text)
            let missing = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": templateID, "audience": "campaign",
            ])
            XCTAssertEqual(missing.problemFields, ["campaignId"], missing.text)
            let misplaced = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": templateID, "audience": "list", "recipients": [["mobile": "13900001111"]], "campaignId": campaignID,
            ])
            XCTAssertEqual(misplaced.problemFields, ["campaignId"], misplaced.text)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// Two replicas of crm-marketing dispatch the same messages: each goes once (the claim is
    /// `FOR UPDATE SKIP LOCKED`; a timed-out try is resolved by whichever replica retries it).
    /// The audiences that are not lists: an event's registrants (and `{event}` filled in with its
    /// name) and a filter over the prospects Marketing knows from `prospects.prospect.changed.v1`.
    func testTwoReplicasSendEachMessageOnceToEventRegistrantsCustomersAndLists() async throws {
        let accessKeyId = "LTAI5tTestDealerCrm"
        let secret = UUID().uuidString
        let token = UUID().uuidString
        let emulator = try Emulator(accessKeyId: accessKeyId, secret: secret)
        // Today 10:00 on the store's clock (Asia/Shanghai), so that events made now are open.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let ten = calendar.date(bySettingHour: 10, minute: 0, second: 0, of: Date())!
        let clock = try TestClockFile(ten)
        defer { clock.remove(); emulator.stop() }
        let environment = clock.environment.merging([
            "CRM_SMS_PROVIDER": "aliyun", "CRM_SMS_ENDPOINT": "http://127.0.0.1:\(emulator.port)/",
            "CRM_SMS_ACCESS_KEY_ID": accessKeyId, "CRM_SMS_ACCESS_KEY_SECRET": secret, "CRM_SMS_SIGN_NAME": "华星汽车",
            "CRM_SMS_CALLBACK_TOKEN": token, "CRM_SMS_TIMEOUT_MS": "1000", "CRM_SMS_RETRY_MS": "100", "CRM_SMS_DISPATCH_MS": "100",
        ]) { _, given in given }
        let suite = try await Suite.start(marketingEnvironment: environment)
        let replica = try ServiceProcess(.marketing)
        do {
            try replica.start(overrides: environment)
            try await replica.waitUntilReady()
            let gateway = "http://127.0.0.1:\(suite.gateway.port)/api/v1/public/marketing/sms"
            try await emulator.control(["receiptsUrl": "\(gateway)/receipts?token=\(token)", "dedup": false])
            let known = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.directory_store WHERE code = 'HX000001'") == 1
            }
            XCTAssertTrue(known, "Marketing never learned the demo store")
            let marketing = try await suite.login("marketing.1")

            // An event with three registrants.
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = calendar.timeZone
            format.dateFormat = "yyyy-MM-dd HH:mm"
            let event = try await suite.request(.POST, "/api/v1/marketing/events", token: marketing, json: [
                "name": "冬季试驾会", "theme": "新车品鉴", "startsAt": format.string(from: ten.addingTimeInterval(86_400)),
                "endsAt": format.string(from: ten.addingTimeInterval(2 * 86_400)), "charge": "free", "content": "到店试驾", "capacity": 10,
            ])
            XCTAssertEqual(event.status, 201, event.text)
            let eventId = try XCTUnwrap(event.json["id"] as? String)
            let online = try await suite.request(.POST, "/api/v1/marketing/events/\(eventId)/online", token: marketing)
            XCTAssertEqual(online.status, 200, online.text)
            let suffix = String(Int.random(in: 1000...9999))
            let registrants = (0..<3).map { "1371000\($0)" + suffix.prefix(3) }
            for (index, mobile) in registrants.enumerated() {
                let registered = try await suite.request(
                    .POST, "/api/v1/public/marketing/events/\(eventId)/registrations", json: ["mobile": mobile, "name": "报名\(index)"])
                XCTAssertEqual(registered.status, 201, registered.text)
            }
            // Two prospects Marketing learns from Prospects; one of them in the recycle bin.
            let customers = ["1372000" + suffix, "1372001" + suffix]
            try await BrokerQueues.publish(customers.enumerated().map { index, mobile in
                CloudEvent(source: "/crm/prospects", data: ProspectChanged(
                    prospectId: UUID(), storeId: StoreID.forStoreCode("HX000001"), name: "客户\(index)", mobile: mobile, gender: nil,
                    province: nil, city: nil, source: "walk_in", level: "H", brand: nil, series: "XT5-\(suffix)", model: nil, state: "following",
                    consultantId: nil, referrerMobile: nil, inRecycleBin: index == 1, changedAt: Date()))
            })
            let learned = try await eventually(timeout: .seconds(30)) {
                try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.customer_prospect WHERE series = 'XT5-\(suffix)'") == 2
            }
            XCTAssertTrue(learned, "Marketing never learned the prospects")

            let invitation = try await suite.request(.POST, "/api/v1/marketing/sms/templates", token: marketing, json: [
                "name": "活动邀请", "kind": "marketing", "content": "{name}您好，诚邀您参加{event}。", "providerTemplateCode": "SMS_100003",
            ])
            XCTAssertEqual(invitation.status, 201, invitation.text)
            let template = try XCTUnwrap(invitation.json["id"] as? String)
            let noEvent = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": template, "audience": "list", "recipients": [["mobile": "13900000000"]],
            ])
            XCTAssertEqual(noEvent.problemFields, ["eventId"], "{event} needs an event: \(noEvent.text)")
            let toRegistrants = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": template, "audience": "event", "eventId": eventId,
            ])
            XCTAssertEqual(toRegistrants.status, 201, toRegistrants.text)
            XCTAssertEqual((toRegistrants.json["counts"] as? [String: Any])?["total"] as? Int, 3, toRegistrants.text)
            // An unknown code in the filter is named with the allowed words, not a send to nobody.
            let badFilter = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": template, "audience": "customers", "eventId": eventId, "customers": ["level": "HOT", "state": "active", "source": "nowhere"],
            ])
            XCTAssertEqual(badFilter.status, 422, badFilter.text)
            XCTAssertEqual(badFilter.problemFields, ["customers.level", "customers.source"], badFilter.text)
            XCTAssertTrue(badFilter.text.contains("H (H级（7天内购车）)"), "the allowed levels with their labels: \(badFilter.text)")
            let toCustomers = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": template, "audience": "customers", "eventId": eventId, "customers": ["series": "XT5-\(suffix)"],
            ])
            XCTAssertEqual(toCustomers.status, 201, toCustomers.text)
            XCTAssertEqual((toCustomers.json["counts"] as? [String: Any])?["total"] as? Int, 1, "not the one in the recycle bin: \(toCustomers.text)")
            let listed = (0..<40).map { "1373" + String(format: "%03d", $0) + suffix }
            try await emulator.control(["timeoutOnce": Array(listed.prefix(3)), "failOnce": Array(listed.suffix(3)), "timeoutSeconds": 2])
            let toList = try await suite.request(.POST, "/api/v1/marketing/sms/sends", token: marketing, json: [
                "templateId": template, "audience": "list", "eventId": eventId,
                "recipients": listed.map { ["mobile": $0, "name": "名单客户"] },
            ])
            XCTAssertEqual(toList.status, 201, toList.text)

            let everyone = registrants + [customers[0]] + listed
            var log: [[String: Any]] = []
            let sends = try [toRegistrants, toCustomers, toList].map { try XCTUnwrap($0.json["id"] as? String) }
            let delivered = try await eventually(timeout: .seconds(90)) {
                log = []
                for send in sends {
                    log += try await suite.request(.GET, "/api/v1/marketing/sms/messages?sendId=\(send)&pageSize=100", token: marketing).items
                }
                return log.count == everyone.count && log.allSatisfy { $0["state"] as? String == "delivered" }
            }
            XCTAssertTrue(delivered, "\(log.filter { $0["state"] as? String != "delivered" })\n\(suite.logs)")
            let stats = try await emulator.stats()
            for mobile in everyone {
                XCTAssertEqual(stats["byMobile"]?[mobile], 1, "exactly one message to \(mobile)")
            }
            XCTAssertEqual(stats["byMobile"]?.values.reduce(0, +), everyone.count, "nothing else was sent")
            let registrantRow = log.first { $0["mobile"] as? String == registrants[0] }
            XCTAssertEqual(registrantRow?["content"] as? String, "报名0您好，诚邀您参加冬季试驾会。 回复TD退订")
        } catch {
            await replica.stop()
            await suite.stop()
            throw error
        }
        await replica.stop()
        await suite.stop()
    }
}
