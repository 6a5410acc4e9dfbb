import Foundation
import Hummingbird
import NIOCore

/// The request context of every Dealer CRM route.
public struct CRMRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, set by `AuthenticationMiddleware`.
    public var principal: Principal?
    /// The address of the connection's other end: the client, or the reverse proxy in front of
    /// the gateway (`ClientAddress` tells them apart). Nil for an in-process test client.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
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
