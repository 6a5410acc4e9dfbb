import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import HTTPTypes
import ServiceKit
import ServiceLifecycle

/// Forwards `/api/v1/<context>/…` to the service that owns the context, after the gateway has
/// checked the access token. The path, query, body, `Authorization` and `X-Request-Id` go
/// through unchanged; the service checks the token again and answers for itself.
struct ServiceProxy: Sendable {
    let client: HTTPClient
    let upstreams: [String: URL]
    let logger: Logger

    /// Request bodies pass through whole; imports are the largest.
    static let maximumRequestBody = 32 << 20

    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        for context in upstreams.keys.sorted() {
            for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
                group.on("\(context)/**", method: method, use: forward)
            }
        }
    }

    @Sendable func forward(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let path = request.uri.path
        let apiContext = path.split(separator: "/").dropFirst(2).first.map(String.init) ?? ""
        guard let base = upstreams[apiContext] else { throw ProblemDetails.notFound(path) }

        var outgoing = HTTPClientRequest(url: base.absoluteString.trimmingSuffix("/") + request.uri.string)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHopHeaders.contains(field.name.canonicalName) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        if request.headers[.requestID] == nil, let id = context.requestID {
            outgoing.headers.add(name: "X-Request-Id", value: id)
        }
        if [.post, .put, .patch].contains(request.method) {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maximumRequestBody)
            } catch {
                throw ProblemDetails(status: .contentTooLarge, detail: "the request body is larger than \(Self.maximumRequestBody) bytes")
            }
            outgoing.body = .bytes(body)
        }

        let incoming: HTTPClientResponse
        do {
            incoming = try await client.execute(outgoing, timeout: .seconds(60), logger: logger)
        } catch {
            logger.warning("service unavailable", metadata: ["context": "\(apiContext)", "error": "\(error)"])
            throw ProblemDetails.unavailable("the \(apiContext) service is not answering; try again shortly")
        }
        var headers = HTTPFields()
        for (name, value) in incoming.headers where !Self.hopByHopHeaders.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        if let length = incoming.headers.first(name: "content-length") {
            headers[.contentLength] = length
        }
        return Response(
            status: HTTPResponse.Status(code: Int(incoming.status.code)),
            headers: headers,
            body: ResponseBody(asyncSequence: incoming.body))
    }
}

/// Shuts the proxy's HTTP client down with the gateway.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

extension CRMRequestContext {
    /// The request id `RequestIDMiddleware` chose, when the client sent none.
    var requestID: String? { id }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
