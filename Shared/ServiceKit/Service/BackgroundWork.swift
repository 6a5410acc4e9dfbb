import Logging
import ServiceLifecycle

/// The loop of every background worker (the lead announcement backlog, the public-pool
/// sweeper …): runs `pass` now and then every `interval` until shutdown.
///
/// A pass that fails — the database is away, a statement is refused — is logged, and the next
/// one comes after the interval: a worker resumes by itself when the database is back (issue
/// 11). A pass taking longer than `deadline` counts as failed, because after a database restart
/// postgres-nio 1.33 was seen to leave a query waiting for ever; `withDeadline` leaves it behind.
/// Graceful shutdown (SIGTERM) ends the wait between passes at once; a pass under way finishes.
public enum BackgroundWork {
    /// - Parameters:
    ///   - what: the work, for the log ("announcing the lead backlog").
    ///   - interval: the pause between passes.
    ///   - deadline: the longest one pass may take.
    public static func repeatUntilShutdown(
        _ what: String, every interval: Duration, deadline: Duration, logger: Logger,
        pass: @escaping @Sendable () async throws -> Void
    ) async {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await withDeadline(deadline, what, pass)
            } catch {
                DatabaseErrors.count(error)
                logger.warning("\(what) failed; trying again in \(interval)", metadata: ["error": "\(DatabaseFailure.logText(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
