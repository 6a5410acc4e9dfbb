import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// An .xlsx is a zip of XML parts: the first worksheet, the shared strings, the cell styles and
/// the workbook's date system are read with ZIPFoundation and Foundation's XMLParser.
///
/// Numbers come out as their text (a mobile stored as the number 13429893242, or as
/// 1.3429893242E10, reads `13429893242`); a number in a date or time format comes out as the
/// wall-clock time it shows, `2026-11-20 10:30:00` (or `2026-11-20` for a whole day), counted on
/// the workbook's own date system — 1900, or 1904 as Excel for Mac writes it — so the import
/// reads it on the store's clock like any text date (issue 12, item 2).
extension SpreadsheetReader {
    static func xlsxRows(_ data: Data) throws -> [[String]] {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw ReadError("not a readable .xlsx file (\(error))")
        }
        func part(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            var bytes = Data()
            _ = try archive.extract(entry, skipCRC32: false) { bytes.append($0) }
            return bytes
        }
        // The first worksheet: sheet1 in every workbook Excel, WPS or openpyxl writes.
        let sheetPath = archive.map(\.path).filter { $0.hasPrefix("xl/worksheets/") && $0.hasSuffix(".xml") }.sorted().first
        guard let sheetPath, let sheet = try part(sheetPath) else { throw ReadError("an .xlsx file without a worksheet") }
        let sharedStrings = try part("xl/sharedStrings.xml").map(SharedStringsParser.parse) ?? []
        let dates = WorkbookDates(
            system: try part("xl/workbook.xml").map(WorkbookDates.System.init(workbook:)) ?? .from1900,
            styles: try part("xl/styles.xml").map(WorkbookDates.dateStyles(styles:)) ?? [])
        return try WorksheetParser.parse(sheet, sharedStrings: sharedStrings, dates: dates)
    }

    /// `<sst><si><t>…</t></si>…</sst>`, rich text (`<r><t>…</t></r>`) joined; phonetic runs skipped.
    private final class SharedStringsParser: NSObject, XMLParserDelegate {
        var strings: [String] = []
        private var current = ""
        private var inText = false
        private var inPhonetic = false

        static func parse(_ data: Data) throws -> [String] {
            let delegate = SharedStringsParser()
            let parser = XMLParser(data: data)
            parser.delegate = delegate
            guard parser.parse() else { throw ReadError("an .xlsx file with unreadable shared strings") }
            return delegate.strings
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            switch name {
            case "si": current = ""
            case "t": inText = !inPhonetic
            case "rPh": inPhonetic = true
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { current += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "si": strings.append(current)
            case "t": inText = false
            case "rPh": inPhonetic = false
            default: break
            }
        }
    }

    /// `<sheetData><row r="2"><c r="B2" t="s"><v>3</v></c>…` into rows of text, placing each cell
    /// by its reference, so that empty cells Excel leaves out keep their columns.
    private final class WorksheetParser: NSObject, XMLParserDelegate {
        let sharedStrings: [String]
        let dates: WorkbookDates
        var rows: [[String]] = []
        private var row: [String] = []
        private var rowNumber = 0
        private var column = 0
        private var cellType: String?
        private var cellStyle = 0
        private var value = ""
        private var inValue = false
        var failure: String?

        init(sharedStrings: [String], dates: WorkbookDates) {
            self.sharedStrings = sharedStrings
            self.dates = dates
        }

        static func parse(_ data: Data, sharedStrings: [String], dates: WorkbookDates) throws -> [[String]] {
            let delegate = WorksheetParser(sharedStrings: sharedStrings, dates: dates)
            let parser = XMLParser(data: data)
            parser.delegate = delegate
            guard parser.parse(), delegate.failure == nil else {
                throw ReadError(delegate.failure ?? "an .xlsx file with an unreadable worksheet")
            }
            return delegate.rows
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            switch name {
            case "row":
                let number = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
                // Rows Excel leaves out are empty rows.
                while rowNumber + 1 < number, rows.count < 1_000_000 { rows.append([]); rowNumber += 1 }
                rowNumber = number
                row = []
                column = 0
            case "c":
                column = attributes["r"].flatMap(Self.columnIndex) ?? column
                cellType = attributes["t"]
                cellStyle = attributes["s"].flatMap(Int.init) ?? 0
                value = ""
            case "v", "t":
                inValue = true
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inValue { value += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "v", "t":
                inValue = false
            case "c":
                var text = value
                switch cellType {
                case "s":
                    guard let index = Int(value), sharedStrings.indices.contains(index) else {
                        failure = "an .xlsx cell refers to a missing shared string"
                        parser.abortParsing()
                        return
                    }
                    text = sharedStrings[index]
                case "b":
                    text = value == "1" ? "TRUE" : "FALSE"
                case nil, "n":
                    text = dates.text(ofSerial: value, style: cellStyle) ?? Self.plainNumber(value)
                default:
                    break  // inlineStr, str (formula results), e: the text as written
                }
                while row.count < column { row.append("") }
                row.append(text)
                column += 1
            case "row":
                rows.append(row)
            default:
                break
            }
        }

        /// `B12` → 1 (columns from 0).
        static func columnIndex(_ reference: String) -> Int? {
            var index = 0
            var letters = 0
            for scalar in reference.unicodeScalars {
                guard scalar.value >= 65 && scalar.value <= 90 else { break }
                index = index * 26 + Int(scalar.value - 64)
                letters += 1
            }
            return letters == 0 ? nil : index - 1
        }

        /// A whole number without a decimal point or exponent (`1.3429893242E10` → `13429893242`).
        static func plainNumber(_ text: String) -> String {
            guard text.contains("E") || text.contains("e") || text.hasSuffix(".0"),
                  let number = Decimal(string: text), number == number.rounded(toPlaces: 0)
            else { return text }
            return "\(number.rounded(toPlaces: 0))"
        }
    }
}
