import Foundation
import ServiceKit
import TestSupport
import XCTest

/// The PDF that `PrintableDocument` writes, read back with poppler the way a reader sees it: every
/// font embedded, the text copied out as written (a CJK Extension B name included), page breaks
/// with the table header repeated, pages that draw.
final class PrintableDocumentTests: XCTestCase {
    /// A test-drive agreement for the driver of `driver.json`, with a 60-row table: too long for
    /// one page.
    static func agreement(driver: [String: String]) throws -> Data {
        var document = PrintableDocument(title: "试乘试驾协议")
        document.fields([
            (label: "试驾人姓名", value: driver["driverName"] ?? ""), (label: "手机", value: "13800138000"),
            (label: "身份证号码", value: driver["idNumber"] ?? ""), (label: "试驾人地址", value: driver["driverAddress"] ?? ""),
            (label: "驾驶证号", value: ""),
        ])
        document.heading("试驾记录")
        document.paragraph(String(repeating: "试驾人遵守道路交通安全法律法规，按指定路线行驶，服从陪同人员指挥。", count: 4))
        document.table(headers: ["序号", "路线", "里程"], rows: (1...60).map { ["\($0)", "城市道路 (含高速) <环线>", "\($0) km"] },
                       widths: [1, 3, 1], alignments: [.center, .leading, .trailing])
        document.signatures(["客户签字", "销售顾问签字", "日期"])
        return try document.pdf()
    }

    func testEveryFontIsEmbeddedAsASubsetThatMapsBackToUnicode() throws {
        let fonts = try PDFReader(try Self.agreement(driver: try RealWorldFiles.driver())).fonts()
        XCTAssertFalse(fonts.isEmpty, "pdffonts lists the fonts the pages use")
        for font in fonts {
            XCTAssertTrue(font.embedded, "\(font)")
            XCTAssertTrue(font.subset, "only the glyphs used, not a 20 MB font: \(font)")
            XCTAssertTrue(font.unicode, "the text can be copied: \(font)")
        }
        XCTAssertTrue(fonts.contains { $0.name.hasSuffix("+NotoSerifCJKsc-Regular") }, "\(fonts)")
        XCTAssertTrue(fonts.contains { $0.name.hasSuffix("+NotoSansCJKsc-Bold") }, "\(fonts)")
    }

    /// driver.json: the name with U+20BB7 𠮷 (Extension B, beyond UTF-16's first plane), which the
    /// STSong-Light PDF printed as "?".
    func testTheDriverOfDriverJSONComesBackAsWritten() throws {
        let driver = try RealWorldFiles.driver()
        XCTAssertEqual(driver["driverName"], "𠮷喆燊堃")
        let text = try PDFReader(try Self.agreement(driver: driver)).text()
        for value in ["𠮷喆燊堃", driver["driverAddress"] ?? "-", driver["idNumber"] ?? "-", "13800138000", "城市道路 (含高速) <环线>"] {
            XCTAssertTrue(text.contains(value), "pdftotext gives back \(value): \(text.prefix(400))")
        }
    }

    /// Ideographs Noto lacks (U+20000 𠀀, U+2A6A5 𪚥, Extension C's U+2A700 𪜀) come from HanaMin,
    /// embedded too; control characters are dropped, not printed as boxes.
    func testRareIdeographsAreSetInTheFallbackFontAndEmbedded() throws {
        var document = PrintableDocument(title: "罕见字")
        document.paragraph("𠀀𪚥𪜀\u{0}\u{7}张三\r\n李四")
        let reader = PDFReader(try document.pdf())
        let text = try reader.text()
        XCTAssertTrue(text.contains("𠀀𪚥𪜀张三\n李四"), text)
        let fonts = try reader.fonts()
        XCTAssertTrue(fonts.contains { $0.name.contains("HanaMin") }, "\(fonts)")
        XCTAssertTrue(fonts.allSatisfy(\.embedded), "\(fonts)")
    }

    func testALongTableRunsOntoNumberedPagesEachWithItsHeader() throws {
        let reader = PDFReader(try Self.agreement(driver: try RealWorldFiles.driver()))
        let info = try reader.info()
        let pages = try XCTUnwrap(Int(info["Pages"] ?? ""), "\(info)")
        XCTAssertGreaterThanOrEqual(pages, 2, "60 table rows do not fit on one page")
        XCTAssertEqual(info["Title"], "试乘试驾协议")
        XCTAssertEqual(info["Creator"], "Dealer CRM")
        XCTAssertTrue(info["Page size"]?.hasPrefix("595.276 x 841.89") == true, "A4: \(info)")
        for page in 1...pages {
            let text = try reader.text(page: page, raw: true)
            XCTAssertTrue(text.contains("第 \(page) / \(pages) 页"), "page \(page) is numbered: \(text)")
            XCTAssertTrue(text.contains("序号"), "page \(page) repeats the table's header")
        }
        let lastPage = try reader.text(page: pages)
        XCTAssertTrue(lastPage.contains("60 km") && lastPage.contains("销售顾问签字"), "the last row, then the signatures: \(lastPage)")
    }

    /// `CRM_PRINT_SAMPLES_DIR=/some/folder` keeps the sample as `agreement.pdf` there, to look at.
    func testEveryPageDrawsAndIsNotBlank() throws {
        let pdf = try Self.agreement(driver: try RealWorldFiles.driver())
        if let folder = ProcessInfo.processInfo.environment["CRM_PRINT_SAMPLES_DIR"] {
            try pdf.write(to: URL(fileURLWithPath: folder).appendingPathComponent("agreement.pdf"))
        }
        let pages = try PDFReader(pdf).pages(resolution: 60)
        XCTAssertGreaterThanOrEqual(pages.count, 2)
        for (index, page) in pages.enumerated() {
            XCTAssertTrue(page.png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "page \(index + 1) is a PNG")
            // A4 at 60 dpi: 595.276 × 841.89 points are 496.06 × 701.58 pixels.
            XCTAssertEqual(page.width, 497)
            XCTAssertEqual(page.height, 702)
            XCTAssertGreaterThan(page.inkedPixels, 2_000, "page \(index + 1) shows text and rules")
            XCTAssertLessThan(page.inkedPixels, page.width * page.height / 4, "page \(index + 1) is not a black mess")
        }
    }

    /// Sixteen documents at once, as concurrent requests write them: each its own font map, all
    /// alike and whole.
    func testDocumentsWrittenAtOnceAreAllWhole() throws {
        let driver = try RealWorldFiles.driver()
        let results = UnsafeMutableBufferPointer<Data?>.allocate(capacity: 16)
        defer { results.deallocate() }
        results.initialize(repeating: nil)
        DispatchQueue.concurrentPerform(iterations: results.count) { index in
            results[index] = try? Self.agreement(driver: driver)
        }
        let first = try XCTUnwrap(results[0])
        let text = try PDFReader(first).text()
        for (index, result) in results.enumerated() {
            let pdf = try XCTUnwrap(result, "document \(index) was written")
            XCTAssertEqual(pdf.count, first.count, "document \(index)")
        }
        XCTAssertEqual(try PDFReader(try XCTUnwrap(results[15])).text(), text)
    }
}
