import Foundation

/// A document the showroom prints and the customer signs — a test-drive agreement (试乘试驾协议),
/// a purchase proposal (购车建议书) — built block by block and written as an A4 PDF by `pdf()`.
///
/// ```swift
/// var document = PrintableDocument(title: "试乘试驾协议")
/// document.fields([("客户姓名", "张三"), ("手机", "13800138000"), ("试驾车型", "Model Y")])
/// document.heading("试驾须知")
/// document.paragraph("1. 试驾人须持有效驾驶证。\n2. 试驾全程须遵守交通法规。")
/// document.signatures(["客户签字", "销售顾问签字", "日期"])
/// return try await Response.pdf(document, fileName: "试乘试驾协议-\(number)")
/// ```
///
/// The blocks flow down the page and onto new pages as needed; every page ends with
/// "第 1 / 2 页". The text is set by pango in Noto Serif CJK SC (headings in Noto Sans CJK SC
/// Bold), with HanaMin for the rare ideographs of CJK Extensions B–F that Noto lacks, and cairo
/// embeds a subset of each font used: the file prints every character of a name the same on any
/// reader, and its text can be copied and searched (see `PrintFonts`, `PDFCanvas`).
public struct PrintableDocument: Sendable {
    /// Printed large at the top of the first page, and the PDF's title in a viewer's title bar.
    public let title: String
    private(set) var blocks: [Block] = []

    public init(title: String) {
        self.title = title
    }

    /// A section heading, kept on the same page as the first lines after it.
    public mutating func heading(_ text: String) {
        blocks.append(.heading(text))
    }

    /// Running text wrapped to the page width; each "\n" starts a new line.
    public mutating func paragraph(_ text: String) {
        blocks.append(.paragraph(text))
    }

    /// "label：value" pairs in a grid of `columns` columns, each value on a line to write on when
    /// it is empty, so a printed form can be filled in by hand.
    public mutating func fields(_ pairs: [(label: String, value: String)], columns: Int = 2) {
        blocks.append(.fields(pairs.map { Field(label: $0.label, value: $0.value) }, columns: max(1, columns)))
    }

    /// A ruled table whose header row is repeated on every page it runs onto. `widths` are
    /// relative column widths, one per column (`[1, 3, 1]`: the middle column three times as
    /// wide); without them, or with a different count, the columns are equally wide.
    /// `alignments`, one per column, places each column's text (amounts read best `.trailing`);
    /// without them, or with a different count, every column is `.leading`.
    public mutating func table(headers: [String], rows: [[String]], widths: [Double]? = nil, alignments: [ColumnAlignment]? = nil) {
        blocks.append(.table(Table(headers: headers, rows: rows, widths: widths, alignments: alignments)))
    }

    /// Labelled lines to sign on, three to a row: `["客户签字", "销售顾问签字", "日期"]`.
    public mutating func signatures(_ labels: [String]) {
        blocks.append(.signatures(labels))
    }

    /// Empty vertical space, in points (72 to the inch).
    public mutating func spacer(_ points: Double = 12) {
        blocks.append(.spacer(points))
    }

    /// The document as an A4 PDF file.
    ///
    /// Takes some 20 ms of CPU for a page or two (fonts are loaded anew for every document, see
    /// `Typesetter`): call it off Swift concurrency's threads, as `Response.pdf` does.
    ///
    /// - Throws: `PrintableDocumentError.fontMissing` when a font family of `PrintFonts` is not
    ///   installed (a PDF set in whatever fontconfig offers instead could print a name as boxes),
    ///   `PrintableDocumentError.cairo` when cairo fails to write the file.
    public func pdf() throws -> Data {
        let canvas = try PDFCanvas(title: title)
        let typesetter = try Typesetter(for: canvas)
        var layout = PageLayout(typesetter: typesetter)
        layout.placeTitle(title)
        for block in blocks {
            layout.place(block)
        }
        for page in layout.finishedPages() {
            canvas.draw(page)
        }
        return try canvas.finish()
    }

    /// Where a table column's text sits between the cell's paddings.
    public enum ColumnAlignment: Sendable {
        case leading
        case center
        case trailing
    }

    struct Field: Sendable {
        let label: String
        let value: String
    }

    struct Table: Sendable {
        let headers: [String]
        let rows: [[String]]
        let widths: [Double]?
        let alignments: [ColumnAlignment]?
    }

    enum Block: Sendable {
        case heading(String)
        case paragraph(String)
        case fields([Field], columns: Int)
        case table(Table)
        case signatures([String])
        case spacer(Double)
    }
}

/// Why a printable document could not be written.
public enum PrintableDocumentError: Error, CustomStringConvertible {
    /// fontconfig does not know `family`: the Debian package `package` is not installed.
    case fontMissing(family: String, package: String)
    /// cairo reported `status` (its own description) while writing the PDF.
    case cairo(status: String)

    public var description: String {
        switch self {
        case .fontMissing(let family, let package):
            return "the font \(family) is not installed (Debian package \(package)); printable documents need it"
        case .cairo(let status):
            return "cairo could not write the PDF: \(status)"
        }
    }
}
