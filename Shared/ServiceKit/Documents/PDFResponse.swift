import Foundation
import Hummingbird

extension Response {
    /// The document as a PDF the browser shows, ready to print: `fileName` is the name without
    /// extension, such as `SJ2611220001-agreement`.
    ///
    /// Unlike `export`, this writes on the calling task: a document of a few pages takes well
    /// under a millisecond.
    public static func pdf(_ document: PrintableDocument, fileName: String) -> Response {
        file(ByteBuffer(bytes: document.pdf()), contentType: "application/pdf", fileName: fileName)
    }
}
