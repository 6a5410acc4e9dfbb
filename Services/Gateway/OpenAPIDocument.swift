import Foundation
import Hummingbird
import ServiceKit

/// `GET /openapi.yaml`: the one OpenAPI 3.1 document of the whole public API, kept by hand in
/// `Services/Gateway/openapi.yaml` next to the routes it describes (tests check the two agree).
enum OpenAPIDocument {
    static func addRoute(to router: Router<CRMRequestContext>) throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw ConfigurationError.invalid(name: "openapi.yaml", reason: "missing from the gateway's resources")
        }
        let document = try Data(contentsOf: url)
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
