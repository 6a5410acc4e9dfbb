/// Places a document's blocks top to bottom on A4 pages, starting a new page when the next piece
/// does not fit, and collects what each page shows. Positions in points from the page's top-left.
struct PageLayout {
    private let typesetter: Typesetter
    private var pages: [[Mark]] = [[]]
    /// The top of the free space left on the current page.
    private var y = A4.top

    init(typesetter: Typesetter) {
        self.typesetter = typesetter
    }

    private var isAtTopOfPage: Bool { y == A4.top }

    /// The title, centred, bold and large, wrapped when it is wider than the page.
    mutating func placeTitle(_ title: String) {
        let box = typesetter.set(title, in: .title, width: A4.contentWidth, alignment: .center)
        text(box, x: A4.left, top: y)
        y += box.height + 10
    }

    mutating func place(_ block: PrintableDocument.Block) {
        switch block {
        case .heading(let text): placeHeading(text)
        case .paragraph(let text): placeParagraph(text)
        case .fields(let fields, let columns): placeFields(fields, columns: columns)
        case .table(let table): placeTable(table)
        case .signatures(let labels): placeSignatures(labels)
        case .spacer(let points): y = min(y + points, A4.bottom)
        }
    }

    /// What each page shows, ending with its page number "第 1 / 2 页".
    func finishedPages() -> [[Mark]] {
        pages.enumerated().map { index, marks in
            let number = typesetter.set("第 \(index + 1) / \(pages.count) 页", in: .pageNumber, width: A4.contentWidth, alignment: .center)
            return marks + [.text(number, line: 0, x: A4.left, baseline: A4.pageNumberBaseline)]
        }
    }

    // MARK: Blocks

    private mutating func placeHeading(_ heading: String) {
        let box = typesetter.set(heading, in: .heading, width: A4.contentWidth)
        let bodyLine = typesetter.set("字", in: .body).height
        if !isAtTopOfPage { y += 8 }
        // A heading alone at the foot of a page, its text on the next, reads as a mistake.
        makeRoom(box.height + 4 + 2 * bodyLine)
        text(box, x: A4.left, top: y)
        y += box.height + 1
        rule(fromX: A4.left, fromY: y, toX: A4.right, toY: y)
        y += 5
    }

    /// Line by line, so that a long paragraph continues on the next page.
    private mutating func placeParagraph(_ paragraph: String) {
        let box = typesetter.set(paragraph, in: .body, width: A4.contentWidth)
        for (index, line) in box.lines.enumerated() {
            makeRoom(line.height)
            pages[pages.count - 1].append(.text(box, line: index, x: A4.left, baseline: y + line.baseline - line.top))
            y += line.height
        }
        y += Rules.blockGap
    }

    /// Labels in one column per field column, as wide as the widest label (at most 45% of the
    /// column) so that the values line up under each other; each value above a line to write on.
    private mutating func placeFields(_ fields: [PrintableDocument.Field], columns: Int) {
        let cellWidth = A4.contentWidth / Double(columns)
        let widestLabel = fields.map { typesetter.set($0.label + "：", in: .label).width }.max() ?? 0
        let labelWidth = min(widestLabel, cellWidth * 0.45)
        let valueX = labelWidth + 4
        let valueWidth = cellWidth - valueX - Rules.fieldColumnGap
        for rowStart in stride(from: 0, to: fields.count, by: columns) {
            let row = fields[rowStart..<min(rowStart + columns, fields.count)].map { field in
                (label: typesetter.set(field.label + "：", in: .label, width: labelWidth),
                 value: typesetter.set(field.value, in: .body, width: valueWidth))
            }
            let height = row.map { max($0.label.height, $0.value.height) }.max() ?? 0
            makeRoom(height + Rules.fieldRowGap)
            // One writing line for the row, below the lowest last line of its cells.
            let lineY = y + (row.map { max($0.label.lastBaseline, $0.value.lastBaseline) }.max() ?? 0) + 3.5
            for (column, cell) in row.enumerated() {
                let x = A4.left + Double(column) * cellWidth
                text(cell.label, x: x, top: y)
                text(cell.value, x: x + valueX, top: y)
                rule(fromX: x + valueX, fromY: lineY, toX: x + cellWidth - Rules.fieldColumnGap, toY: lineY)
            }
            y += height + Rules.fieldRowGap
        }
        y += Rules.blockGap
    }

    private mutating func placeTable(_ table: PrintableDocument.Table) {
        let columnCount = max(table.headers.count, table.rows.map(\.count).max() ?? 0)
        guard columnCount > 0 else { return }
        var weights = Array(repeating: 1.0, count: columnCount)
        if let widths = table.widths, widths.count == columnCount, widths.allSatisfy({ $0 > 0 }) {
            weights = widths
        }
        var alignments = Array(repeating: PrintableDocument.ColumnAlignment.leading, count: columnCount)
        if let given = table.alignments, given.count == columnCount {
            alignments = given
        }
        let totalWeight = weights.reduce(0, +)
        let columns = zip(weights, alignments).map { TableRow.Column(width: $0 / totalWeight * A4.contentWidth, alignment: $1) }
        let header = table.headers.isEmpty ? nil : TableRow(table.headers, columns: columns, style: .tableHeader, typesetter: typesetter)
        let body = table.rows.map { TableRow($0, columns: columns, style: .tableBody, typesetter: typesetter) }

        makeRoom((header?.height ?? 0) + (body.first?.height ?? 0))
        // Whether the next row is the table's first on this page, below a new copy of the header.
        var isFirstOnPage = true
        for row in body {
            if !isFirstOnPage && y + row.height > A4.bottom {
                newPage()
                isFirstOnPage = true
            }
            if isFirstOnPage, let header {
                draw(header, columns: columns, ruleAbove: true)
            }
            draw(row, columns: columns, ruleAbove: isFirstOnPage && header == nil)
            isFirstOnPage = false
        }
        if body.isEmpty, let header {
            draw(header, columns: columns, ruleAbove: true)
        }
        y += 10
    }

    private mutating func placeSignatures(_ labels: [String]) {
        let perRow = max(1, min(labels.count, 3))
        let cellWidth = A4.contentWidth / Double(perRow)
        for rowStart in stride(from: 0, to: labels.count, by: perRow) {
            makeRoom(Rules.signatureRowHeight)
            let baseline = y + Rules.signatureRowHeight - 10
            for (column, label) in labels[rowStart..<min(rowStart + perRow, labels.count)].enumerated() {
                let x = A4.left + Double(column) * cellWidth
                let caption = typesetter.set(label + "：", in: .body, width: cellWidth - 60)
                text(caption, x: x, top: baseline - caption.lastBaseline)
                rule(fromX: x + caption.width + 2, fromY: baseline + 2, toX: x + cellWidth - Rules.fieldColumnGap, toY: baseline + 2)
            }
            y += Rules.signatureRowHeight
        }
        y += Rules.blockGap
    }

    // MARK: Tables

    /// One table row, its cells already set to fit their columns.
    private struct TableRow {
        struct Column {
            let width: Double
            let alignment: PrintableDocument.ColumnAlignment
        }

        let cells: [TextBox]
        let isHeader: Bool
        let height: Double

        /// A row with fewer cells than columns is filled with empty cells; extra cells are dropped.
        init(_ cells: [String], columns: [Column], style: TextStyle, typesetter: Typesetter) {
            let padding = Rules.tableCellPadding
            self.cells = columns.indices.map { index in
                typesetter.set(index < cells.count ? cells[index] : "", in: style,
                               width: columns[index].width - 2 * padding, alignment: columns[index].alignment)
            }
            isHeader = style.bold
            height = 2 * padding + (self.cells.map(\.height).max() ?? 0)
        }
    }

    /// Draws a row below the previous one: its cells, the rule below it and the rules between its
    /// columns. The rule above it is the previous row's rule below, except at the top of the table
    /// on each page.
    private mutating func draw(_ row: TableRow, columns: [TableRow.Column], ruleAbove: Bool) {
        let top = y
        let bottom = y + row.height
        if row.isHeader {
            pages[pages.count - 1].append(.fill(x: A4.left, y: top, width: A4.contentWidth, height: row.height, gray: Rules.headerFillGray))
        }
        if ruleAbove {
            rule(fromX: A4.left, fromY: top, toX: A4.right, toY: top)
        }
        rule(fromX: A4.left, fromY: bottom, toX: A4.right, toY: bottom)
        var x = A4.left
        rule(fromX: x, fromY: top, toX: x, toY: bottom)
        for (cell, column) in zip(row.cells, columns) {
            text(cell, x: x + Rules.tableCellPadding, top: top + Rules.tableCellPadding)
            x += column.width
            rule(fromX: x, fromY: top, toX: x, toY: bottom)
        }
        y = bottom
    }

    // MARK: Pages and drawing

    /// Starts a new page unless `height` more points fit on this one — or this page is still
    /// empty, where a new one would not help (the piece then runs into the bottom margin).
    private mutating func makeRoom(_ height: Double) {
        if y + height > A4.bottom && !isAtTopOfPage {
            newPage()
        }
    }

    private mutating func newPage() {
        pages.append([])
        y = A4.top
    }

    /// Every line of `box`, the box's top-left corner at (x, top).
    private mutating func text(_ box: TextBox, x: Double, top: Double) {
        for (index, line) in box.lines.enumerated() {
            pages[pages.count - 1].append(.text(box, line: index, x: x, baseline: top + line.baseline))
        }
    }

    private mutating func rule(fromX: Double, fromY: Double, toX: Double, toY: Double) {
        pages[pages.count - 1].append(.rule(fromX: fromX, fromY: fromY, toX: toX, toY: toY))
    }
}
