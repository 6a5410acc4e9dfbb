import Logging
import NIOCore
import PostgresNIO

extension AsyncSequence {
    /// Every element, in order: for decoded query results, which are small lists here.
    public func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}

extension PostgresConnection {
    /// Every row of `query`, read to the end as the server sends it — for the statements that
    /// run while the database may go away mid-answer (the outbox relay's batches).
    ///
    /// postgres-nio 1.33's `query` async sequence reads with back-pressure: between two reads
    /// its row stream waits for demand, and a connection that closes then (a PostgreSQL
    /// restart) delivers the rows it had left together with a read-complete, which trips a
    /// precondition in `RowStreamStateMachine` and ends the whole process (seen in
    /// `DatabaseOutageTests`; async-http-client fixed the same pattern in its #450). The
    /// collecting `EventLoopFuture` API asks for more as soon as rows arrive, so the stream is
    /// never waiting for demand; the result is a batch we hold in memory anyway.
    public func allRows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        let result: EventLoopFuture<PostgresQueryResult> = self.query(query, logger: logger)
        return try await result.get().rows
    }
}
