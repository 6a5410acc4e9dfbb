import Foundation

extension AMQPConnection {
    /// Opens a connection, runs `body` with it and closes it, all on a thread of its own:
    /// rabbitmq-c blocks, so it never runs on the cooperative pool.
    static func withTemporaryConnection<Result: Sendable>(
        to url: AMQPURL, connectTimeout: TimeInterval = 5,
        _ body: @escaping @Sendable (AMQPConnection) throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let connection = try AMQPConnection(url: url, heartbeatSeconds: 0, connectTimeout: connectTimeout)
                    defer { connection.close() }
                    continuation.resume(returning: try body(connection))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}

/// Answers "can this process log in to the broker right now?" for readiness.
public enum BrokerProbe {
    public static func canConnect(to url: AMQPURL, timeout: TimeInterval = 1) async -> Bool {
        (try? await AMQPConnection.withTemporaryConnection(to: url, connectTimeout: timeout) { _ in true }) ?? false
    }
}
