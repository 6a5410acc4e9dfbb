import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import HTTPTypes
import ServiceKit
import ServiceLifecycle

/// Forwards requests to the service that owns their context, which answers for itself:
///
/// - `/api/v1/<context>/…`, after the gateway has checked the access token. The path, query,
///   body, `Authorization` and `X-Request-Id` go through unchanged; the service checks the token
///   again.
/// - `/api/v1/public/<context>/…` (the public prefix, `ServiceIdentity.publicPathPrefix`),
///   without a token, behind the rate limit. The path (prefix included), query, body and
///   `X-Request-Id` go through; `Authorization` does not: a public route has no use for it, and
///   without it nothing reached through the prefix can act as a signed-in user. These requests
///   pass neither the audit log nor `Idempotency-Key` (both are about a signed-in user; see
///   `GatewayApp`).
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

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    /// `<context>/**` for every service, on the gateway's authenticated `/api/v1` group.
    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        for context in upstreams.keys.sorted() {
            for method in Self.methods {
                group.on("\(context)/**", method: method, use: forward)
            }
        }
    }

    /// `<context>/**` for every service, on a group at `/api/v1/public` that asks for no token.
    func addPublicRoutes(to group: RouterGroup<CRMRequestContext>) {
        for context in upstreams.keys.sorted() {
            for method in Self.methods {
                group.on("\(context)/**", method: method, use: forwardPublic)
            }
        }
    }

    @Sendable func forward(_ request: Request, context: CRMRequestContext) async throws -> Response {
        // /api/v1/<context>/…
        let apiContext = request.uri.path.split(separator: "/").dropFirst(2).first.map(String.init) ?? ""
        return try await forward(request, context: context, apiContext: apiContext, withholding: [])
    }

    @Sendable func forwardPublic(_ request: Request, context: CRMRequestContext) async throws -> Response {
        // /api/v1/public/<context>/…
        let apiContext = request.uri.path.split(separator: "/").dropFirst(3).first.map(String.init) ?? ""
        return try await forward(request, context: context, apiContext: apiContext, withholding: ["authorization"])
    }

    /// Sends `request` to the service of `apiContext` as it came, except for the hop-by-hop
    /// headers and those named in `withholding` (canonical, lower-case names).
    private func forward(_ request: Request, context: CRMRequestContext, apiContext: String, withholding: Set<String>) async throws -> Response {
        let path = request.uri.path
        guard let base = upstreams[apiContext] else { throw ProblemDetails.notFound(path) }

        var outgoing = HTTPClientRequest(url: base.absoluteString.trimmingSuffix("/") + request.uri.string)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers
        where !Self.hopByHopHeaders.contains(field.name.canonicalName) && !withholding.contains(field.name.canonicalName) {
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
