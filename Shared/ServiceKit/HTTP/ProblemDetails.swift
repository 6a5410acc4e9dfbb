import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: what every error response of Dealer CRM looks like.
///
/// ```json
/// {"type": "https://dealer-crm.dev/problems/validation", "title": "Invalid request",
///  "status": 422, "detail": "2 fields are invalid", "instance": "/api/v1/…",
///  "requestId": "…", "errors": [{"field": "vin", "message": "must be 17 characters"}]}
/// ```
public struct ProblemDetails: Error, HTTPResponseError, Codable, Sendable {
    /// One offending field of a request.
    public struct FieldError: Codable, Sendable, Equatable {
        /// A JSON path into the request body (`customer.mobile`), or a query parameter's name.
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String?
    public var instance: String?
    public var requestId: String?
    public var errors: [FieldError]?
    /// Seconds after which a retry may succeed: sent as `Retry-After` (503, 429), not in the body.
    public var retryAfter: Int?

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    enum CodingKeys: String, CodingKey {
        case type, title, statusCode = "status", detail, instance, requestId, errors
    }

    public init(status: HTTPResponse.Status, type: String? = nil, title: String? = nil, detail: String? = nil, errors: [FieldError]? = nil) {
        self.statusCode = status.code
        self.type = type ?? "https://dealer-crm.dev/problems/\(status.code)"
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
    }

    /// 422: the request was well-formed JSON but some fields are wrong.
    public static func validation(_ errors: [FieldError]) -> ProblemDetails {
        ProblemDetails(
            status: .unprocessableContent, type: "https://dealer-crm.dev/problems/validation", title: "Invalid request",
            detail: errors.count == 1 ? "1 field is invalid" : "\(errors.count) fields are invalid", errors: errors)
    }

    /// 400: the body is not JSON, or not the JSON expected.
    public static func malformedBody(_ detail: String, errors: [FieldError]? = nil) -> ProblemDetails {
        ProblemDetails(status: .badRequest, type: "https://dealer-crm.dev/problems/malformed-request", title: "Malformed request", detail: detail, errors: errors)
    }

    /// 404: also what a user gets for a record of a store they cannot see.
    public static func notFound(_ what: String) -> ProblemDetails {
        ProblemDetails(status: .notFound, type: "https://dealer-crm.dev/problems/not-found", title: "Not found", detail: "\(what) was not found")
    }

    /// 409: the request conflicts with the record's current state.
    public static func conflict(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: .conflict, type: "https://dealer-crm.dev/problems/conflict", title: "Conflict", detail: detail)
    }

    /// 401: no valid access token.
    public static func unauthorized(_ detail: String) -> ProblemDetails {
        ProblemDetails(status: .unauthorized, type: "https://dealer-crm.dev/problems/unauthorized", title: "Unauthorized", detail: detail)
    }

    /// 403: the caller's role lacks the permission.
    /// 503: a dependency (the database) is away for the moment; `Retry-After` says when to retry.
    public static func unavailable(_ detail: String, retryAfter seconds: Int = 5) -> ProblemDetails {
        var problem = ProblemDetails(
            status: .serviceUnavailable, type: "https://dealer-crm.dev/problems/service-unavailable", title: "Service unavailable",
            detail: detail)
        problem.retryAfter = seconds
        return problem
    }

    /// 429: the client sent more requests than the public prefix's rate limit lets through
    /// (`RateLimitMiddleware`); `Retry-After` says in how many seconds the next one will pass.
    /// Customers read it on their phone, so it says what to do in their words.
    public static func tooManyRequests(retryAfter seconds: Int) -> ProblemDetails {
        var problem = ProblemDetails(
            status: .tooManyRequests, type: "https://dealer-crm.dev/problems/too-many-requests", title: "Too many requests",
            detail: "too many requests from your network in a short time; wait \(seconds) second\(seconds == 1 ? "" : "s") and try again")
        problem.retryAfter = seconds
        return problem
    }

    public static func forbidden(missing permission: Permission) -> ProblemDetails {
        ProblemDetails(
            status: .forbidden, type: "https://dealer-crm.dev/problems/forbidden", title: "Forbidden",
            detail: "your role does not have the permission \(permission.rawValue)")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var problem = self
        problem.instance = problem.instance ?? request.uri.path
        problem.requestId = problem.requestId ?? request.headers[.requestID] ?? context.id
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(problem)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
