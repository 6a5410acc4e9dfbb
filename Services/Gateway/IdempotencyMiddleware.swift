import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import ServiceKit

/// `Idempotency-Key` on writes (POST, PUT, PATCH, DELETE), for every service at once: the first request
/// with a key runs and its response is kept for 24 hours on the gateway's clock; a retry with the
/// same key and the same request — method, target and body — gets that response again (with
/// `Idempotent-Replayed: true`) instead of doing the write twice: a client that lost the answer
/// to "open this repair order" may simply send it again.
///
/// Keys belong to the user, so it sits on the authenticated routes only; a request without a
/// user (login, refresh, the public prefix) would pass it untouched. The same key with another
/// request (another method, target or body) is a 422 naming `Idempotency-Key`, as the IETF
/// httpapi Idempotency-Key draft says; a retry while the first is still running is a 409. A request that fails without an answer (the
/// gateway could not reach the service, a crash) releases its key so it can be tried again.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext
    let database: Database
    /// The gateway's service clock: when a key was used, and when its 24 hours are over.
    let clock: ServiceClock

    static let methods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]
    static let replayed = HTTPField.Name("Idempotent-Replayed")!
    /// The largest answer kept to replay, in bytes (`CRM_IDEMPOTENT_ANSWER_LIMIT_BYTES`). A
    /// larger one — a 100,000-row import's report — is remembered as done without its body, and
    /// a retry is told so (409) instead of running the write again.
    let answerLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.methods.contains(request.method), let key = request.headers[.idempotencyKey], let user = context.principal?.userID else {
            return try await next(request, context)
        }
        guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace || $0 == " " }) else {
            throw ProblemDetails.validation([.init(field: "Idempotency-Key", message: "must be 1 to 200 printable ASCII characters")])
        }
        // The body is read whole here (the proxy would read it whole too) so that a retry can be
        // told from another request under the same key; what runs next gets the same bytes.
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: ServiceProxy.maximumRequestBody)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "the request body is larger than \(ServiceProxy.maximumRequestBody) bytes")
        }
        let target = "\(request.method.rawValue) \(request.uri.string)"
        let fingerprint = Self.fingerprint(target: target, body: body)
        let now = clock.now()
        let claimed = try await keys {
            try await $0.claim(user: user, key: key, request: target, fingerprint: fingerprint, now: now)
        }
        if !claimed { return try await replay(user: user, key: key, target: target, fingerprint: fingerprint) }

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

    /// What tells one request from another under the same key: the SHA-256, in hex, of the
    /// method and target (`POST /api/v1/…?…`), a line break, and the body's bytes.
    static func fingerprint(target: String, body: ByteBuffer) -> String {
        var hash = SHA256()
        hash.update(data: Data("\(target)\n".utf8))
        body.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private func keys<Result: Sendable>(_ body: (IdempotencyStore) async throws -> Result) async throws -> Result {
        try await database.withTransaction { connection in
            try await body(IdempotencyStore(connection: connection, logger: database.logger))
        }
    }

    /// Collects the answer, keeps it, and returns it.
    private func keep(_ response: Response, user: UUID, key: String) async throws -> Response {
        var response = response
        let collector = BodyCollector(limit: answerLimit)
        try await response.body.write(CollectingWriter(collector: collector))
        let body = collector.buffer
        let status = response.status.code
        let contentType = response.headers[.contentType]
        do {
            // Too large to keep: remembered as done all the same, so that a retry does not write twice.
            let kept = collector.overflowed ? nil : body
            try await keys { try await $0.keep(user: user, key: key, status: status, contentType: contentType, body: kept) }
        } catch {
            // The write is done; only its replay is lost. Answer it, and free the key.
            database.logger.error("idempotent answer not kept", metadata: ["error": "\(DatabaseFailure.logText(error))"])
            try? await release(user: user, key: key)
        }
        response.body = ResponseBody(byteBuffer: body)
        return response
    }

    private func release(user: UUID, key: String) async throws {
        try await keys { try await $0.release(user: user, key: key) }
    }

    private func replay(user: UUID, key: String, target: String, fingerprint: String) async throws -> Response {
        guard let kept = try await keys({ try await $0.entry(user: user, key: key) }) else {
            throw ProblemDetails.conflict("the request with this Idempotency-Key has just been released; send it again")
        }
        guard kept.request == target else {
            throw ProblemDetails.validation([.init(field: "Idempotency-Key", message: "was used for another request (\(kept.request)); use a new key")])
        }
        guard kept.fingerprint == nil || kept.fingerprint == fingerprint else {
            throw ProblemDetails.validation([.init(
                field: "Idempotency-Key",
                message: "was used for this request with other content; send the same content again to get its answer, or use a new key")])
        }
        guard kept.state == "done", let status = kept.status else {
            throw ProblemDetails.conflict("a request with this Idempotency-Key is still running; wait for its answer")
        }
        guard let body = kept.body else {
            throw ProblemDetails.conflict(
                "the request with this Idempotency-Key was done (status \(status)), but its answer was too large to keep; look the result up instead of sending the request again")
        }
        var headers: HTTPFields = [Self.replayed: "true"]
        if let contentType = kept.contentType { headers[.contentType] = contentType }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// The SQL of `Idempotency-Key`: one row per user and key, "pending" while its first request
/// runs, then "done" with the answer to replay.
struct IdempotencyStore {
    let connection: PostgresConnection
    let logger: Logger

    /// How long a key's answer is kept: after that the key is free for a new request.
    static let lifetime: TimeInterval = 24 * 3600

    /// A key as kept.
    struct Entry {
        /// Method and target of the request the key was first used with.
        var request: String
        /// `IdempotencyMiddleware.fingerprint` of that request; nil on keys kept before it was recorded.
        var fingerprint: String?
        var state: String
        var status: Int?
        var contentType: String?
        var body: ByteBuffer?
    }

    /// Takes the key for a request starting at `now`: true if it was free, or its first use is
    /// `lifetime` or longer before `now`; false if it is in use (a retry, or another request).
    func claim(user: UUID, key: String, request: String, fingerprint: String, now: Date) async throws -> Bool {
        let expired = now.addingTimeInterval(-Self.lifetime)
        return try await connection.query("""
            INSERT INTO identity.idempotency_key (user_id, key, request, fingerprint, state, created_at)
            VALUES (\(user), \(key), \(request), \(fingerprint), 'pending', \(now))
            ON CONFLICT (user_id, key) DO UPDATE SET request = EXCLUDED.request, fingerprint = EXCLUDED.fingerprint, state = 'pending',
                status = NULL, content_type = NULL, body = NULL, created_at = EXCLUDED.created_at
            WHERE idempotency_key.created_at <= \(expired)
            RETURNING 1
            """, logger: logger).decode(Int.self).all().count == 1
    }

    /// Keeps the answer of the key's request, to replay; `body` nil when it was too large to keep.
    func keep(user: UUID, key: String, status: Int, contentType: String?, body: ByteBuffer?) async throws {
        try await connection.query("""
            UPDATE identity.idempotency_key SET state = 'done', status = \(status), content_type = \(contentType), body = \(body)
            WHERE user_id = \(user) AND key = \(key)
            """, logger: logger)
    }

    /// Frees a key whose request ended without an answer to keep.
    func release(user: UUID, key: String) async throws {
        try await connection.query("""
            DELETE FROM identity.idempotency_key WHERE user_id = \(user) AND key = \(key) AND state = 'pending'
            """, logger: logger)
    }

    func entry(user: UUID, key: String) async throws -> Entry? {
        let rows = try await connection.query("""
            SELECT request, fingerprint, state, status, content_type, body FROM identity.idempotency_key WHERE user_id = \(user) AND key = \(key)
            """, logger: logger)
        for try await (request, fingerprint, state, status, contentType, body) in rows.decode((String, String?, String, Int?, String?, ByteBuffer?).self) {
            return Entry(request: request, fingerprint: fingerprint, state: state, status: status, contentType: contentType, body: body)
        }
        return nil
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
