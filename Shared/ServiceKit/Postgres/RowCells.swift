import PostgresNIO

/// A row's cells read one after another, each as the type its column holds — for rows too
/// wide for `PostgresRow.decode` of a tuple, and for readers that build a value in parts.
public struct RowCells {
    /// A cell whose value does not fit the type asked for, or a row with fewer cells.
    public struct Unexpected: Error, CustomStringConvertible {
        public var column: String
        public init(column: String) { self.column = column }
        public var description: String { "unexpected value or missing column: \(column)" }
    }

    private var iterator: PostgresRow.Iterator

    public init(_ row: PostgresRow) {
        iterator = row.makeIterator()
    }

    /// The next cell as `type`; throws `Unexpected` past the last cell, or PostgresNIO's
    /// decoding error when the cell is not a `Value`.
    public mutating func next<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value {
        guard let cell = iterator.next() else { throw Unexpected(column: "past the last one") }
        return try cell.decode(Value.self)
    }
}
