import CSV

/// A CSV text as rows of fields, read by CSV.swift (quoted fields, embedded commas and line
/// breaks, CRLF).
enum CSVTable {
    static func parse(_ text: String) throws -> [[String]] {
        let reader = try CSVReader(string: text, hasHeaderRow: false)
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw error }
        return rows
    }
}
