import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport

/// An HTTP server on a loopback port that stands where a service would behind the gateway and
/// keeps every request it gets, so a test can see what the gateway forwards — the path as sent,
/// and which headers it passed on or withheld. It answers every request 200 with
/// `{"upstream": "recorder"}`.
final class RecordingUpstream: Sendable {
    /// One request as it arrived.
    struct Received: Sendable {
        var method: String
        /// Path and query, as the gateway wrote them.
        var target: String
        var headers: HTTPFields
        var body: String
    }

    let port: Int
    private let received = Mutex<[Received]>([])
    private let server = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    init() throws {
        port = try ServiceProcess.freePort()
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Received] { received.withLock { $0 } }

    func start() async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { [self] request, _ in
                let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
                received.withLock {
                    $0.append(Received(method: request.method.rawValue, target: request.uri.string, headers: request.headers, body: body))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"upstream":"recorder"}"#)))
            }
        }
        var logger = Logger(label: "recording-upstream")
        logger.logLevel = .warning
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        server.withLock { $0 = (group, Task { try await group.run() }) }
        let listening = try await eventually(timeout: .seconds(10)) {
            (try? await URLSession.shared.data(from: URL(string: "\(url)/listening")!)) != nil
        }
        guard listening else { throw TestFailure("the recording upstream never listened on \(port)") }
        received.withLock { $0.removeAll() }
    }

    /// Stops the server the way a service stops: it finishes what it has in hand, then closes.
    func stop() async {
        guard let (group, task) = server.withLock({ $0 }) else { return }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
