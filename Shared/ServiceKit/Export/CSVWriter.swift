import Foundation

/// Writes an export as CSV (RFC 4180): the headers, then one line per row, CRLF line ends.
public enum CSVWriter {
    /// Excel reads a CSV without a byte order mark in the system's legacy code page (GBK on a
    /// Chinese Windows), which garbles every Chinese character; with it, Excel reads UTF-8.
    static let utf8ByteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A text starting with one of these is run as a formula when the CSV is opened in a
    /// spreadsheet (`=HYPERLINK(...)` in a customer's name); OWASP adds tab and carriage return.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    public static func write(_ table: ExportTable) -> Data {
        var bytes = utf8ByteOrderMark
        bytes.reserveCapacity(64 * (table.rows.count + 1))
        appendLine(table.headers.map(textField), to: &bytes)
        for row in table.rows {
            appendLine(row.map(field), to: &bytes)
        }
        return Data(bytes)
    }

    private static func appendLine(_ fields: [String], to bytes: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: field.utf8)
        }
        bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }

    /// A cell as a CSV field. Only text cells can start a formula: a negative number stays `-5`.
    static func field(_ cell: ExportCell) -> String {
        switch cell {
        case .text(let text): return textField(text)
        default: return quotedIfNeeded(cell.displayText ?? "")
        }
    }

    /// A text as a CSV field, a leading `'` defusing what would be a formula.
    static func textField(_ text: String) -> String {
        if let first = text.unicodeScalars.first, formulaStarts.contains(first) {
            return quotedIfNeeded("'" + text)
        }
        return quotedIfNeeded(text)
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func quotedIfNeeded(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
