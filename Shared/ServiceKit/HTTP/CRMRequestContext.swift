import Hummingbird

/// The request context of every Dealer CRM route.
public struct CRMRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Request bodies are JSON of a few kilobytes; imports have their own limit.
    public var maxUploadSize: Int { 1 << 20 }
}
