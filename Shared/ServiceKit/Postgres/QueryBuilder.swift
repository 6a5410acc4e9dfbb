import Logging
import PostgresNIO

/// Builds one parameterised statement from pieces, for queries whose shape depends on the
/// request — a list with optional filters, a data scope.
///
/// Text is appended as written (it must come from code, never from input); values are always
/// bound, each as the next `$n`:
///
/// ```swift
/// var query = QueryBuilder("SELECT id FROM customer_service.visit_task WHERE true")
/// if let state { query.append(" AND state = ", bind: state) }
/// query.append(" ORDER BY created_at DESC, id LIMIT ", bind: page.pageSize)
/// let rows = try await client.query(query.build(), logger: logger)
/// ```
public struct QueryBuilder: Sendable {
    private var sql: String
    private var binds = PostgresBindings()

    public init(_ sql: String = "") {
        self.sql = sql
    }

    /// Appends SQL text with no values.
    public mutating func append(_ text: String) {
        sql += text
    }

    /// Appends `text` followed by a placeholder bound to `value`.
    public mutating func append(_ text: String, bind value: some PostgresNonThrowingEncodable & Sendable) {
        sql += text
        sql += placeholder(for: value)
    }

    /// Binds `value` and returns its placeholder (`$3`), for values in the middle of a text.
    public mutating func placeholder(for value: some PostgresNonThrowingEncodable & Sendable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value`, or `NULL` for nil; returns the placeholder or `NULL`.
    public mutating func placeholder<Value: PostgresNonThrowingEncodable & Sendable>(forOptional value: Value?) -> String {
        guard let value else { return "NULL" }
        return placeholder(for: value)
    }

    public func build() -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// The statement with `prefix` in front: one `FROM … WHERE …` serves both a list's
    /// `SELECT columns` and its `SELECT count(*)`.
    public func build(prefix: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: prefix + " " + sql, binds: binds)
    }

    // A list is one `FROM … WHERE …` read twice: counted for the page's `total`, and selected
    // in a stable order, one page at a time.

    /// How many rows the `FROM … WHERE …` of this builder matches.
    public func count(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query(build(prefix: "SELECT count(*)::int"), logger: logger).decode(Int.self).all().first ?? 0
    }

    /// This `FROM … WHERE …` ordered by `orderBy` (which must make the order stable: end it
    /// with the id) and cut to `page`; `build(prefix:)` adds the columns.
    public func ordered(by orderBy: String, _ page: PageRequest) -> QueryBuilder {
        var query = self
        query.append(" ORDER BY \(orderBy) LIMIT \(page.pageSize) OFFSET \(page.offset)")
        return query
    }
}
