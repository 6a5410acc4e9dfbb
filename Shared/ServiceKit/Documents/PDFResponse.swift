import Foundation
import Hummingbird

extension Response {
    /// The document as a PDF the browser shows, ready to print: `fileName` is the name without
    /// extension, such as `SJ2611220001-agreement`.
    ///
    /// Like `export`, this writes on a Dispatch thread: a document of a page or two takes some
    /// 20 ms of CPU (fonts are loaded, text laid out and font subsets embedded), which would
    /// otherwise hold up one of Swift concurrency's few threads.
    ///
    /// - Throws: `PrintableDocumentError` when the document cannot be written (see
    ///   `PrintableDocument.pdf()`); the request then fails with a 500.
    public static func pdf(_ document: PrintableDocument, fileName: String) async throws -> Response {
        let bytes = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, Error>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try document.pdf() })
            }
        }
        return file(ByteBuffer(bytes: bytes), contentType: "application/pdf", fileName: fileName)
    }
}
