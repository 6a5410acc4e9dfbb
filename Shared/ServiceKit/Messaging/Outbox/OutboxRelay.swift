import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Publishes what the outbox holds, until the broker confirms it.
///
/// Each pass locks a batch of unpublished rows with `FOR UPDATE SKIP LOCKED` (so several
/// replicas can relay one outbox without sending a row twice at the same time), publishes the
/// batch with confirms, and in the same transaction marks what the broker confirmed as sent and
/// schedules what it refused for a retry with backoff. If the broker is away, the transaction
/// rolls back and the rows wait. A row may still be sent twice (confirmed, then the commit
/// fails); consumers' inboxes make that harmless.
///
/// The relay wakes on the outbox's `NOTIFY`, and also sweeps every `sweepInterval` in case a
/// notification was missed (e.g. while the listening connection was reconnecting).
public final class OutboxRelay: Service, @unchecked Sendable {
    public struct Settings: Sendable {
        public var batchSize = 500
        /// The most envelope bytes one pass reads (as stored, compressed: `pg_column_size`) —
        /// beyond its first row. A row may be a CloudEvents batch of 500 events (about 0.4 MB);
        /// 500 of them in one pass would hold 200 MB in memory, six passes side by side over a
        /// gigabyte. Rows past the budget stay for the next pass.
        public var passBytes = 4 << 20
        /// Passes run at the same time; `SKIP LOCKED` gives each its own rows, and while one
        /// waits for confirms another reads and marks.
        public var concurrency = 6
        public var sweepInterval: Duration = .seconds(1)
        /// The longest a refused event waits before its next try.
        public var maximumRetryDelaySeconds = 300
        /// How long `flush()` (at shutdown) may take; what is left goes at the next start.
        public var shutdownFlushLimit: Duration = .seconds(3)
        /// The longest one pass may take; past it the pass counts as failed and is tried again (a
        /// connection that vanished mid-answer can leave a query waiting for ever underneath;
        /// the rows it locked wait until PostgreSQL ends that transaction).
        public var passDeadline: Duration = .seconds(15)
        /// Sent rows are kept this long for inspection, then deleted.
        public var retention: Duration = .seconds(7 * 24 * 3600)
        public init() {}
    }

    private let database: Database
    private let outbox: Outbox
    private let publisher: EventPublisher
    private let appID: String
    private let settings: Settings
    private let logger: Logger
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let publishedCounter: Counter
    private let failedCounter: Counter

    public init(database: Database, publisher: EventPublisher, appID: String, settings: Settings = Settings(), logger: Logger) {
        self.database = database
        self.outbox = Outbox(schema: database.schema)
        self.publisher = publisher
        self.appID = appID
        self.settings = settings
        self.logger = logger
        (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.publishedCounter = Counter(label: "crm_outbox_published_total", dimensions: [("schema", database.schema.name)])
        self.failedCounter = Counter(label: "crm_outbox_publish_failures_total", dimensions: [("schema", database.schema.name)])
    }

    public func run() async throws {
        // Outbox writes committed in this process wake this relay in memory (see `Outbox`).
        let wake = self.wake
        LocalRelayWakeUps.register(schema: database.schema.name) { wake.yield() }
        defer { LocalRelayWakeUps.unregister(schema: database.schema.name) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenForNotifications() }
            group.addTask { await self.wakePeriodically() }
            group.addTask { await self.relayUntilShutdown() }
            // The relay loop ends on graceful shutdown; then stop the others. The final flush is
            // the owner's to call (`flush()`), once the outbox's writers have stopped.
            await group.next()
            group.cancelAll()
        }
    }

    /// Publishes until the outbox has nothing ready (or `deadline` passes, checked between
    /// passes); returns how many events were confirmed.
    ///
    /// One pass first: on a quiet outbox that is all a sweep costs. Only when it comes back
    /// full is there a backlog, and then `concurrency` passes run side by side.
    @discardableResult
    public func drain(until deadline: ContinuousClock.Instant? = nil) async throws -> Int {
        let first = try await relayOnceWithinDeadline()
        var total = first.confirmed
        guard first.leftReadyRows(batchSize: settings.batchSize) else { return total }
        while deadline.map({ ContinuousClock.now < $0 }) ?? true {
            let passes = try await withThrowingTaskGroup(of: Pass.self) { group in
                for _ in 0..<max(1, settings.concurrency) {
                    group.addTask { try await self.relayOnceWithinDeadline() }
                }
                return try await group.reduce(into: [Pass]()) { $0.append($1) }
            }
            total += passes.reduce(0) { $0 + $1.confirmed }
            // Done once some pass found less than a full batch: the outbox has nothing more ready.
            if passes.contains(where: { !$0.leftReadyRows(batchSize: settings.batchSize) }) { return total }
        }
        return total
    }

    private func relayUntilShutdown() async {
        var backoff = Backoff(initial: 0.2, maximum: 5)
        var iterator = wakeUps.makeAsyncIterator()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await drain()
                backoff.reset()
                // `next()` returns nil when cancelled; graceful shutdown wakes it through `wake`.
                await withGracefulShutdownHandler {
                    _ = await iterator.next()
                } onGracefulShutdown: {
                    self.wake.yield()
                }
            } catch {
                let delay = backoff.next()
                logger.warning("outbox relay pass failed; retrying", metadata: ["error": "\(DatabaseFailure.logText(error))", "retryIn": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// One last, bounded attempt to send what was committed, for shutdown: call it after
    /// everything that writes to the outbox has stopped (the consumer's last batches, the
    /// background workers), once `run()` has returned. It gives up after
    /// `settings.shutdownFlushLimit` (3 s); what is left goes at the next start.
    public func flush() async {
        do {
            let sent = try await drain(until: .now + settings.shutdownFlushLimit)
            logger.info("outbox flushed", metadata: ["events": "\(sent)"])
        } catch {
            logger.warning("outbox not flushed at shutdown; it is sent at the next start", metadata: ["error": "\(DatabaseFailure.logText(error))"])
        }
    }

    /// Sweeps every `sweepInterval`; about once an hour also deletes old sent rows.
    private func wakePeriodically() async {
        var lastCleanup = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.sweepInterval)
            wake.yield()
            if ContinuousClock.now - lastCleanup > .seconds(3600) {
                lastCleanup = ContinuousClock.now
                do {
                    try await deleteSentEvents()
                } catch {
                    logger.warning("could not delete old sent outbox rows", metadata: ["error": "\(DatabaseFailure.logText(error))"])
                }
            }
        }
    }

    private func listenForNotifications() async {
        var backoff = Backoff(initial: 0.5, maximum: 10)
        while !Task.isCancelled {
            do {
                try await database.client.withConnection { connection in
                    try await connection.listen(on: self.outbox.notificationChannel) { notifications in
                        backoff.reset()
                        for try await _ in notifications { self.wake.yield() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(backoff.next()))
            }
        }
    }

    private struct Pass: Sendable {
        /// Rows the pass locked, rows within its byte budget that it sent, rows the broker confirmed.
        var locked: Int
        var sent: Int
        var confirmed: Int

        /// A full batch locked, or rows left past the byte budget: more may be ready.
        func leftReadyRows(batchSize: Int) -> Bool { locked == batchSize || sent < locked }
    }

    private func relayOnceWithinDeadline() async throws -> Pass {
        try await withDeadline(settings.passDeadline, "an outbox relay pass") { try await self.relayOnce() }
    }

    private func relayOnce() async throws -> Pass {
        let table = outbox.schema.qualify("outbox")
        return try await database.withTransaction { connection in
            var rows: [(seq: Int64, id: String, type: String, envelope: String, createdAt: Date)] = []
            var locked = 0
            // Locks up to `batchSize` rows, then reads the envelopes of those within the byte
            // budget (always the first); the others are unlocked at the commit, unsent.
            let query = PostgresQuery(unsafeSQL: """
                WITH locked AS (
                    SELECT seq, sum(pg_column_size(envelope)) OVER (ORDER BY seq) AS bytes_up_to FROM (
                        SELECT seq, envelope FROM \(table)
                        WHERE published_at IS NULL AND available_at <= now()
                        ORDER BY seq LIMIT \(settings.batchSize)
                        FOR UPDATE SKIP LOCKED
                    ) AS ready
                )
                SELECT o.seq, o.event_id, o.event_type, o.envelope::text, o.created_at, (SELECT count(*) FROM locked)
                FROM locked JOIN \(table) o USING (seq)
                WHERE locked.bytes_up_to <= \(settings.passBytes) OR locked.seq = (SELECT min(seq) FROM locked)
                ORDER BY o.seq
                """)
            // Collected, not streamed: a PostgreSQL restart mid-answer must fail the pass, not
            // crash the process (`PostgresConnection.allRows`).
            for row in try await connection.allRows(query, logger: logger) {
                let (seq, id, type, envelope, createdAt, lockedRows) = try row.decode((Int64, String, String, String, Date, Int).self)
                rows.append((seq, id, type, envelope, createdAt))
                locked = lockedRows
            }
            guard !rows.isEmpty else { return Pass(locked: 0, sent: 0, confirmed: 0) }

            let messages = rows.map { row in
                OutgoingMessage(
                    routingKey: row.type,
                    properties: MessageProperties(
                        contentType: Outbox.contentType(ofEnvelope: row.envelope), messageID: row.id, type: row.type,
                        timestamp: row.createdAt, appID: appID, persistent: true),
                    body: Data(row.envelope.utf8))
            }
            let outcomes = try await publisher.publish(messages, to: MessagingTopology.eventsExchange)

            var confirmed: [Int64] = []
            var refused: [(seq: Int64, reason: String)] = []
            for (row, outcome) in zip(rows, outcomes) {
                switch outcome {
                case .confirmed: confirmed.append(row.seq)
                case .rejected(let reason): refused.append((row.seq, reason))
                }
            }
            if !confirmed.isEmpty {
                try await connection.query(PostgresQuery(
                    unsafeSQL: "UPDATE \(table) SET published_at = now() WHERE seq = ANY($1::bigint[])",
                    binds: Self.binds(confirmed)), logger: logger)
            }
            for failure in refused {
                logger.warning("event not accepted by the broker; will retry", metadata: ["seq": "\(failure.seq)", "reason": "\(failure.reason)"])
                var binds = PostgresBindings()
                binds.append(failure.seq)
                binds.append(failure.reason)
                binds.append(settings.maximumRetryDelaySeconds)
                try await connection.query(PostgresQuery(unsafeSQL: """
                    UPDATE \(table)
                    SET attempts = attempts + 1, last_error = $2,
                        available_at = now() + make_interval(secs => least($3::int, power(2, least(attempts, 20))::int))
                    WHERE seq = $1
                    """, binds: binds), logger: logger)
            }
            publishedCounter.increment(by: confirmed.count)
            failedCounter.increment(by: refused.count)
            return Pass(locked: locked, sent: rows.count, confirmed: confirmed.count)
        }
    }

    /// Deletes sent rows older than the retention period.
    public func deleteSentEvents() async throws {
        var binds = PostgresBindings()
        binds.append(Int(settings.retention.components.seconds))
        try await database.client.query(PostgresQuery(unsafeSQL: """
            DELETE FROM \(outbox.schema.qualify("outbox"))
            WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1::int)
            """, binds: binds), logger: logger)
    }

    private static func binds(_ values: [Int64]) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(values)
        return binds
    }
}
