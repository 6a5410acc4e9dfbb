import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls another service's internal routes (`/internal/v1/<apiContext>/…`, `InternalRoutes.swift`)
/// with the installation's internal token — the one way a service asks another for an answer it
/// needs at once (Marketing's wheel asking Coupons for a coupon prize, M4); everything else
/// travels as events.
///
/// A call either answers (any 2xx, decoded) or throws `InternalCallError`. A timeout or a lost
/// connection does not tell whether the other side acted, so what a caller asks must carry an
/// idempotency key and be asked again with the same key until it answers.
public struct InternalServiceClient: Sendable {
    /// The other service's base URL, e.g. `http://coupons:8080`.
    public let baseURL: String
    public let token: String
    /// The longest one call may take.
    public let timeout: Duration

    public init(baseURL: String, token: String, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeout = timeout
    }

    /// POSTs `body` as JSON to `path` (`/internal/v1/coupons/…`) and decodes the answer.
    /// - Throws: `InternalCallError`.
    public func post<Body: Encodable & Sendable, Answer: Decodable>(_ path: String, _ body: Body, answer: Answer.Type) async throws -> Answer {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(body)
        return try await call(.POST, path, body: data, answer: answer)
    }

    /// GETs `path` and decodes the answer; nil for a 404.
    /// - Throws: `InternalCallError`.
    public func get<Answer: Decodable>(_ path: String, answer: Answer.Type) async throws -> Answer? {
        do {
            return try await call(.GET, path, body: nil, answer: answer)
        } catch InternalCallError.refused(status: 404, _) {
            return nil
        }
    }

    private func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?, answer: Answer.Type) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let status: UInt
        let bytes: ByteBuffer
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            status = response.status.code
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw InternalCallError.unreachable("\(baseURL)\(path): \(error)")
        }
        guard (200..<300).contains(status) else {
            throw InternalCallError.refused(status: Int(status), String(buffer: bytes))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Answer.self, from: Data(buffer: bytes))
        } catch {
            throw InternalCallError.unreadable("\(baseURL)\(path) answered what this version does not read: \(error)")
        }
    }
}

/// Why an internal call gave no answer.
public enum InternalCallError: Error, CustomStringConvertible, Equatable {
    /// No answer: refused connection, timeout, a connection lost mid-way. The other side may or
    /// may not have acted; ask again with the same idempotency key.
    case unreachable(String)
    /// An answer that is not 2xx: the status and the body (a problem+json).
    case refused(status: Int, String)
    /// A 2xx whose body does not decode.
    case unreadable(String)

    public var description: String {
        switch self {
        case .unreachable(let what): "no answer from \(what)"
        case .refused(let status, let body): "refused with \(status): \(body.prefix(500))"
        case .unreadable(let what): what
        }
    }
}
