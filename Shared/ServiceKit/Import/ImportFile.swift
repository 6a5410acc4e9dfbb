import Contracts
import Foundation
import Hummingbird

/// A column of an import template (批量导入模板): a file may name it by the template's
/// (Chinese) header or by its API name, in any order; unknown columns are ignored.
public protocol ImportColumn: RawRepresentable<String>, CaseIterable, Hashable, Sendable {
    /// The template's header for the column, e.g. `手机号码`.
    var header: String { get }
    /// The columns a file must have.
    static var required: [Self] { get }
}

extension ImportColumn {
    /// The column a header names (a leading or trailing `*`, the template's mark of a required
    /// column, is ignored), or nil.
    public static func named(_ header: String) -> Self? {
        let text = header.trimmed.replacingOccurrences(of: "*", with: "")
        return allCases.first { $0.header == text || $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }
    }
}

/// One data row of an import file, as read: its cells in the file's order, and where each known
/// column is among them (one map for the whole file, not one per row: 100,000 rows).
public struct ImportedRow<Column: ImportColumn>: Sendable {
    /// The row's line in the file, counting the header as row 1, as a spreadsheet shows it.
    public var row: Int
    let values: [String]
    let positions: [Column: Int]

    public init(row: Int, values: [String], positions: [Column: Int]) {
        self.row = row
        self.values = values
        self.positions = positions
    }

    /// The cell's text, trimmed; nil when the cell is empty or the file has no such column.
    public func cell(_ column: Column) -> String? {
        guard let position = positions[column], position < values.count else { return nil }
        let text = values[position].trimmed
        return text.isEmpty ? nil : text
    }
}

/// An uploaded import file (CSV or .xlsx) read as rows of a template's columns; every problem
/// with the file as a whole is a 422 naming `file`.
public enum ImportFile {
    /// Reads the request body: 413 over `maximumSize`, 422 for an empty body.
    public static func body(of request: Request, maximumSize: Int) async throws -> Data {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumSize)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "an import file may be at most \(maximumSize >> 20) MB")
        }
        guard body.readableBytes > 0 else { throw ProblemDetails.validation([.init(field: "file", message: "the request body must be the CSV or .xlsx file")]) }
        // A binary file sent as CSV is refused when it is read (`ImportedText`), since UTF-16 text
        // is full of NUL bytes.
        return Data(buffer: body)
    }

    /// The data rows of a CSV or .xlsx file, blank rows skipped.
    public static func rows<Column: ImportColumn>(of data: Data, as columns: Column.Type) throws -> [ImportedRow<Column>] {
        let table: [[String]]
        do {
            table = try SpreadsheetReader.rows(of: data)
        } catch let error as SpreadsheetReader.ReadError {
            throw ProblemDetails.validation([.init(field: "file", message: "is \(error.description)")])
        }
        return try rows(of: table, as: columns)
    }

    /// The data rows of a table whose first row is the header, which must name every required column.
    public static func rows<Column: ImportColumn>(of table: [[String]], as _: Column.Type) throws -> [ImportedRow<Column>] {
        guard let header = table.first else { throw ProblemDetails.validation([.init(field: "file", message: "is empty")]) }
        let columns = header.map(Column.named)
        // A header of none of the template's columns is the wrong file, or one without its header
        // row: reading it would report every row as lacking everything, or (with no required
        // column) list nothing and look like success.
        guard columns.contains(where: { $0 != nil }) else {
            let names = Column.allCases.map(\.header).joined(separator: ", ")
            throw ProblemDetails.validation([.init(
                field: "file", message: "has a first row naming none of the template's columns (\(names)); download the template")])
        }
        let missing = Column.required.filter { !columns.contains($0) }.map(\.header)
        guard missing.isEmpty else {
            throw ProblemDetails.validation([.init(field: "file", message: "lacks the column \(missing.joined(separator: ", ")); download the template")])
        }
        // A column named twice is read from its first place, as a reader of the sheet would.
        var positions: [Column: Int] = [:]
        for (position, column) in columns.enumerated() {
            if let column, positions[column] == nil { positions[column] = position }
        }
        var rows: [ImportedRow<Column>] = []
        rows.reserveCapacity(table.count)
        for (index, values) in table.dropFirst().enumerated() {
            if values.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            rows.append(ImportedRow(row: index + 2, values: values, positions: positions))
        }
        return rows
    }
}

extension ImportFile {
    /// A date and time as staff write it in a sheet, on the store's clock: `2026-11-22 10:30`,
    /// `2026/11/22 10:30:15`, `2026.11.22`, `2026年11月22日 10:30`, `2026-11-22` (midnight), an
    /// RFC 3339 time with its offset, or a date cell of an .xlsx (which `SpreadsheetReader` has
    /// already turned into `2026-11-22 10:30:00` on the workbook's own date system). Nil for
    /// anything else — a bare number too, since whether it counts days from 1900 or 1904 is the
    /// workbook's, not the cell's — and for years outside 1900–2100: no visit or lead is dated
    /// there, and PostgreSQL could not store some of them.
    public static func dateTime(_ text: String, in timeZone: TimeZone) -> Date? {
        guard let date = anyDateTime(text, in: timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return (1900...2100).contains(calendar.component(.year, from: date)) ? date : nil
    }

    private static func anyDateTime(_ text: String, in timeZone: TimeZone) -> Date? {
        if text.contains("T"), let date = RFC3339.date(from: text) { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // 2026年11月22日 10:30 is 2026-11-22 10:30.
        let text = text.replacingOccurrences(of: "年", with: "-").replacingOccurrences(of: "月", with: "-")
            .replacingOccurrences(of: "日", with: " ").trimmed
        let parts = text.split(whereSeparator: { " T".contains($0) })
        guard (1...2).contains(parts.count) else { return nil }
        let day = parts[0].split(whereSeparator: { "-/.".contains($0) }).map { Int($0) }
        let time = parts.count == 2 ? parts[1].split(separator: ":").map { Int($0) } : [0, 0]
        guard day.count == 3, (2...3).contains(time.count), !day.contains(nil), !time.contains(nil) else { return nil }
        let components = DateComponents(
            year: day[0], month: day[1], day: day[2], hour: time[0], minute: time[1], second: time.count == 3 ? time[2] : 0)
        // Refuse what the calendar would silently roll over (2026-02-30, 25:00).
        guard let date = calendar.date(from: components),
              calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
                == DateComponents(year: components.year, month: components.month, day: components.day, hour: components.hour, minute: components.minute)
        else { return nil }
        return date
    }
}
