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
/// return Response.pdf(document, fileName: "试乘试驾协议-\(number)")
/// ```
///
/// The blocks flow down the page and onto new pages as needed; every page ends with
/// "第 1 / 2 页". The PDF embeds no font, so it stays a few kilobytes (see `PDFFile`).
public struct PrintableDocument: Sendable {
    /// Printed large at the top of the first page, and the PDF's title in a viewer's title bar.
    public let title: String
    private var blocks: [Block] = []

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
    public mutating func table(headers: [String], rows: [[String]], widths: [Double]? = nil) {
        blocks.append(.table(headers: headers, rows: rows, widths: widths))
    }

    /// Labelled lines to sign on, three to a row: `["客户签字", "销售顾问签字", "日期"]`.
    public mutating func signatures(_ labels: [String]) {
        blocks.append(.signatures(labels))
    }

    /// Empty vertical space, in points (72 to the inch).
    public mutating func spacer(_ points: Double = 12) {
        blocks.append(.spacer(points))
    }

    /// The document as a PDF file.
    public func pdf() -> Data {
        var layout = PageLayout()
        layout.placeTitle(title)
        for block in blocks {
            layout.place(block)
        }
        return PDFFile.write(title: title, pages: layout.finishedPages())
    }

    fileprivate struct Field: Sendable {
        let label: String
        let value: String
    }

    fileprivate enum Block: Sendable {
        case heading(String)
        case paragraph(String)
        case fields([Field], columns: Int)
        case table(headers: [String], rows: [[String]], widths: [Double]?)
        case signatures([String])
        case spacer(Double)
    }
}

/// The A4 page in points, and the part of it that blocks are placed on.
private enum A4 {
    static let width = 595.0
    static let height = 842.0
    static let margin = 50.0
    static let contentWidth = width - 2 * margin
    static let left = margin
    static let right = width - margin
    static let top = height - margin
    /// Lower than the content may reach: the page number sits in the margin below it.
    static let bottom = margin + 10
    static let pageNumberBaseline = 30.0
}

/// Font sizes and line spacing, in points.
private enum Style {
    static let titleSize = 18.0
    static let headingSize = 12.5
    static let bodySize = 10.5
    static let tableSize = 9.5
    static let pageNumberSize = 9.0
    /// Line-to-line distance as a multiple of the font size: Chinese text needs more room between
    /// lines than Latin to stay readable.
    static let leading = 1.5
    static let tableCellPadding = 4.0
    /// Labels and page numbers are grey, so the values filled in stand out.
    static let labelGray = 0.35
    static let ruleGray = 0.5
    static let headerFillGray = 0.92
    /// How far the top of a glyph reaches above its baseline, as a multiple of the font size
    /// (STSong-Light's ascent, 880 of 1000).
    static let ascent = 0.88
}

/// Places blocks top to bottom on A4 pages, starting a new page when the next piece does not fit,
/// and collects each page's drawing operators (its content stream).
private struct PageLayout {
    private var pages: [String] = [""]
    /// The top of the free space left on the current page.
    private var y = A4.top

    private var isAtTopOfPage: Bool { y == A4.top }

    mutating func placeTitle(_ title: String) {
        let lineHeight = Style.titleSize * Style.leading
        for line in Typesetter.lines(title, width: A4.contentWidth, size: Style.titleSize) {
            let x = A4.left + (A4.contentWidth - Typesetter.width(line, size: Style.titleSize)) / 2
            text(line, x: x, baseline: y - Style.titleSize, size: Style.titleSize, bold: true)
            y -= lineHeight
        }
        y -= 8
    }

    mutating func place(_ block: PrintableDocument.Block) {
        switch block {
        case .heading(let text): placeHeading(text)
        case .paragraph(let text): placeParagraph(text)
        case .fields(let fields, let columns): placeFields(fields, columns: columns)
        case .table(let headers, let rows, let widths): placeTable(headers: headers, rows: rows, widths: widths)
        case .signatures(let labels): placeSignatures(labels)
        case .spacer(let points): y = max(y - points, A4.bottom)
        }
    }

    /// The pages' content streams, each ending with its page number.
    func finishedPages() -> [String] {
        pages.enumerated().map { index, content in
            let pageNumber = "第 \(index + 1) / \(pages.count) 页"
            let x = (A4.width - Typesetter.width(pageNumber, size: Style.pageNumberSize)) / 2
            return content + PageLayout.textOperators(
                pageNumber, x: x, baseline: A4.pageNumberBaseline, size: Style.pageNumberSize, bold: false, gray: Style.labelGray)
        }
    }

    // MARK: Blocks

    private mutating func placeHeading(_ heading: String) {
        let lineHeight = Style.headingSize * Style.leading
        let lines = Typesetter.lines(heading, width: A4.contentWidth, size: Style.headingSize)
        if !isAtTopOfPage { y -= 8 }
        // A heading alone at the foot of a page, its text on the next, reads as a mistake.
        makeRoom(Double(lines.count) * lineHeight + 6 + 2 * Style.bodySize * Style.leading)
        for line in lines {
            text(line, x: A4.left, baseline: y - Style.headingSize, size: Style.headingSize, bold: true)
            y -= lineHeight
        }
        rule(from: (A4.left, y + 2), to: (A4.right, y + 2))
        y -= 6
    }

    private mutating func placeParagraph(_ paragraph: String) {
        let lineHeight = Style.bodySize * Style.leading
        for line in Typesetter.lines(paragraph, width: A4.contentWidth, size: Style.bodySize) {
            makeRoom(lineHeight)
            text(line, x: A4.left, baseline: y - Style.bodySize, size: Style.bodySize, bold: false)
            y -= lineHeight
        }
        y -= 6
    }

    private mutating func placeFields(_ fields: [PrintableDocument.Field], columns: Int) {
        let size = Style.bodySize
        let lineHeight = size * Style.leading
        let cellWidth = A4.contentWidth / Double(columns)
        let gap = 16.0
        // One label width for the whole grid, so that the values line up under each other.
        let widestLabel = fields.map { Typesetter.width($0.label + "：", size: size) }.max() ?? 0
        let labelWidth = min(widestLabel, cellWidth * 0.45)
        let valueX = labelWidth + 4
        let valueWidth = cellWidth - valueX - gap
        for rowStart in stride(from: 0, to: fields.count, by: columns) {
            let row = fields[rowStart..<min(rowStart + columns, fields.count)].map { field in
                (label: Typesetter.lines(field.label + "：", width: labelWidth, size: size),
                 value: Typesetter.lines(field.value, width: valueWidth, size: size))
            }
            let lineCount = row.map { max($0.label.count, $0.value.count) }.max() ?? 1
            makeRoom(Double(lineCount) * lineHeight + 4)
            let lastBaseline = y - size - Double(lineCount - 1) * lineHeight
            for (column, cell) in row.enumerated() {
                let x = A4.left + Double(column) * cellWidth
                for (index, line) in cell.label.enumerated() {
                    text(line, x: x, baseline: y - size - Double(index) * lineHeight, size: size, bold: false, gray: Style.labelGray)
                }
                for (index, line) in cell.value.enumerated() {
                    text(line, x: x + valueX, baseline: y - size - Double(index) * lineHeight, size: size, bold: false)
                }
                rule(from: (x + valueX, lastBaseline - 3.5), to: (x + cellWidth - gap, lastBaseline - 3.5))
            }
            y -= Double(lineCount) * lineHeight + 4
        }
        y -= 6
    }

    private mutating func placeTable(headers: [String], rows: [[String]], widths: [Double]?) {
        let columnCount = max(headers.count, rows.map(\.count).max() ?? 0)
        guard columnCount > 0 else { return }
        var weights = Array(repeating: 1.0, count: columnCount)
        if let widths, widths.count == columnCount, widths.allSatisfy({ $0 > 0 }) {
            weights = widths
        }
        let totalWeight = weights.reduce(0, +)
        let columnWidths = weights.map { $0 / totalWeight * A4.contentWidth }
        let header = headers.isEmpty ? nil : TableRow(headers, columnWidths: columnWidths, isHeader: true)
        let body = rows.map { TableRow($0, columnWidths: columnWidths, isHeader: false) }

        makeRoom((header?.height ?? 0) + (body.first?.height ?? 0))
        // Whether the next row is the table's first on this page, below a new copy of the header.
        var isFirstOnPage = true
        for row in body {
            if !isFirstOnPage && y - row.height < A4.bottom {
                newPage()
                isFirstOnPage = true
            }
            if isFirstOnPage, let header {
                draw(header, columnWidths: columnWidths, ruleAbove: true)
            }
            draw(row, columnWidths: columnWidths, ruleAbove: isFirstOnPage && header == nil)
            isFirstOnPage = false
        }
        if body.isEmpty, let header {
            draw(header, columnWidths: columnWidths, ruleAbove: true)
        }
        y -= 10
    }

    private mutating func placeSignatures(_ labels: [String]) {
        let perRow = max(1, min(labels.count, 3))
        let cellWidth = A4.contentWidth / Double(perRow)
        // Room above the line for a handwritten signature.
        let rowHeight = 44.0
        for rowStart in stride(from: 0, to: labels.count, by: perRow) {
            makeRoom(rowHeight)
            let baseline = y - rowHeight + 10
            for (column, label) in labels[rowStart..<min(rowStart + perRow, labels.count)].enumerated() {
                let x = A4.left + Double(column) * cellWidth
                let caption = label + "："
                text(caption, x: x, baseline: baseline, size: Style.bodySize, bold: false)
                let lineStart = x + Typesetter.width(caption, size: Style.bodySize) + 2
                rule(from: (lineStart, baseline - 2), to: (x + cellWidth - 16, baseline - 2))
            }
            y -= rowHeight
        }
        y -= 6
    }

    // MARK: Tables

    /// One table row, its cells already broken into lines to fit their columns.
    private struct TableRow {
        let cells: [[String]]
        let isHeader: Bool
        let height: Double

        /// A row with fewer cells than columns is filled with empty cells; extra cells are dropped.
        init(_ cells: [String], columnWidths: [Double], isHeader: Bool) {
            let padding = Style.tableCellPadding
            self.cells = columnWidths.indices.map { column in
                let cell = column < cells.count ? cells[column] : ""
                return Typesetter.lines(cell, width: columnWidths[column] - 2 * padding, size: Style.tableSize)
            }
            self.isHeader = isHeader
            let lineCount = Double(self.cells.map(\.count).max() ?? 1)
            height = 2 * padding + Style.tableSize + (lineCount - 1) * Style.tableSize * Style.leading
        }
    }

    /// Draws a row below the previous one: its cells, the rule below it and the rules between its
    /// columns. The rule above it is the previous row's rule below, except at the top of the table
    /// on each page.
    private mutating func draw(_ row: TableRow, columnWidths: [Double], ruleAbove: Bool) {
        let top = y
        let bottom = y - row.height
        if row.isHeader {
            operators("q \(decimal(Style.headerFillGray)) g \(decimal(A4.left)) \(decimal(bottom)) \(decimal(A4.contentWidth)) \(decimal(row.height)) re f Q")
        }
        if ruleAbove {
            rule(from: (A4.left, top), to: (A4.right, top))
        }
        rule(from: (A4.left, bottom), to: (A4.right, bottom))
        var x = A4.left
        rule(from: (x, top), to: (x, bottom))
        for (lines, width) in zip(row.cells, columnWidths) {
            for (index, line) in lines.enumerated() {
                let baseline = top - Style.tableCellPadding - Style.tableSize * Style.ascent - Double(index) * Style.tableSize * Style.leading
                text(line, x: x + Style.tableCellPadding, baseline: baseline, size: Style.tableSize, bold: row.isHeader)
            }
            x += width
            rule(from: (x, top), to: (x, bottom))
        }
        y = bottom
    }

    // MARK: Pages and drawing

    /// Starts a new page unless `height` more points fit on this one — or this page is still
    /// empty, where a new one would not help (the piece then runs into the bottom margin).
    private mutating func makeRoom(_ height: Double) {
        if y - height < A4.bottom && !isAtTopOfPage {
            newPage()
        }
    }

    private mutating func newPage() {
        pages.append("")
        y = A4.top
    }

    private mutating func operators(_ line: String) {
        pages[pages.count - 1] += line + "\n"
    }

    private mutating func text(_ string: String, x: Double, baseline: Double, size: Double, bold: Bool, gray: Double = 0) {
        pages[pages.count - 1] += Self.textOperators(string, x: x, baseline: baseline, size: size, bold: bold, gray: gray)
    }

    /// A thin grey line, for table rules, underlines and lines to sign on.
    private mutating func rule(from start: (x: Double, y: Double), to end: (x: Double, y: Double)) {
        operators("q 0.5 w \(decimal(Style.ruleGray)) G \(decimal(start.x)) \(decimal(start.y)) m \(decimal(end.x)) \(decimal(end.y)) l S Q")
    }

    /// The operators that show `string` with its baseline starting at (x, baseline). Bold is the
    /// regular glyphs filled and outlined (text render mode 2), as there is no bold STSong to use
    /// without embedding one. `q`…`Q` keep the colour and render mode from leaking into what
    /// follows.
    private static func textOperators(_ string: String, x: Double, baseline: Double, size: Double, bold: Bool, gray: Double) -> String {
        let style = bold ? " 2 Tr 0.3 w" : ""
        return "q \(decimal(gray)) g BT /F1 \(decimal(size)) Tf\(style) \(decimal(x)) \(decimal(baseline)) Td <\(Typesetter.hex(string))> Tj ET Q\n"
    }
}

/// A number as PDF writes it: at most two decimals, no exponent, no locale.
private func decimal(_ value: Double) -> String {
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

/// Text as STSong-Light sets it: encoded for the `UniGB-UCS2-H` CMap, measured and broken into
/// lines.
private enum Typesetter {
    /// The 2-byte code `UniGB-UCS2-H` reads for a character: its UTF-16 value. Characters beyond
    /// the Basic Multilingual Plane (emoji, rare ideographs) and control characters have no glyph
    /// through it, and print as "?".
    static func code(_ scalar: Unicode.Scalar) -> UInt16 {
        scalar.value <= 0xFFFF && scalar.properties.generalCategory != .control ? UInt16(scalar.value) : 0x3F
    }

    /// The text as the hex string `Tj` shows: 4 hex digits per character, so no character needs
    /// escaping the way `(`, `)` and `\` do in a literal string.
    static func hex(_ text: String) -> String {
        text.unicodeScalars.map { String(format: "%04X", code($0)) }.joined()
    }

    /// The width in points at `size`: ASCII, which `UniGB-UCS2-H` maps to STSong-Light's Latin
    /// glyphs (CIDs 1–95), is half an em wide, everything else a whole em — the widths the font
    /// dictionary's `/W` and `/DW` give the viewer.
    static func width(_ text: some StringProtocol, size: Double) -> Double {
        text.unicodeScalars.reduce(0) { width, scalar in width + (code(scalar) < 0x80 ? 0.5 : 1) * size }
    }

    /// The text broken into lines no wider than `width`: at each newline, and greedily between
    /// any two Chinese characters but only at spaces within Latin words and numbers — unless a
    /// word alone is wider than the line, which is then cut where it reaches the edge.
    static func lines(_ text: String, width: Double, size: Double) -> [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).flatMap { line in
            wrap(line, width: width, size: size)
        }
    }

    private static func wrap(_ line: Substring, width: Double, size: Double) -> [String] {
        var lines: [String] = []
        var current = ""
        var currentWidth = 0.0
        func breakLine() {
            while current.last?.isWhitespace == true { current.removeLast() }
            lines.append(current)
            current = ""
            currentWidth = 0
        }
        for word in words(line) {
            let wordWidth = self.width(word, size: size)
            if currentWidth + wordWidth <= width {
                current += word
                currentWidth += wordWidth
            } else if word.allSatisfy(\.isWhitespace) {
                // The line breaks at this space, which is not printed.
                if !current.isEmpty { breakLine() }
            } else {
                if !current.isEmpty { breakLine() }
                for character in word {
                    let characterWidth = self.width(String(character), size: size)
                    if currentWidth + characterWidth > width && !current.isEmpty { breakLine() }
                    current.append(character)
                    currentWidth += characterWidth
                }
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// The line's unbreakable pieces: runs of non-space ASCII ("13800138000", "Model-Y"), and
    /// every other character alone.
    private static func words(_ line: Substring) -> [String] {
        var words: [String] = []
        for character in line {
            if isLatin(character), let last = words.last?.last, isLatin(last) {
                words[words.count - 1].append(character)
            } else {
                words.append(String(character))
            }
        }
        return words
    }

    private static func isLatin(_ character: Character) -> Bool {
        character.isASCII && !character.isWhitespace
    }
}

/// Writes pages' content streams as a PDF 1.4 file.
///
/// The text is set in STSong-Light, one of the Adobe CJK fonts every PDF reader knows without
/// the file carrying it: the font is a `Type0` font whose `UniGB-UCS2-H` encoding maps UTF-16
/// codes to glyph numbers (CIDs) of the public Adobe-GB1 character collection, and a reader
/// shows those CIDs with a Chinese font of its own (Acrobat's Asian font pack, the system's Song
/// or Hei font for Preview, Chrome, pdf.js and poppler). Embedding a Chinese font instead would
/// add megabytes to every file, or need a font subsetter.
private enum PDFFile {
    // The objects by number; a page's content stream follows the page.
    private static let catalog = 1
    private static let pageTree = 2
    private static let info = 3
    private static let font = 4
    private static let cidFont = 5
    private static let fontDescriptor = 6
    private static func page(_ index: Int) -> Int { 7 + 2 * index }
    private static func contents(_ index: Int) -> Int { page(index) + 1 }

    static func write(title: String, pages: [String]) -> Data {
        var file = ObjectWriter()
        let kids = pages.indices.map { "\(page($0)) 0 R" }.joined(separator: " ")
        file.object(catalog, "<< /Type /Catalog /Pages \(pageTree) 0 R >>")
        file.object(pageTree, "<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        file.object(info, "<< /Title <FEFF\(title.utf16.map { String(format: "%04X", $0) }.joined())> /Producer (Dealer CRM) >>")
        file.object(font, """
            << /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
            /DescendantFonts [\(cidFont) 0 R] >>
            """)
        // CIDs 1–95 are the Latin glyphs UniGB-UCS2-H maps ASCII to: half an em wide, the rest one em.
        file.object(cidFont, """
            << /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
            /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
            /FontDescriptor \(fontDescriptor) 0 R /DW 1000 /W [1 95 500] >>
            """)
        file.object(fontDescriptor, """
            << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
            /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>
            """)
        for (index, content) in pages.enumerated() {
            file.object(page(index), """
                << /Type /Page /Parent \(pageTree) 0 R /MediaBox [0 0 \(decimal(A4.width)) \(decimal(A4.height))] \
                /Resources << /Font << /F1 \(font) 0 R >> >> /Contents \(contents(index)) 0 R >>
                """)
            file.stream(contents(index), content)
        }
        return file.finish(root: catalog, info: info)
    }
}

/// The bytes of a PDF file: header, numbered objects, and the cross-reference table giving each
/// object's byte offset, which readers use to find them.
private struct ObjectWriter {
    private var bytes: [UInt8] = []
    /// `offsets[n - 1]` is where object n starts.
    private var offsets: [Int] = []

    init() {
        append("%PDF-1.4\n")
        // A comment of bytes above 127 on the second line tells transfer tools the file is binary.
        bytes += [0x25, 0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
    }

    /// Objects are written in number order, which lets the numbers be the cross-reference indices.
    mutating func object(_ number: Int, _ body: String) {
        begin(number)
        append(body + "\nendobj\n")
    }

    mutating func stream(_ number: Int, _ content: String) {
        let data = Array(content.utf8)
        begin(number)
        append("<< /Length \(data.count) >>\nstream\n")
        bytes += data
        append("\nendstream\nendobj\n")
    }

    mutating func finish(root: Int, info: Int) -> Data {
        let crossReference = bytes.count
        // Each entry is exactly 20 bytes: a 10-digit offset, generation, "n" or "f", space, newline.
        append("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n")
        for offset in offsets {
            append(String(format: "%010d 00000 n \n", offset))
        }
        append("trailer\n<< /Size \(offsets.count + 1) /Root \(root) 0 R /Info \(info) 0 R >>\nstartxref\n\(crossReference)\n%%EOF\n")
        return Data(bytes)
    }

    private mutating func begin(_ number: Int) {
        precondition(number == offsets.count + 1, "PDF objects must be written in number order")
        offsets.append(bytes.count)
        append("\(number) 0 obj\n")
    }

    private mutating func append(_ text: String) {
        bytes += Array(text.utf8)
    }
}
