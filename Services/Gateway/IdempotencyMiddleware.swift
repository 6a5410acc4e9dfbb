import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceKit

/// `Idempotency-Key` on writes (POST, PUT, PATCH), for every service at once: the first request
/// with a key runs and its response is kept for 24 hours; a retry with the same key and the
/// same method and target gets that response again (with `Idempotent-Replayed: true`) instead
/// of doing the write twice — a client that lost the answer to "open this repair order" may
/// simply send it again.
///
/// Keys belong to the user. The same key for another request is a 422; a retry while the first
/// is still running is a 409. A request that fails without an answer (the gateway could not
/// reach the service, a crash) releases its key so it can be tried again.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext
    let database: Database

    static let methods: Set<HTTPRequest.Method> = [.post, .put, .patch]
    static let replayed = HTTPField.Name("Idempotent-Replayed")!
    /// Larger answers (exports are GETs) are passed through without being kept.
    static let maximumKeptBody = 4 << 20

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.methods.contains(request.method), let key = request.headers[.idempotencyKey], let user = context.principal?.userID else {
            return try await next(request, context)
        }
        guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace || $0 == " " }) else {
            throw ProblemDetails.validation([.init(field: "Idempotency-Key", message: "must be 1 to 200 printable ASCII characters")])
        }
        let target = "\(request.method.rawValue) \(request.uri.string)"
        let logger = database.logger
        let claimed = try await database.withTransaction { connection in
            try await connection.query("""
                INSERT INTO identity.idempotency_key (user_id, key, request, state) VALUES (\(user), \(key), \(target), 'pending')
                ON CONFLICT (user_id, key) DO UPDATE SET request = EXCLUDED.request, state = 'pending', status = NULL,
                    content_type = NULL, body = NULL, created_at = now()
                WHERE idempotency_key.created_at < now() - interval '24 hours'
                RETURNING 1
                """, logger: logger).decode(Int.self).all().count == 1
        }
        if !claimed { return try await replay(user: user, key: key, target: target) }

        let response: Response
        do {
            response = try await next(request, context)
        } catch let problem as HTTPResponseError where problem.status.code < 500 {
            // A refusal is an answer too: the same request would be refused the same way.
            let answer = try (problem as? ProblemDetails)?.response(from: request, context: context)
            if let answer { return try await keep(answer, user: user, key: key) }
            try await release(user: user, key: key)
            throw problem
        } catch {
            try? await release(user: user, key: key)
            throw error
        }
        guard response.status.code < 500 else {
            try await release(user: user, key: key)
            return response
        }
        return try await keep(response, user: user, key: key)
    }

    /// Collects the answer, keeps it, and returns it.
    private func keep(_ response: Response, user: UUID, key: String) async throws -> Response {
        var response = response
        let collector = BodyCollector(limit: Self.maximumKeptBody)
        try await response.body.write(CollectingWriter(collector: collector))
        let body = collector.buffer
        do {
            if collector.overflowed {
                try await release(user: user, key: key)
            } else {
                try await database.withTransaction { connection in
                    try await connection.query("""
                        UPDATE identity.idempotency_key SET state = 'done', status = \(Int(response.status.code)),
                            content_type = \(response.headers[.contentType]), body = \(body)
                        WHERE user_id = \(user) AND key = \(key)
                        """, logger: database.logger)
                }
            }
        } catch {
            // The write is done; only its replay is lost. Answer it, and free the key.
            database.logger.error("idempotent answer not kept", metadata: ["error": "\(String(reflecting: error))"])
            try? await release(user: user, key: key)
        }
        response.body = ResponseBody(byteBuffer: body)
        return response
    }

    private func release(user: UUID, key: String) async throws {
        try await database.withTransaction { connection in
            try await connection.query("""
                DELETE FROM identity.idempotency_key WHERE user_id = \(user) AND key = \(key) AND state = 'pending'
                """, logger: database.logger)
        }
    }

    private func replay(user: UUID, key: String, target: String) async throws -> Response {
        let row = try await database.withTransaction { connection in
            try await connection.query("""
                SELECT request, state, status, content_type, body FROM identity.idempotency_key WHERE user_id = \(user) AND key = \(key)
                """, logger: database.logger).decode((String, String, Int?, String?, ByteBuffer?).self).all().first
        }
        guard let (request, state, status, contentType, body) = row else {
            throw ProblemDetails.conflict("the request with this Idempotency-Key has just been released; send it again")
        }
        guard request == target else {
            throw ProblemDetails.validation([.init(field: "Idempotency-Key", message: "was used for another request (\(request)); use a new key")])
        }
        guard state == "done", let status else {
            throw ProblemDetails.conflict("a request with this Idempotency-Key is still running; wait for its answer")
        }
        var headers: HTTPFields = [Self.replayed: "true"]
        if let contentType { headers[.contentType] = contentType }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: body ?? ByteBuffer()))
    }
}

/// Where `CollectingWriter` leaves a response body.
final class BodyCollector: @unchecked Sendable {
    let limit: Int
    var buffer = ByteBuffer()
    var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }
}

/// A `ResponseBodyWriter` that keeps what is written, so the answer can be stored and sent.
struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collector.buffer.writeBuffer(&buffer)
        if collector.buffer.readableBytes > collector.limit { collector.overflowed = true }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
