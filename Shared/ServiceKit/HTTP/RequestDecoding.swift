import Foundation
import Contracts
import Hummingbird

extension Request {
    /// Decodes the JSON body as `T`, or throws a problem naming what is wrong: 400 for a body
    /// that is not JSON, 422 with the field's path for a missing or mistyped field, 413 for a
    /// body over the context's limit.
    ///
    /// Every route decodes through here rather than Hummingbird's `decode(as:context:)`, which
    /// reports every decoding failure as a bare 400 without the field.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "the request body is larger than \(context.maxUploadSize) bytes")
        }
        guard buffer.readableBytes > 0 else { throw ProblemDetails.malformedBody("the request needs a JSON body") }
        // PostgreSQL text cannot hold NUL; refuse it here rather than fail at the database.
        let bytes = buffer.readableBytesView
        if bytes.contains(0) || String(decoding: bytes, as: UTF8.self).range(of: "\\u0000", options: .caseInsensitive) != nil {
            throw ProblemDetails.malformedBody("the request body must not contain the NUL character (\\u0000)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            // Strict RFC 3339, as the document says: Foundation's parser takes 2026-02-30 as 2 March.
            guard text.utf8.count > 10, let date = QueryDate.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be an RFC 3339 date-time, e.g. 2026-11-22T09:30:00+08:00")
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw ProblemMiddleware<CRMRequestContext>.problem(for: error)
        }
    }
}

/// An enumeration a request body carries whose values are the service's own (a question's type,
/// a role's data scope) rather than a data dictionary's: an unknown value is a 422 naming the
/// field with "must be one of: single_choice, multiple_choice, …" instead of the decoder's
/// "Cannot initialize … from invalid String value".
public protocol BodyCode: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension BodyCode {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be one of: \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}
