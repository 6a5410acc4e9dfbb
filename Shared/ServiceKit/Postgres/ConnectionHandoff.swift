import Foundation
import PostgresNIO

/// One lease of a pooled connection, taken in a task of its own and handed to the caller, so
/// that the caller can stop waiting for it (issue 11).
///
/// postgres-nio's pool leases only inside `withConnection`, whose wait cannot be bounded from
/// outside: a cancelled lease that the pool had already queued elsewhere kept its caller — a
/// consumer's worker — waiting for ever. Here the lease task waits as long as the pool makes it;
/// the caller waits at most its deadline, and a connection that comes after the caller gave up
/// goes straight back to the pool.
final class ConnectionHandoff: @unchecked Sendable {
    private enum State {
        case waiting(CheckedContinuation<PostgresConnection, any Error>?)
        case handedOver
        case gaveUp
    }

    private let lock = NSLock()
    private var state: State = .waiting(nil)
    private var offered: Result<PostgresConnection, any Error>?
    private var returned: CheckedContinuation<Void, Never>?
    private var isReturned = false

    /// Leases a connection from `client` and waits up to `deadline` for it.
    /// - Throws: `DatabaseUnavailable` past the deadline; the pool's error if it fails the lease.
    static func lease(from client: PostgresClient, deadline: Duration) async throws -> ConnectionHandoff.Lease {
        let handoff = ConnectionHandoff()
        Task {
            do {
                try await client.withConnection { connection in
                    guard handoff.offer(.success(connection)) else { return }
                    await handoff.waitUntilReturned()
                }
            } catch {
                _ = handoff.offer(.failure(error))
            }
        }
        let timer = Task {
            try await Task.sleep(for: deadline)
            handoff.giveUp()
        }
        defer { timer.cancel() }
        let connection = try await handoff.connection()
        return Lease(connection: connection, handoff: handoff)
    }

    /// A connection in the caller's hands until `release()`.
    struct Lease {
        let connection: PostgresConnection
        fileprivate let handoff: ConnectionHandoff
        func release() { handoff.giveBack() }
    }

    private func connection() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let offered {
                state = .handedOver
                lock.unlock()
                continuation.resume(with: offered)
                return
            }
            if case .gaveUp = state {
                lock.unlock()
                continuation.resume(throwing: DatabaseUnavailable("no connection within \(Database.connectionWait)"))
                return
            }
            state = .waiting(continuation)
            lock.unlock()
        }
    }

    /// The lease task has a connection (or an error); false if the caller already gave up.
    private func offer(_ result: Result<PostgresConnection, any Error>) -> Bool {
        lock.lock()
        switch state {
        case .gaveUp, .handedOver:
            lock.unlock()
            return false
        case .waiting(let continuation?):
            state = .handedOver
            lock.unlock()
            continuation.resume(with: result)
            return true
        case .waiting(nil):
            offered = result
            lock.unlock()
            return true
        }
    }

    /// The deadline passed: the caller stops waiting, unless the connection came first.
    private func giveUp() {
        lock.lock()
        guard case .waiting(let continuation) = state, offered == nil else { lock.unlock(); return }
        state = .gaveUp
        lock.unlock()
        continuation?.resume(throwing: DatabaseUnavailable("no connection within \(Database.connectionWait)"))
    }

    private func waitUntilReturned() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if isReturned {
                lock.unlock()
                continuation.resume()
                return
            }
            returned = continuation
            lock.unlock()
        }
    }

    /// The caller is done with the connection: the lease task gives it back to the pool.
    private func giveBack() {
        lock.lock()
        isReturned = true
        let continuation = returned
        returned = nil
        lock.unlock()
        continuation?.resume()
    }
}
