import Foundation

/// The operation did not finish by its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var what: String
    public var deadline: Duration
    public var description: String { "\(what) did not finish within \(deadline)" }
}

/// Runs `operation` in a task of its own and waits for it at most `deadline`.
///
/// Unlike a task group, which must wait for its children, this returns at the deadline even if
/// the operation ignores cancellation: it is cancelled and left to end on its own. For waits
/// that must be bounded whatever a library does underneath — a database query whose connection
/// vanished mid-answer (issue 11).
/// - Throws: `DeadlineExceeded` past the deadline; whatever `operation` throws.
public func withDeadline<Result: Sendable>(
    _ deadline: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = DeadlineRace<Result>()
    let work = Task { race.finish(with: await Result_catching(operation)) }
    let timer = Task {
        try await Task.sleep(for: deadline)
        race.finish(with: .failure(DeadlineExceeded(what: what, deadline: deadline)))
    }
    defer {
        timer.cancel()
        work.cancel()
    }
    return try await race.value()
}

private func Result_catching<Success>(_ operation: () async throws -> Success) async -> Result<Success, any Error> {
    do {
        return .success(try await operation())
    } catch {
        return .failure(error)
    }
}

/// The first outcome wins; the waiter gets it.
private final class DeadlineRace<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<Value, any Error>?
    private var waiter: CheckedContinuation<Value, any Error>?

    func finish(with result: Result<Value, any Error>) {
        lock.lock()
        guard outcome == nil else { lock.unlock(); return }
        outcome = result
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(with: result)
    }

    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let outcome {
                lock.unlock()
                continuation.resume(with: outcome)
                return
            }
            waiter = continuation
            lock.unlock()
        }
    }
}
