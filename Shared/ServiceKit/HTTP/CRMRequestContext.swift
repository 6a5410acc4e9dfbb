import Foundation
import Hummingbird

/// The request context of every Dealer CRM route.
public struct CRMRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, set by `AuthenticationMiddleware`.
    public var principal: Principal?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// JSON with ISO 8601 dates, as Hummingbird's default, but `/` left as it is.
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// Request bodies are JSON of a few kilobytes; imports have their own limit.
    public var maxUploadSize: Int { 1 << 20 }
}
