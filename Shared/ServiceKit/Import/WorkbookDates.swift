import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// How an .xlsx workbook stores dates, and which of its cells hold one.
///
/// A date cell is a number (days since the workbook's epoch, the time of day as the fraction)
/// shown through a date or time number format. Which format a cell has is its style (`s="3"`, an
/// index into `<cellXfs>` in `xl/styles.xml`), whose `numFmtId` is either built in (ECMA-376
/// §18.8.30: 14–22 and 45–47, and 27–36, 50–58 in Chinese, Japanese and Korean Excel) or defined in
/// `<numFmts>` by its format code (`yyyy"年"m"月"d"日" hh:mm`).
struct WorkbookDates: Sendable {
    /// The workbook's date system (ECMA-376 §18.17.4.1): `<workbookPr date1904="1"/>` counts from
    /// 1904-01-01 (Excel for Mac before 2011, and workbooks made from them), otherwise serial 1 is
    /// 1900-01-01 — counted from 1899-12-30 since Excel treats 1900 as a leap year.
    enum System: Sendable {
        case from1900, from1904

        /// The day serial 0 stands for.
        var epoch: DateComponents {
            switch self {
            case .from1900: DateComponents(year: 1899, month: 12, day: 30)
            case .from1904: DateComponents(year: 1904, month: 1, day: 1)
            }
        }

        /// The system `xl/workbook.xml` declares; `date1904` is an XML boolean (`1`, `true`).
        init(workbook: Data) throws {
            let reader = WorkbookPropertiesParser()
            let parser = XMLParser(data: workbook)
            parser.delegate = reader
            guard parser.parse() else { throw SpreadsheetReader.ReadError("an .xlsx file with an unreadable workbook part") }
            self = reader.date1904 ? .from1904 : .from1900
        }
    }

    var system: System
    /// For each cell style (the index a cell's `s` names), whether it shows a date or time.
    var styles: [Bool]

    /// The wall-clock text a date cell shows — `2026-11-20 10:30:00`, or `2026-11-20` when the
    /// serial is a whole day — or nil when the style is not a date format or the value is not a
    /// serial (negative, or beyond 9999-12-31).
    func text(ofSerial value: String, style: Int) -> String? {
        guard styles.indices.contains(style), styles[style],
              let serial = Double(value), serial >= 0, serial < 2_958_466
        else { return nil }
        // Excel keeps times to the millisecond; a time is read to the nearest second.
        let seconds = Int((serial * 86_400).rounded())
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let epoch = calendar.date(from: system.epoch) else { return nil }
        let shown = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: epoch.addingTimeInterval(TimeInterval(seconds)))
        guard let year = shown.year, let month = shown.month, let day = shown.day else { return nil }
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        guard seconds % 86_400 != 0 else { return date }
        return date + String(format: " %02d:%02d:%02d", shown.hour ?? 0, shown.minute ?? 0, shown.second ?? 0)
    }

    /// Built-in number formats that show a date or a time (ECMA-376 §18.8.30, with the East Asian
    /// ones Chinese Excel and WPS write: 27–36 `yyyy"年"m"月"` …, 50–58).
    static let builtInDateFormats: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    /// Whether a custom format code shows a date or time: after removing quoted text, escaped
    /// characters, padding, colours and locale tags (`"年"`, `\-`, `_)`, `[Red]`, `[$-804]`), its
    /// first section still has a y, m, d, h or s — the test openpyxl and Apache POI apply.
    static func isDateFormat(_ code: String) -> Bool {
        var kept = ""
        var characters = code.makeIterator()
        while let character = characters.next() {
            switch character {
            case "\"":
                while let quoted = characters.next(), quoted != "\"" {}
            case "\\", "_", "*":
                _ = characters.next()
            case "[":
                var bracket = ""
                while let inside = characters.next(), inside != "]" { bracket.append(inside) }
                // [h], [mm], [ss]: elapsed time, still a time.
                if !bracket.isEmpty, bracket.lowercased().allSatisfy({ "hms".contains($0) }) { kept += bracket }
            case ";":
                return kept.lowercased().contains(where: { "ymdhs".contains($0) })
            default:
                kept.append(character)
            }
        }
        let lowered = kept.lowercased()
        return lowered != "general" && lowered.contains(where: { "ymdhs".contains($0) })
    }

    /// For each `<xf>` of `<cellXfs>` in `xl/styles.xml`, whether its number format shows a date.
    static func dateStyles(styles: Data) throws -> [Bool] {
        let reader = StylesParser()
        let parser = XMLParser(data: styles)
        parser.delegate = reader
        guard parser.parse() else { throw SpreadsheetReader.ReadError("an .xlsx file with unreadable styles") }
        return reader.cellFormats.map { id in
            builtInDateFormats.contains(id) || reader.customFormats[id].map(isDateFormat) == true
        }
    }

    /// `<workbookPr date1904="…"/>`.
    private final class WorkbookPropertiesParser: NSObject, XMLParserDelegate {
        var date1904 = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            guard name == "workbookPr", let flag = attributes["date1904"] else { return }
            date1904 = ["1", "true", "on"].contains(flag.lowercased())
        }
    }

    /// `<numFmts><numFmt numFmtId="176" formatCode="…"/></numFmts>` and the `numFmtId` of each
    /// `<xf>` inside `<cellXfs>` (not `<cellStyleXfs>`, which cells do not name).
    private final class StylesParser: NSObject, XMLParserDelegate {
        var customFormats: [Int: String] = [:]
        var cellFormats: [Int] = []
        private var inCellFormats = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            switch name {
            case "numFmt":
                if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"] { customFormats[id] = code }
            case "cellXfs":
                inCellFormats = true
            case "xf" where inCellFormats:
                cellFormats.append(attributes["numFmtId"].flatMap(Int.init) ?? 0)
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "cellXfs" { inCellFormats = false }
        }
    }
}
