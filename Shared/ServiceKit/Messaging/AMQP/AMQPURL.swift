import Foundation

/// Where the broker is and who to log in as, from an `amqp://user:password@host:port/vhost` URL.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    public init(host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest", virtualHost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
    }

    /// Parses the URL; the path, percent-decoded, is the virtual host (`/` when empty).
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), components.scheme == "amqp", let host = components.host, !host.isEmpty else {
            throw ConfigurationError.invalid(name: "CRM_AMQP_URL", reason: "expected amqp://user:password@host:port/vhost")
        }
        self.host = host
        self.port = components.port ?? 5672
        self.user = components.user?.removingPercentEncoding ?? "guest"
        self.password = components.password?.removingPercentEncoding ?? "guest"
        let path = String(components.percentEncodedPath.dropFirst()).removingPercentEncoding ?? ""
        self.virtualHost = path.isEmpty ? "/" : path
    }

    /// The URL without its password, for logs and status pages.
    public var description: String {
        let vhost = virtualHost == "/" ? "" : virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? virtualHost
        return "amqp://\(user)@\(host):\(port)/\(vhost)"
    }
}
