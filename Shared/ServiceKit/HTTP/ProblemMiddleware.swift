import Foundation
import Hummingbird
import Logging

/// Turns every error a route throws into an RFC 9457 problem: the route's own `ProblemDetails`
/// as they are, Hummingbird's `HTTPError`s with their status, a body that does not decode as a
/// 400 naming the field, a database that is away as a 503 with `Retry-After`, and anything else as a 500 that says nothing about the internals (the
/// log has the details, under the same request id).
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemDetails {
            return try problem.response(from: request, context: context)
        } catch let error as DecodingError {
            return try Self.problem(for: error).response(from: request, context: context)
        } catch let error as HTTPResponseError {
            let response = try error.response(from: request, context: context)
            if response.status.code >= 400, response.headers[.contentType] != "application/problem+json" {
                let detail = (error as? HTTPError)?.body
                return try ProblemDetails(status: error.status, detail: detail).response(from: request, context: context)
            }
            return response
        } catch where DatabaseFailure.isConnectionProblem(error) {
            // The database is away (a restart, a failover): say so at once, and when to retry.
            DatabaseErrors.count(error)
            context.logger.warning("request failed: the database is unavailable", metadata: ["error": "\(DatabaseFailure.logText(error))"])
            return try ProblemDetails.unavailable("the database is unavailable for the moment; try again in a few seconds")
                .response(from: request, context: context)
        } catch {
            DatabaseErrors.count(error)
            context.logger.error("request failed", metadata: ["error": "\(DatabaseFailure.logText(error))"])
            return try ProblemDetails(
                status: .internalServerError, type: "https://dealer-crm.dev/problems/internal",
                title: "Internal error", detail: "the request could not be completed; quote the request id to support"
            ).response(from: request, context: context)
        }
    }

    /// A decoding failure, named by the path of the field that failed.
    static func problem(for error: DecodingError) -> ProblemDetails {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation([.init(field: path(context.codingPath + [key]), message: "is required")])
        case .valueNotFound(_, let context):
            return .validation([.init(field: path(context.codingPath), message: "must not be null")])
        case .typeMismatch(let type, let context):
            return .validation([.init(field: path(context.codingPath), message: "must be \(Self.jsonName(of: type))")])
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return .validation([.init(field: path(context.codingPath), message: context.debugDescription)])
        case .dataCorrupted:
            return .malformedBody("the request body is not valid JSON")
        @unknown default:
            return .malformedBody("the request body could not be read")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
        case is Double.Type, is Decimal.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "a valid \(name)"
        }
    }
}

/// Gives every request an id — the caller's `X-Request-Id` if it sent a sane one — puts it in the
/// request's log metadata and echoes it in the response.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID: String
        if let given = request.headers[.requestID], Self.isSane(given) {
            requestID = given
        } else {
            requestID = context.id
        }
        context.logger[metadataKey: "requestID"] = .string(requestID)
        var response = try await next(request, context)
        response.headers[.requestID] = requestID
        return response
    }

    /// Short, and only letters, digits and `-_.`: safe to log and to echo.
    private static func isSane(_ id: String) -> Bool {
        guard !id.isEmpty, id.count <= 128 else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" || scalar == "."
        }
    }
}
