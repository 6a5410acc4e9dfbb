import CSV
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads an uploaded spreadsheet — CSV or .xlsx, told apart by their first bytes — as rows of
/// text cells, for every import (X2). The first row is the header.
///
/// CSV goes through CSV.swift (quotes, embedded commas and line breaks, CRLF, tab-separated),
/// after `ImportedText` has decoded it from UTF-8, GB18030 or UTF-16.
/// An .xlsx is read by `SpreadsheetReader+Workbook.swift`.
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
        let text = try ImportedText.decode(data).text
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, delimiter: delimiter(of: text))
        } catch {
            throw ReadError("not a readable CSV file (\(error))")
        }
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw ReadError("not a readable CSV file (\(error))") }
        return rows
    }

    /// A tab when the header line has more tabs than commas ("Unicode 文本" and "文本文件(制表符分隔)"
    /// from Excel, a range pasted from a sheet), else a comma.
    static func delimiter(of text: String) -> Unicode.Scalar {
        let header = text.unicodeScalars.prefix { $0 != "\n" && $0 != "\r" }
        let tabs = header.count { $0 == "\t" }
        let commas = header.count { $0 == "," }
        return tabs > commas ? "\t" : ","
    }
}
