import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Conditional GETs for what the public pages read again and again — the published news, the
/// current promotions (M1, M2): every answer carries a strong `ETag` made from its bytes, and a
/// request whose `If-None-Match` names it gets `304 Not Modified` without the body (RFC 9110
/// §8.8.3, §13.1.2). The tag changes exactly when the bytes do, so no version column has to be
/// kept in step with every write.
public enum EntityTag {
    /// `"<32 hex digits>"`: the first 128 bits of the SHA-256 of `bytes`, quoted.
    public static func of(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        return "\"" + digest.prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// Whether an `If-None-Match` field value (`"a", W/"b"` or `*`) names `tag`. The weak
    /// comparison of RFC 9110 §13.1.2: `W/` is ignored on both sides.
    public static func matches(ifNoneMatch values: [String], tag: String) -> Bool {
        let wanted = opaque(tag)
        for value in values {
            for candidate in value.split(separator: ",") {
                let candidate = candidate.trimmingCharacters(in: .whitespaces)
                if candidate == "*" || opaque(candidate) == wanted { return true }
            }
        }
        return false
    }

    private static func opaque(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }
}

extension Response {
    /// What a public read answers: `200` with `bytes`, or `304` with no body when the request's
    /// `If-None-Match` names their tag — both with `ETag` and `Cache-Control: cacheControl`
    /// (by default `public, no-cache`: anyone may keep a copy, and asks again before using it).
    public static func revalidated(
        _ bytes: ByteBuffer, contentType: String, request: Request, cacheControl: String = "public, no-cache",
        extraHeaders: HTTPFields = [:]
    ) -> Response {
        let tag = EntityTag.of(bytes.readableBytesView)
        var headers: HTTPFields = [.eTag: tag, .cacheControl: cacheControl]
        headers.append(contentsOf: extraHeaders)
        if EntityTag.matches(ifNoneMatch: request.headers[values: .ifNoneMatch], tag: tag) {
            return Response(status: .notModified, headers: headers, body: ResponseBody())
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    /// `revalidated` for a JSON value, encoded as every response of the context is but with its
    /// keys sorted: the encoder's own order may differ from one encoding to the next, and the
    /// same value must give the same bytes, and so the same tag.
    public static func revalidatedJSON(
        _ value: some Encodable, request: Request, context: CRMRequestContext, cacheControl: String = "public, no-cache"
    ) throws -> Response {
        let encoder = context.responseEncoder
        encoder.outputFormatting.insert(.sortedKeys)
        let data = try encoder.encode(value)
        return revalidated(ByteBuffer(bytes: data), contentType: "application/json; charset=utf-8", request: request, cacheControl: cacheControl)
    }
}
