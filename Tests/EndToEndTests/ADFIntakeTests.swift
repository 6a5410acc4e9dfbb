import Foundation
import NIOHTTP1
import TestSupport
import XCTest

/// ADF as platforms send it (L3; issue 12, item 3), through the gateway on the real PostgreSQL
/// and RabbitMQ: the real-world files of `Tests/Fixtures/cases` read as they are, and every value read
/// back through the API.
final class ADFIntakeTests: XCTestCase {
    var suite: Suite!

    override func setUp() async throws {
        suite = try await Suite.start()
    }

    override func tearDown() async throws {
        await suite?.stop()
    }

    /// A real-world file of `Tests/Fixtures/cases`, byte for byte.
    private func fixture(_ name: String) throws -> Data {
        try RealWorldFiles.data(name)
    }

    private func post(_ document: Data, token: String) async throws -> Suite.Reply {
        try await suite.request(.POST, "/api/v1/leads/intake/adf", token: token, bytes: document, contentType: "application/xml")
    }

    private func lead(_ id: Any?, token: String) async throws -> [String: Any] {
        let id = try XCTUnwrap(id as? String, "no leadId")
        let reply = try await suite.request(.GET, "/api/v1/leads/leads/\(id)", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.json
    }

    /// The store's leads matching a query (`mobile=…`, `name=…`).
    private func leads(_ query: [String: String], token: String) async throws -> [[String: Any]] {
        var components = URLComponents()
        components.queryItems = query.map { URLQueryItem(name: $0.key, value: $0.value) } + [URLQueryItem(name: "pageSize", value: "100")]
        let reply = try await suite.request(.GET, "/api/v1/leads/leads?\(components.percentEncodedQuery ?? "")", token: token)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.items
    }

    static func mobile() -> String { "136" + String(format: "%08d", Int.random(in: 0...99_999_999)) }

    /// `adf-bom-decl-two-prospects.xml`: a BOM, `<?adf?>`, CRLF, name parts, a CDATA and an
    /// entity-escaped comment, and the vendor's contact beside the customer's in each prospect.
    func testTwoProspectsEachGetTheirCustomersNameMobileSourceCarAndNoteNeverTheVendors() async throws {
        let manager = try await suite.login("sales.manager.1")
        let document = try fixture("adf-bom-decl-two-prospects.xml")
        XCTAssertTrue(document.starts(with: [0xEF, 0xBB, 0xBF]), "the fixture is sent with its byte-order mark")
        var reply = try await post(document, token: manager)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["rows"] as? Int, 2)
        XCTAssertEqual(reply.json["created"] as? Int, 2, reply.text)
        XCTAssertEqual(reply.json["rejected"] as? Int, 0, reply.text)
        var results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["row"] as? Int }, [1, 2], "one result per prospect, in document order")
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["created", "created"])
        let ids = results.map { $0["leadId"] as? String }

        let first = try await lead(ids[0], token: manager)
        XCTAssertEqual(first["name"] as? String, "张三", "last 张 + first 三, no space")
        XCTAssertEqual(first["mobile"] as? String, "13800138060")
        XCTAssertEqual(first["source"] as? String, "autohome")
        XCTAssertEqual(first["brand"] as? String, "凯迪拉克")
        XCTAssertEqual(first["series"] as? String, "XT5")
        XCTAssertEqual(first["model"] as? String, "28T 豪华型")
        XCTAssertEqual(first["note"] as? String, "周末到店 & 想看<白色>")
        XCTAssertNil(first["landline"], "the vendor's phone is not the customer's landline")

        let second = try await lead(ids[1], token: manager)
        XCTAssertEqual(second["name"] as? String, "李四")
        XCTAssertEqual(second["mobile"] as? String, "13800138061")
        XCTAssertEqual(second["source"] as? String, "yiche")
        XCTAssertEqual(second["brand"] as? String, "别克")
        XCTAssertEqual(second["series"] as? String, "GL8")
        XCTAssertNil(second["model"])
        XCTAssertEqual(second["note"] as? String, "预算 30万 & 要 7 座")
        XCTAssertNil(second["landline"], "the vendor's phone is not the customer's landline")

        let vendorNamed = try await leads(["name": "门店"], token: manager)
        XCTAssertEqual(vendorNamed.count, 0, "no lead carries the vendor contact's name")
        for vendorPhone in ["02700000000", "027-00000000"] {
            let withVendorPhone = try await leads(["mobile": vendorPhone], token: manager)
            XCTAssertEqual(withVendorPhone.count, 0, "no lead carries the vendor's phone")
        }

        // The platform sends the same document again: no second lead, each prospect a duplicate of its lead.
        reply = try await post(document, token: manager)
        XCTAssertEqual(reply.status, 200, reply.text)
        results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["duplicate", "duplicate"])
        XCTAssertEqual(results.map { $0["reason"] as? String }, ["exists", "exists"])
        XCTAssertEqual(results.map { $0["leadId"] as? String }, ids)
        for mobile in ["13800138060", "13800138061"] {
            let found = try await leads(["mobile": mobile], token: manager)
            XCTAssertEqual(found.count, 1, "one lead for \(mobile)")
        }
    }

    /// `adf-landline-first.xml`: a landline first, then a fax, then the cellphone.
    func testALandlineFirstCustomerGetsTheCellphoneAsMobileAndKeepsTheLandlineBesideIt() async throws {
        let manager = try await suite.login("sales.manager.1")
        let reply = try await post(try fixture("adf-landline-first.xml"), token: manager)
        XCTAssertEqual(reply.status, 200, reply.text)
        let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["created"], reply.text)
        let lead = try await lead(results.first?["leadId"], token: manager)
        XCTAssertEqual(lead["mobile"] as? String, "13800138063")
        XCTAssertEqual(lead["landline"] as? String, "027-0000 0000", "the landline is kept as the landline")
        XCTAssertEqual(lead["name"] as? String, "赵六")
        XCTAssertEqual(lead["source"] as? String, "yiche", "<provider><name>易车</name>")
        XCTAssertEqual(lead["brand"] as? String, "大众")
        XCTAssertEqual(lead["series"] as? String, "帕萨特")
        for landline in ["02700000000", "02700000001"] {
            let found = try await leads(["mobile": landline], token: manager)
            XCTAssertEqual(found.count, 0, "never a lead with a landline or fax as its mobile")
        }

        // The export shows the landline in a column of its own.
        let export = try await suite.request(.GET, "/api/v1/leads/leads/export?format=csv&mobile=13800138063", token: manager)
        XCTAssertEqual(export.status, 200, export.text)
        let lines = export.text.replacingOccurrences(of: "\u{FEFF}", with: "").split(whereSeparator: \.isNewline)
        XCTAssertTrue(lines.first?.hasPrefix("客户姓名,手机号码,固定电话,") ?? false, export.text)
        XCTAssertTrue(lines.dropFirst().first?.hasPrefix("赵六,13800138063,027-0000 0000,") ?? false, export.text)

        // The same field for a lead entered by hand: a landline is kept, a mobile in its place is refused.
        let mobile = Self.mobile()
        var entered = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: [
            "name": "孙八", "mobile": mobile, "landline": "027-84561234", "source": "phone",
        ])
        XCTAssertEqual(entered.status, 201, entered.text)
        XCTAssertEqual((entered.json["lead"] as? [String: Any])?["landline"] as? String, "027-84561234")
        entered = try await suite.request(.POST, "/api/v1/leads/leads", token: manager, json: [
            "name": "孙八", "mobile": Self.mobile(), "landline": mobile, "source": "phone",
        ])
        XCTAssertEqual(entered.status, 422, entered.text)
        XCTAssertEqual(entered.problemFields, ["landline"])
    }

    /// A DTD or entity declarations are refused whole, in staff words, before any entity is
    /// expanded — a billion laughs, an external entity, and the same behind a BOM or in UTF-16.
    func testADocumentDeclaringADTDOrEntitiesIsRefusedInStaffWords() async throws {
        let manager = try await suite.login("sales.manager.1")
        let mobile = Self.mobile()
        let prospect = """
            <prospect><customer><contact><name part="full">钱七</name><phone type="cellphone">\(mobile)</phone></contact>
            <comments>&lol9;</comments></customer></prospect>
            """
        let laughs = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE adf [
              <!ENTITY lol "lol">
              <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
              <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
              <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
              <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
              <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
              <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
              <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
            ]>
            <?adf version="1.0"?>
            <adf>\(prospect)</adf>
            """
        let external = """
            <?xml version="1.0"?>
            <!-- from the platform -->
            <!DOCTYPE adf SYSTEM "http://127.0.0.1:9/adf.dtd" [<!ENTITY lol9 SYSTEM "file:///etc/passwd">]>
            <adf>\(prospect)</adf>
            """
        let documents: [(String, Data)] = [
            ("billion laughs", Data(laughs.utf8)),
            ("billion laughs behind a BOM", Data([0xEF, 0xBB, 0xBF]) + Data(laughs.utf8)),
            ("external entity", Data(external.utf8)),
            ("billion laughs in UTF-16", laughs.replacingOccurrences(of: "UTF-8", with: "UTF-16").data(using: .utf16)!),
        ]
        for (label, document) in documents {
            let reply = try await post(document, token: manager)
            XCTAssertEqual(reply.status, 422, "\(label): \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["adf"], label)
            let message = try XCTUnwrap((reply.json["errors"] as? [[String: Any]])?.first?["message"] as? String, label)
            XCTAssertTrue(message.contains("DTD or entity declarations"), "\(label): \(message)")
            for parserWords in ["NSXMLParser", "Error Domain", "Code=", "libxml", "error 89", "(null)"] {
                XCTAssertFalse(reply.text.contains(parserWords), "\(label): the parser's own words in \(reply.text)")
            }
        }
        let entered = try await leads(["mobile": mobile], token: manager)
        XCTAssertEqual(entered.count, 0, "nothing of a refused document is entered")

        // Broken XML, or another root: staff words too, never the parser's.
        for (label, document) in [("unclosed", "<adf><prospect></adf>"), ("undeclared entity", "<adf>&nbsp;</adf>"), ("not adf", "<lead/>")] {
            let reply = try await post(Data(document.utf8), token: manager)
            XCTAssertEqual(reply.status, 422, "\(label): \(reply.text)")
            XCTAssertEqual(reply.problemFields, ["adf"], label)
            for parserWords in ["NSXMLParser", "Error Domain", "Code=", "libxml", "(null)"] {
                XCTAssertFalse(reply.text.contains(parserWords), "\(label): the parser's own words in \(reply.text)")
            }
        }
    }

    /// Several prospects, one of them bad: the good ones are entered, the bad one rejected with
    /// every reason, a mobile twice in the document is a duplicate of its first prospect.
    func testOneBadProspectIsRejectedWithItsReasonsAndTheOthersAreEntered() async throws {
        let manager = try await suite.login("sales.manager.1")
        let (first, second) = (Self.mobile(), Self.mobile())
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <?adf version="1.0"?>
            <adf>
              <prospect><id source="dongchedi">D-1</id>
                <vehicle><make>宝马</make><model>X3</model></vehicle>
                <customer><contact><name part="last">欧阳</name><name part="first">娜娜</name><phone type="cellphone">\(first)</phone></contact></customer>
              </prospect>
              <prospect><id source="dongchedi">D-2</id>
                <customer><contact><phone type="voice">010-12345678</phone></contact><comments>只有座机</comments></customer>
                <vendor><contact><name part="full">门店</name><phone type="cellphone">13800138099</phone></contact></vendor>
              </prospect>
              <prospect><id source="dongchedi">D-3</id>
                <customer><contact><name part="full">欧阳娜娜</name><phone>\(first)</phone></contact></customer>
              </prospect>
              <prospect>
                <customer><contact><name part="first">Anna</name><name part="last">Smith</name><phone type="voice">+86 \(second)</phone></contact></customer>
                <provider><name part="full">汽车之家</name></provider>
              </prospect>
            </adf>
            """
        let reply = try await post(Data(document.utf8), token: manager)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["rows"] as? Int, 4)
        XCTAssertEqual(reply.json["created"] as? Int, 2, reply.text)
        XCTAssertEqual(reply.json["duplicates"] as? Int, 1, reply.text)
        XCTAssertEqual(reply.json["rejected"] as? Int, 1, reply.text)
        let results = try XCTUnwrap(reply.json["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["row"] as? Int }, [1, 2, 3, 4])
        XCTAssertEqual(results.map { $0["outcome"] as? String }, ["created", "rejected", "duplicate", "created"])

        // The bad prospect: every reason, each naming its ADF element; the vendor's contact does not fill the gaps.
        let errors = try XCTUnwrap(results[1]["errors"] as? [[String: Any]])
        XCTAssertEqual(Set(errors.compactMap { $0["field"] as? String }), ["customer.contact.name", "customer.contact.phone"], reply.text)
        let phoneMessage = errors.first { $0["field"] as? String == "customer.contact.phone" }?["message"] as? String ?? ""
        XCTAssertTrue(phoneMessage.contains("no mobile"), phoneMessage)
        XCTAssertNil(results[1]["leadId"])
        let vendors = try await leads(["mobile": "13800138099"], token: manager)
        XCTAssertEqual(vendors.count, 0, "the vendor's cellphone is never a lead")

        XCTAssertEqual(results[2]["reason"] as? String, "repeated_in_import")
        XCTAssertEqual(results[2]["leadId"] as? String, results[0]["leadId"] as? String)

        let chinese = try await lead(results[0]["leadId"], token: manager)
        XCTAssertEqual(chinese["name"] as? String, "欧阳娜娜", "a two-character family name, first, no space")
        XCTAssertEqual(chinese["mobile"] as? String, first)
        XCTAssertEqual(chinese["source"] as? String, "dongchedi")
        XCTAssertEqual(chinese["brand"] as? String, "宝马")
        let western = try await lead(results[3]["leadId"], token: manager)
        XCTAssertEqual(western["name"] as? String, "Anna Smith", "a Western name in ADF's order, first then last, one space")
        XCTAssertEqual(western["mobile"] as? String, second, "a voice phone that is a mobile is the mobile")
        XCTAssertEqual(western["source"] as? String, "autohome")
        let firstLeads = try await leads(["mobile": first], token: manager)
        XCTAssertEqual(firstLeads.count, 1, "a mobile twice in the document is one lead")
    }
}
