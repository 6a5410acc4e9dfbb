import Foundation

/// The rows of a list, ready to be written as .xlsx or CSV: what every `/export` endpoint builds
/// from the same query its list endpoint runs.
///
/// ```swift
/// let table = ExportTable(
///     sheetName: "回访任务",
///     headers: ["客户", "车牌", "满意度", "回访时间"],
///     rows: tasks.map { task in
///         [ExportCell(task.customerName), ExportCell(task.plate),
///          ExportCell(task.score), ExportCell(task.visitedAt, in: store.timeZone)]
///     })
/// ```
public struct ExportTable: Sendable {
    /// The worksheet's name in the .xlsx (CSV has none). Excel allows 31 characters and none of
    /// `[ ] : * ? / \`; the XLSX writer shortens or cleans a name that breaks these rules.
    public var sheetName: String
    public var headers: [String]
    /// One cell per header in each row, in the headers' order.
    public var rows: [[ExportCell]]

    public init(sheetName: String, headers: [String], rows: [[ExportCell]]) {
        assert(rows.allSatisfy { $0.count == headers.count }, "every row of an export needs one cell per header")
        self.sheetName = sheetName
        self.headers = headers
        self.rows = rows
    }
}

/// One cell of an export. Numbers stay numbers so that a spreadsheet can sum and sort them;
/// identifiers that only look like numbers (phone numbers, VINs, order numbers) belong in `.text`,
/// where no leading zero or digit beyond Excel's 15 is lost.
public enum ExportCell: Sendable, Equatable {
    case text(String)
    case number(Double)
    case integer(Int)
    /// Shown as the wall-clock time in the time zone, `yyyy-MM-dd HH:mm`: a spreadsheet has no
    /// time zones, so the store's own zone is chosen when the cell is made, not by the reader.
    case dateTime(Date, TimeZone)
    case empty

    /// A missing text is an empty cell.
    public init(_ text: String?) {
        self = text.map { .text($0) } ?? .empty
    }

    public init(_ number: Double?) {
        self = number.map { .number($0) } ?? .empty
    }

    public init(_ integer: Int?) {
        self = integer.map { .integer($0) } ?? .empty
    }

    /// Money travels as `Decimal`; a spreadsheet holds it as a number (exact to 15 digits).
    public init(_ amount: Decimal?) {
        self = amount.map { .number(NSDecimalNumber(decimal: $0).doubleValue) } ?? .empty
    }

    public init(_ date: Date?, in timeZone: TimeZone) {
        self = date.map { .dateTime($0, timeZone) } ?? .empty
    }

    /// A share or rate (a fraction, 0.3333) as staff read it in a `(%)` column: 33.33.
    public static func percent(_ fraction: Double) -> ExportCell {
        .number((fraction * 10_000).rounded() / 100)
    }
}

/// The wall-clock time of a `.dateTime` cell, to the minute: what both writers show, so that the
/// .xlsx and the CSV of the same rows agree — and what printed documents show.
public struct LocalDateTime: Equatable, Sendable {
    public var year, month, day, hour, minute: Int

    public init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        year = parts.year ?? 1970
        month = parts.month ?? 1
        day = parts.day ?? 1
        hour = parts.hour ?? 0
        minute = parts.minute ?? 0
    }

    /// `yyyy-MM-dd HH:mm`
    public var text: String {
        "\(year)-\(Self.twoDigits(month))-\(Self.twoDigits(day)) \(timeText)"
    }

    /// `HH:mm`
    public var timeText: String {
        "\(Self.twoDigits(hour)):\(Self.twoDigits(minute))"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension ExportCell {
    /// The cell as a spreadsheet shows it, or nil for an empty cell.
    var displayText: String? {
        switch self {
        case .text(let text): return text
        case .number(let number): return Self.numberText(number)
        case .integer(let integer): return String(integer)
        case .dateTime(let date, let timeZone): return LocalDateTime(date, in: timeZone).text
        case .empty: return nil
        }
    }

    /// `12` rather than `12.0` for whole numbers; nil for NaN and infinity, which no spreadsheet
    /// can hold (Excel reports a file containing them as corrupt).
    static func numberText(_ number: Double) -> String? {
        guard number.isFinite else { return nil }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}
