import Foundation
@testable import ServiceKit
import XCTest

/// `RichTextSanitizer` (M1, seed §9.1: a news body shown on the customer-facing site): the
/// classic XSS vectors one by one, then thousands of generated tag / attribute / entity soups,
/// each result checked by `SafeHTMLCheck`, a reader of its own that knows only the allow-list.
final class RichTextSanitizerTests: XCTestCase {
    func testKeepsTheAllowListedMarkup() {
        let html = """
            <h2>新车上市</h2><p>全新<strong>奔驰C级</strong>到店，<em>欢迎</em><u>试驾</u>。<br>电话：<a href="https://hx.example.cn/c" title="详情">详情</a>
            <a href="mailto:sales@hx.example.cn">邮件</a></p><ul><li>一</li><li>二</li></ul><ol><li>三</li></ol>
            <blockquote>引用</blockquote><img src="http://img.example.cn/c.jpg" alt="C级"><span>说明</span>
            <table><caption>价格</caption><thead><tr><th>车型</th></tr></thead><tbody><tr><td>C 200</td></tr></tbody></table>
            """
        let clean = RichTextSanitizer.sanitize(html)
        XCTAssertEqual(clean, """
            <h2>新车上市</h2><p>全新<strong>奔驰C级</strong>到店，<em>欢迎</em><u>试驾</u>。<br>电话：<a href="https://hx.example.cn/c" title="详情">详情</a>
            <a href="mailto:sales@hx.example.cn">邮件</a></p><ul><li>一</li><li>二</li></ul><ol><li>三</li></ol>
            <blockquote>引用</blockquote><img src="http://img.example.cn/c.jpg" alt="C级"><span>说明</span>
            <table><caption>价格</caption><thead><tr><th>车型</th></tr></thead><tbody><tr><td>C 200</td></tr></tbody></table>
            """)
        XCTAssertEqual(RichTextSanitizer.sanitize(clean), clean, "sanitising its own output changes nothing")
    }

    func testUnwrapsOtherElementsAndEscapesText() {
        XCTAssertEqual(RichTextSanitizer.sanitize("<div class=x><font color=red>红色</font></div>"), "红色")
        XCTAssertEqual(RichTextSanitizer.sanitize("1 &lt; 2 &amp;&amp; 3 > 2"), "1 &lt; 2 &amp;&amp; 3 &gt; 2")
        XCTAssertEqual(RichTextSanitizer.sanitize("<P ID=a STYLE=color:red>Text</P>"), "<p>Text</p>")
        XCTAssertEqual(RichTextSanitizer.sanitize(""), "")
        XCTAssertEqual(RichTextSanitizer.sanitize("<!-- 备注 -->正文"), "正文")
    }

    /// The classic vectors (OWASP's XSS filter evasion list and friends): none of them leaves a
    /// script, a handler or a script URL behind.
    func testClassicVectors() {
        let vectors: [(String, String?)] = [
            ("<script>alert(1)</script>文字", "文字"),
            ("<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>", ""),
            ("<ScRiPt>alert(1)</sCrIpT>", ""),
            ("<script>document.write('<p>x</p>')</script>", ""),
            ("<<script>alert(1);//<</script>", nil),
            ("<img src=x onerror=alert(1)>", ""),
            ("<img src=\"https://a.example/x.png\" onerror=\"alert(1)\">", "<img src=\"https://a.example/x.png\">"),
            ("<IMG SRC=\"javascript:alert('XSS');\">", ""),
            ("<IMG SRC=JaVaScRiPt:alert('XSS')>", ""),
            ("<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>", ""),
            ("<img src=\"jav\tascript:alert('XSS');\">", ""),
            ("<img src=\"jav&#x09;ascript:alert('XSS');\">", ""),
            ("<img src=\"jav&#x0A;ascript:alert('XSS');\">", ""),
            ("<img src=\" &#14;  javascript:alert('XSS');\">", ""),
            ("<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>", ""),
            ("<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097>", ""),
            ("<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74>", ""),
            ("<a href=\"javascript:alert(1)\">点我</a>", "<a>点我</a>"),
            ("<a href=\"JAVASCRIPT:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"  javascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"java\u{0}script:alert(1)\">x</a>", nil),
            ("<a href=\"javas&#99;ript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", "<a>x</a>"),
            ("<a href=\"vbscript:msgbox(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"VbScRiPt&#58;msgbox(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"/relative\">x</a>", "<a>x</a>"),
            ("<a href=\"https://ok.example/?q=&quot;&gt;<script>\">x</a>", "<a href=\"https://ok.example/?q=&quot;&gt;&lt;script&gt;\">x</a>"),
            ("<a href=\"https://ok.example\" onclick=\"alert(1)\" onmouseover=alert(1) target=_blank>x</a>", "<a href=\"https://ok.example\">x</a>"),
            ("<body onload=alert('XSS')>正文", "正文"),
            ("<iframe src=\"javascript:alert(1)\"></iframe>", ""),
            ("<iframe src=https://evil.example>内嵌</iframe>后", "后"),
            ("<object data=\"javascript:alert(1)\"><param name=x></object>", ""),
            ("<embed src=\"data:image/svg+xml;base64,PHN2Zz4=\">", ""),
            ("<style>@import 'http://xss.example/xss.css';</style>", ""),
            ("<p style=\"background:url(javascript:alert(1))\">x</p>", "<p>x</p>"),
            ("<span style=\"width: expression(alert('XSS'));\">x</span>", "<span>x</span>"),
            ("<svg onload=alert(1)><script>alert(2)</script></svg>", ""),
            ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
            ("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1);\">", ""),
            ("<link rel=stylesheet href=\"javascript:alert(1)\">", ""),
            ("<base href=\"javascript:alert(1)//\">", ""),
            ("<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>", nil),
            ("<div style=\"x:expression(alert(1))\">x</div>", "x"),
            ("<!--[if gte IE 4]><script>alert(1)</script><![endif]-->", ""),
            ("<xmp><script>alert(1)</script></xmp>", ""),
            ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", nil),
            ("<textarea><script>alert(1)</script></textarea>", ""),
            ("<title><script>alert(1)</script></title>", ""),
            ("<form action=\"javascript:alert(1)\"><button>提交</button></form>", "提交"),
            ("<input type=image src=javascript:alert(1)>", ""),
            ("<a href=\"https://ok.example\"\" onmouseover=\"alert(1)\">x</a>", nil),
            ("<img \"\"\"><script>alert(1)</script>\">", nil),
            ("<scr<script>ipt>alert(1)</script>", nil),
            ("<a href=\"&#x6A;avascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"\u{200B}javascript:alert(1)\">x</a>", "<a>x</a>"),
            ("<a href=\"https:alert(1)\">x</a>", "<a href=\"https:alert(1)\">x</a>"),
        ]
        for (vector, expected) in vectors {
            let clean = RichTextSanitizer.sanitize(vector)
            if let failure = SafeHTMLCheck.problem(in: clean) {
                XCTFail("\(vector) → \(clean): \(failure)")
            }
            if let expected { XCTAssertEqual(clean, expected, vector) }
            XCTAssertEqual(RichTextSanitizer.sanitize(clean), clean, "not stable: \(vector)")
        }
    }

    /// Thousands of random soups of tags (allowed, dropped, unknown, broken), attributes
    /// (handlers, URLs in every disguise), entities, quotes and stray brackets: every result
    /// passes `SafeHTMLCheck`, and sanitising it again changes nothing.
    func testRandomSoupsLeaveNothingDangerous() {
        var random = SeededGenerator(seed: 0x9_1_2026)  // DammCheckDigitTests' SplitMix64
        let tags = ["p", "br", "a", "img", "script", "SCRIPT", "ScRiPt", "style", "iframe", "object", "embed", "svg", "math",
                    "div", "span", "table", "td", "tr", "li", "ul", "b", "h2", "noscript", "textarea", "title", "xmp", "body",
                    "html", "head", "meta", "base", "form", "template", "scr", "x-y", "img/", "a/", "frameset", "plaintext"]
        let attributes = ["href", "src", "onerror", "onload", "ONCLICK", "onmouseover", "style", "title", "alt", "srcset",
                          "formaction", "xlink:href", "background", "data", "action", "on", "o\nnerror", "class"]
        let schemes = ["javascript:", "JaVaScRiPt:", "java\tscript:", "jav&#x09;ascript:", "&#106;avascript:", "javascript&#58;",
                       "javascript&colon;", " javascript:", "\u{1}javascript:", "vbscript:", "data:text/html,", "DATA:", "http://",
                       "https://", "mailto:", "//", "", "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A"]
        let texts = ["alert(1)", "<", ">", "&", "&amp;", "&lt;script&gt;", "\"", "'", "`", "=", "/", "//", "<!--", "-->",
                     "<![CDATA[", "]]>", "&#60;", "&#x3C;", "&lt", "中文", " ", "\n", "<?php ?>", "</", "onerror=", "javascript:"]
        for round in 0..<5_000 {
            var soup = ""
            for _ in 0..<Int.random(in: 1...14, using: &random) {
                switch Int.random(in: 0..<6, using: &random) {
                case 0, 1:
                    soup += "<" + tags.randomElement(using: &random)!
                    for _ in 0..<Int.random(in: 0...3, using: &random) {
                        let name = attributes.randomElement(using: &random)!
                        let value = schemes.randomElement(using: &random)! + texts.randomElement(using: &random)!
                        switch Int.random(in: 0..<4, using: &random) {
                        case 0: soup += " \(name)=\"\(value)\""
                        case 1: soup += " \(name)='\(value)'"
                        case 2: soup += " \(name)=\(value.replacingOccurrences(of: " ", with: ""))"
                        default: soup += " \(name)"
                        }
                    }
                    soup += Bool.random(using: &random) ? ">" : (Bool.random(using: &random) ? " />" : "")
                case 2:
                    soup += "</" + tags.randomElement(using: &random)! + ">"
                default:
                    soup += texts.randomElement(using: &random)!
                }
            }
            let clean = RichTextSanitizer.sanitize(soup)
            if let failure = SafeHTMLCheck.problem(in: clean) {
                XCTFail("round \(round): \(soup.debugDescription) → \(clean.debugDescription): \(failure)")
                return
            }
            let again = RichTextSanitizer.sanitize(clean)
            if again != clean {
                XCTFail("round \(round): not stable: \(soup.debugDescription) → \(clean.debugDescription) → \(again.debugDescription)")
                return
            }
        }
    }

    func testDeepNestingIsCut() {
        let deep = String(repeating: "<span>", count: 5_000) + "深" + String(repeating: "</span>", count: 5_000)
        let clean = RichTextSanitizer.sanitize(deep)
        XCTAssertNil(SafeHTMLCheck.problem(in: clean))
    }
}

/// A reader of sanitised HTML that trusts nothing but the allow-list: every `<` opens a tag of
/// an allowed element with allowed attributes in double quotes, URLs have an allowed scheme,
/// and nothing that looks like a handler, a script URL or a script tag is left anywhere.
enum SafeHTMLCheck {
    static let elements: Set<String> = ["p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
                                        "a", "img", "span", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"]

    static func problem(in html: String) -> String? {
        let tag = try! NSRegularExpression(pattern: "^<(/?)([a-z0-9]+)((?: [a-z]+=\"[^\"<>]*\")*)>")
        let attribute = try! NSRegularExpression(pattern: " ([a-z]+)=\"([^\"<>]*)\"")
        let text = html as NSString
        var index = 0
        while index < text.length {
            let rest = text.substring(from: index)
            guard rest.hasPrefix("<") else {
                let next = (rest as NSString).range(of: "<")
                let chunk = next.location == NSNotFound ? rest : (rest as NSString).substring(to: next.location)
                if chunk.contains(">") { return "a raw > in text" }
                // Every & starts an entity the serializer writes.
                if chunk.replacingOccurrences(of: "&amp;", with: "").replacingOccurrences(of: "&lt;", with: "")
                    .replacingOccurrences(of: "&gt;", with: "").contains("&") { return "a raw & in text" }
                index += (chunk as NSString).length
                continue
            }
            guard let match = tag.firstMatch(in: rest, range: NSRange(location: 0, length: (rest as NSString).length)) else {
                return "a < that opens no allowed tag: \(rest.prefix(40))"
            }
            let name = (rest as NSString).substring(with: match.range(at: 2))
            guard elements.contains(name) else { return "element \(name)" }
            let attributes = (rest as NSString).substring(with: match.range(at: 3))
            for found in attribute.matches(in: attributes, range: NSRange(location: 0, length: (attributes as NSString).length)) {
                let key = (attributes as NSString).substring(with: found.range(at: 1))
                let value = (attributes as NSString).substring(with: found.range(at: 2))
                    .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                    .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
                switch (name, key) {
                case (_, "title"), ("img", "alt"):
                    break
                case ("a", "href"), ("img", "src"):
                    let lowered = value.lowercased()
                    let allowed = key == "href" ? ["http:", "https:", "mailto:"] : ["http:", "https:"]
                    if !allowed.contains(where: { lowered.hasPrefix($0) }) { return "\(key)=\(value)" }
                    if lowered.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) { return "white space in \(key)" }
                default:
                    return "attribute \(key) on \(name)"
                }
            }
            index += match.range.length
        }
        let lowered = html.lowercased()
        for needle in ["<script", "<style", "<iframe", "<object", "<embed", "<svg"] where lowered.contains(needle) {
            return "contains \(needle)"
        }
        return nil
    }
}
