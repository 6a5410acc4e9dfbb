import CSV
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads an uploaded spreadsheet — CSV or .xlsx, told apart by their first bytes — as rows of
/// text cells, for every import (X2). The first row is the header.
///
/// CSV goes through CSV.swift (quotes, embedded commas and line breaks, CRLF, a UTF-8 BOM).
/// An .xlsx is a zip of XML parts: the first worksheet and the shared strings are read with
/// ZIPFoundation and Foundation's XMLParser; numbers come out as their text (a mobile stored as
/// the number 13429893242, or as 1.3429893242E10, reads `13429893242`).
public enum SpreadsheetReader {
    public enum Format: Sendable {
        case csv, xlsx
    }

    /// Why a file could not be read; the import answers 422 with it.
    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public static func format(of data: Data) -> Format {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04]) ? .xlsx : .csv
    }

    public static func rows(of data: Data) throws -> [[String]] {
        switch format(of: data) {
        case .csv: return try csvRows(data)
        case .xlsx: return try xlsxRows(data)
        }
    }

    // MARK: CSV

    static func csvRows(_ data: Data) throws -> [[String]] {
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            throw ReadError("not a readable CSV file (\(error))")
        }
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw ReadError("not a readable CSV file (\(error))") }
        return rows
    }

    // MARK: .xlsx

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
        return try WorksheetParser.parse(sheet, sharedStrings: sharedStrings)
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
        var rows: [[String]] = []
        private var row: [String] = []
        private var rowNumber = 0
        private var column = 0
        private var cellType: String?
        private var value = ""
        private var inValue = false
        var failure: String?

        init(sharedStrings: [String]) {
            self.sharedStrings = sharedStrings
        }

        static func parse(_ data: Data, sharedStrings: [String]) throws -> [[String]] {
            let delegate = WorksheetParser(sharedStrings: sharedStrings)
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
                    text = Self.plainNumber(value)
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
