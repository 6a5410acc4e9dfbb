import Foundation

/// Answers "can this process log in to the broker right now?" for readiness.
public enum BrokerProbe {
    public static func canConnect(to url: AMQPURL, timeout: TimeInterval = 1) async -> Bool {
        await withCheckedContinuation { continuation in
            // rabbitmq-c blocks: probe on a thread of its own, never on the cooperative pool.
            Thread {
                let connection = try? AMQPConnection(url: url, heartbeatSeconds: 0, connectTimeout: timeout)
                connection?.close()
                continuation.resume(returning: connection != nil)
            }.start()
        }
    }
}
