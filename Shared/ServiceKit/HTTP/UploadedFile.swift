import Foundation
import Hummingbird
import NIOCore

/// A photo or scan sent as the whole body of a `PUT`, its type in `Content-Type` — an ID card
/// photographed at the desk, a signed agreement, a quote: `PUT …/photos/id_card` with
/// `Content-Type: image/jpeg`.
///
/// The declared type is checked against the file's first bytes, so what is stored as a JPEG is
/// one, and a browser shown it later renders a picture, not a page someone uploaded.
public struct UploadedFile: Sendable {
    public enum FileType: String, Sendable, CaseIterable {
        case jpeg = "image/jpeg"
        case png = "image/png"
        case webp = "image/webp"
        case pdf = "application/pdf"

        public var contentType: String { rawValue }

        /// Whether `bytes` begin as a file of this type does.
        func starts(_ bytes: ByteBufferView) -> Bool {
            let head = Array(bytes.prefix(12))
            switch self {
            case .jpeg: return head.starts(with: [0xFF, 0xD8, 0xFF])
            case .png: return head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            case .webp: return head.count == 12 && head.starts(with: Array("RIFF".utf8)) && Array(head[8..<12]) == Array("WEBP".utf8)
            case .pdf: return head.starts(with: Array("%PDF-".utf8))
            }
        }
    }

    /// Phone cameras write 2–5 MB photos; 8 MB leaves room without letting one upload fill memory.
    public static let maximumSize = 8 << 20

    public let type: FileType
    public let bytes: ByteBuffer

    /// Reads the body: 415 unless `Content-Type` is one of `accepting`, 413 over `maximumSize`,
    /// 422 for an empty body or one that is not what it says it is.
    public init(request: Request, accepting: [FileType], maximumSize: Int = Self.maximumSize) async throws {
        let declared = request.headers[.contentType]?
            .split(separator: ";").first
            .map { String($0).trimmed.lowercased() }
        guard let declared, let type = accepting.first(where: { $0.rawValue == declared }) else {
            throw ProblemDetails(
                status: .unsupportedMediaType,
                detail: "send the file as the body with Content-Type \(accepting.map(\.rawValue).joined(separator: ", ")) (got \(declared ?? "none"))")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: maximumSize)
        } catch {
            throw ProblemDetails(status: .contentTooLarge, detail: "a file may be at most \(maximumSize >> 20) MB")
        }
        guard bytes.readableBytes > 0 else {
            throw ProblemDetails.validation([.init(field: "body", message: "must be the file; the body is empty")])
        }
        guard type.starts(bytes.readableBytesView) else {
            throw ProblemDetails.validation([.init(field: "body", message: "is not a \(type.rawValue) file (its first bytes say otherwise)")])
        }
        self.type = type
        self.bytes = bytes
    }
}
