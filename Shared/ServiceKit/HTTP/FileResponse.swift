import Foundation
import Hummingbird

extension Response {
    /// A stored or generated file the browser shows (`inline`) — a photo, a scan, a printable
    /// document — saved as `fileName` plus the type's extension.
    public static func file(_ bytes: ByteBuffer, contentType: String, fileName: String) -> Response {
        let fileExtension = switch contentType {
        case "image/jpeg": "jpg"
        case "image/png": "png"
        case "image/webp": "webp"
        case "application/pdf": "pdf"
        default: "bin"
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: contentType,
                .contentDisposition: "inline; filename=\"\(asciiFileName(fileName)).\(fileExtension)\"; filename*=UTF-8''\(percentEncoded(fileName)).\(fileExtension)",
                // Photos of ID cards, agreements and quotes carry a customer's name, mobile and
                // ID numbers: no shared cache keeps them.
                .cacheControl: "private, no-store",
            ],
            body: ResponseBody(byteBuffer: bytes))
    }

    /// The name in UTF-8 with every byte but ASCII letters, digits, `-`, `.`, `_` and `~`
    /// percent-encoded, for `filename*` (RFC 5987): browsers that read it save the file under its
    /// Chinese name, the others fall back to the ASCII `filename`.
    private static func percentEncoded(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: rfc5987Characters) ?? asciiFileName(name)
    }

    private static let rfc5987Characters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
}
