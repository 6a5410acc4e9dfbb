import CXlsxWriter
import Foundation

/// Writes an export as an Excel workbook of one sheet: a bold, frozen header row, columns as
/// wide as their content, numbers as numbers and date-times as real Excel dates (so that they
/// sort and filter as dates) shown as `yyyy-mm-dd hh:mm`.
public enum XLSXWriter {
    /// Excel's limits: rows per sheet (the header is one), columns per sheet, characters per cell.
    static let maximumRows = 1_048_576
    static let maximumColumns = 16_384
    static let maximumTextLength = 32_767
    /// Column widths in characters: no narrower than Excel's default, no wider than a long
    /// remark needs to be readable beside the other columns.
    static let columnWidthLimits = 8...60
    /// Excel keeps 15 significant digits: a larger integer would come back with its last digits 0.
    static let largestExactInteger = 999_999_999_999_999

    /// libxlsxwriter can only write to a file: the workbook goes to a file of its own in the
    /// temporary directory, is read back and deleted, whether writing succeeded or not.
    public static func write(_ table: ExportTable) throws -> Data {
        guard table.rows.count < maximumRows else {
            throw XLSXWriterError("\(table.rows.count) rows are more than an Excel sheet holds (\(maximumRows - 1) below the header)")
        }
        guard table.headers.count <= maximumColumns else {
            throw XLSXWriterError("\(table.headers.count) columns are more than an Excel sheet holds (\(maximumColumns))")
        }
        let temporaryDirectory = FileManager.default.temporaryDirectory
        let file = temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: file) }

        try file.path.withCString { path in
            try temporaryDirectory.path.withCString { tmpdir in
                // Not constant memory: that mode flushes each row as it is written, and the column
                // widths, which come from the content, must be known before the first row.
                // tmpdir is where libxlsxwriter puts the parts of the zip while assembling it.
                var options = lxw_workbook_options(constant_memory: 0, tmpdir: UnsafeMutablePointer(mutating: tmpdir), use_zip64: 0)
                guard let workbook = workbook_new_opt(path, &options) else {
                    throw XLSXWriterError("libxlsxwriter could not create a workbook")
                }
                // workbook_close writes the file and frees the workbook: it must run exactly once,
                // also after a failed write (the half-written file is then deleted unread).
                let filled = Result { try fill(workbook, with: table) }
                let closed = workbook_close(workbook)
                try filled.get()
                try check(closed, "saving the workbook")
            }
        }
        return try Data(contentsOf: file)
    }

    private static func fill(_ workbook: UnsafeMutablePointer<lxw_workbook>, with table: ExportTable) throws {
        let sheetName = validSheetName(table.sheetName)
        guard let sheet = sheetName.withCString({ workbook_add_worksheet(workbook, $0) }) else {
            throw XLSXWriterError("libxlsxwriter refused the sheet name \"\(sheetName)\"")
        }
        guard let headerFormat = workbook_add_format(workbook), let dateFormat = workbook_add_format(workbook) else {
            throw XLSXWriterError("libxlsxwriter could not add a cell format")
        }
        format_set_bold(headerFormat)
        "yyyy-mm-dd hh:mm".withCString { format_set_num_format(dateFormat, $0) }

        var columnWidths = table.headers.map(displayWidth)
        for (column, header) in table.headers.enumerated() {
            try writeText(header, to: sheet, row: 0, column: column, format: headerFormat)
        }
        for (index, cells) in table.rows.enumerated() {
            let row = index + 1
            // A cell beyond the headers (a mistake ExportTable's assert reports) has no column.
            for (column, cell) in cells.enumerated() where column < table.headers.count {
                try write(cell, to: sheet, row: row, column: column, dateFormat: dateFormat)
                if let text = cell.displayText {
                    columnWidths[column] = max(columnWidths[column], displayWidth(text))
                }
            }
        }

        for (column, width) in columnWidths.enumerated() {
            let excelWidth = Double(min(max(width + 2, columnWidthLimits.lowerBound), columnWidthLimits.upperBound))
            try check(worksheet_set_column(sheet, lxw_col_t(column), lxw_col_t(column), excelWidth, nil), "setting the width of column \(column + 1)")
        }
        // The headers stay in view while scrolling down.
        worksheet_freeze_panes(sheet, 1, 0)
    }

    private static func write(
        _ cell: ExportCell, to sheet: UnsafeMutablePointer<lxw_worksheet>, row: Int, column: Int,
        dateFormat: UnsafeMutablePointer<lxw_format>
    ) throws {
        switch cell {
        case .text(let text):
            try writeText(text, to: sheet, row: row, column: column, format: nil)
        case .number(let number):
            // NaN and infinity stay empty: Excel reports a file containing them as corrupt.
            guard number.isFinite else { return }
            try writeNumber(number, to: sheet, row: row, column: column)
        case .integer(let integer):
            // A longer integer goes in as text rather than rounded.
            if integer.magnitude <= largestExactInteger {
                try writeNumber(Double(integer), to: sheet, row: row, column: column)
            } else {
                try writeText(String(integer), to: sheet, row: row, column: column, format: nil)
            }
        case .dateTime(let date, let timeZone):
            let local = LocalDateTime(date, in: timeZone)
            // Excel's calendar starts in 1900; a date outside it can only be shown as text.
            guard (1900...9999).contains(local.year) else {
                return try writeText(local.text, to: sheet, row: row, column: column, format: nil)
            }
            var excelDate = lxw_datetime(
                year: Int32(local.year), month: Int32(local.month), day: Int32(local.day),
                hour: Int32(local.hour), min: Int32(local.minute), sec: 0)
            try check(worksheet_write_datetime(sheet, lxw_row_t(row), lxw_col_t(column), &excelDate, dateFormat), "writing the date in \(position(row, column))")
        case .empty:
            return
        }
    }

    private static func writeText(
        _ text: String, to sheet: UnsafeMutablePointer<lxw_worksheet>, row: Int, column: Int, format: UnsafeMutablePointer<lxw_format>?
    ) throws {
        // Text is always written as a string, never as a formula: `=1+1` shows as typed.
        let result = text.withCString { worksheet_write_string(sheet, lxw_row_t(row), lxw_col_t(column), $0, format) }
        if result == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED {
            throw XLSXWriterError("the text in \(position(row, column)) is longer than the \(maximumTextLength) characters an Excel cell holds")
        }
        try check(result, "writing the text in \(position(row, column))")
    }

    private static func writeNumber(_ number: Double, to sheet: UnsafeMutablePointer<lxw_worksheet>, row: Int, column: Int) throws {
        try check(worksheet_write_number(sheet, lxw_row_t(row), lxw_col_t(column), number, nil), "writing the number in \(position(row, column))")
    }

    private static func check(_ result: lxw_error, _ doing: @autoclosure () -> String) throws {
        guard result != LXW_NO_ERROR else { return }
        throw XLSXWriterError("libxlsxwriter failed \(doing()): \(String(cString: lxw_strerror(result)))")
    }

    /// A cell's position as a user finds it: row 1 is the header.
    private static func position(_ row: Int, _ column: Int) -> String {
        "row \(row + 1), column \(column + 1)"
    }

    /// The name shortened to Excel's 31 characters, without the characters Excel forbids and
    /// without the apostrophes it forbids at either end; a name left empty becomes `Sheet1`.
    static func validSheetName(_ name: String) -> String {
        let forbidden: Set<Unicode.Scalar> = ["[", "]", ":", "*", "?", "/", "\\"]
        var scalars = String.UnicodeScalarView(name.unicodeScalars.filter { !forbidden.contains($0) })
        while scalars.first == "'" { scalars.removeFirst() }
        while scalars.last == "'" { scalars.removeLast() }
        let shortened = String(String.UnicodeScalarView(scalars.prefix(31)))
        return shortened.isEmpty ? "Sheet1" : shortened
    }

    /// About how many character widths a text takes in Excel's default font: Chinese,
    /// Japanese and Korean characters (and full-width forms) take two.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in width + (isWide(scalar) ? 2 : 1) }
    }

    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F,   // Hangul Jamo
             0x2E80...0xA4CF,   // CJK radicals, punctuation, kana, CJK ideographs, Yi
             0xAC00...0xD7A3,   // Hangul syllables
             0xF900...0xFAFF,   // CJK compatibility ideographs
             0xFE30...0xFE4F,   // CJK compatibility forms
             0xFF00...0xFF60,   // full-width forms
             0xFFE0...0xFFE6,   // full-width signs
             0x1F300...0x1F64F, // emoji
             0x1F900...0x1F9FF, // more emoji
             0x20000...0x3FFFD: // CJK extensions B and beyond
            return true
        default:
            return false
        }
    }
}

/// Why an .xlsx could not be written.
public struct XLSXWriterError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
