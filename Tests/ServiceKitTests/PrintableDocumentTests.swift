import Foundation
import ServiceKit
import XCTest

/// The PDF that `PrintableDocument` writes, checked the way a reader finds its way through it:
/// header and end marker, the cross-reference table's offsets, the page tree, the text.
final class PrintableDocumentTests: XCTestCase {
    /// A test-drive agreement with a 60-row table: too long for one page.
    static let agreement: [UInt8] = {
        var document = PrintableDocument(title: "试乘试驾协议")
        document.fields([(label: "客户姓名", value: "张三"), (label: "手机", value: "13800138000")])
        document.heading("试驾记录")
        document.table(headers: ["序号", "路线", "里程"], rows: (1...60).map { ["\($0)", "城市道路 (含高速)", "\($0) km"] })
        document.signatures(["客户签字", "销售顾问签字", "日期"])
        return [UInt8](document.pdf())
    }()

    func testFileStartsWithTheHeaderAndEndsWithTheEndMarker() {
        XCTAssertTrue(Self.agreement.starts(with: Array("%PDF-1.".utf8)))
        XCTAssertTrue(Self.agreement.reversed().starts(with: Array("%%EOF\n".utf8).reversed()))
    }

    func testEveryCrossReferenceEntryPointsAtItsObject() throws {
        let pdf = Self.agreement
        let tail = text(pdf.suffix(40))
        let startxref = try XCTUnwrap(tail.range(of: "startxref\n"))
        let xrefOffset = try XCTUnwrap(Int(tail[startxref.upperBound...].prefix { $0.isNumber }))
        let lines = text(pdf[xrefOffset...]).split(separator: "\n")
        XCTAssertEqual(lines[0], "xref")
        let objectCount = try XCTUnwrap(Int(lines[1].split(separator: " ")[1]))
        XCTAssertGreaterThan(objectCount, 6)
        for number in 1..<objectCount {
            let entry = lines[2 + number]
            XCTAssertEqual(entry.count, 19, "an entry is 20 bytes with its newline")
            let offset = try XCTUnwrap(Int(entry.prefix(10)))
            let marker = Array("\(number) 0 obj\n".utf8)
            XCTAssertEqual(Array(pdf[offset..<offset + marker.count]), marker, "object \(number)")
        }
    }

    func testPageTreeCountsEveryPageAndEachPageIsNumbered() throws {
        let pdf = text(Self.agreement[...])
        let afterCount = try XCTUnwrap(pdf.range(of: "/Count ")).upperBound
        let count = try XCTUnwrap(Int(pdf[afterCount...].prefix { $0.isNumber }))
        XCTAssertGreaterThanOrEqual(count, 2, "60 table rows do not fit on one page")
        XCTAssertEqual(pdf.components(separatedBy: "/Type /Page ").count - 1, count, "one page object per page")
        XCTAssertTrue(pdf.contains("<\(utf16Hex("第 \(count) / \(count) 页"))> Tj"), "the last page's number")
    }

    func testChineseTextIsWrittenAsUTF16Hex() {
        let pdf = text(Self.agreement[...])
        XCTAssertTrue(pdf.contains("<\(utf16Hex("张三"))> Tj"))
        XCTAssertTrue(pdf.contains(utf16Hex("城市道路 (含高速)")), "parentheses inside a hex string need no escaping")
        XCTAssertFalse(pdf.contains("(含高速)"), "no text is written as a literal string")
    }

    /// The bytes as text, one character per byte: apart from the header's binary comment, the
    /// writer writes only ASCII.
    private func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    private func utf16Hex(_ string: String) -> String {
        string.utf16.map { String(format: "%04X", $0) }.joined()
    }
}
