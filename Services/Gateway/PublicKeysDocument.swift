import Foundation
import Hummingbird
import ServiceKit

/// `GET /.well-known/jwks.json`: the public keys that verify the gateway's tokens (RFC 7517),
/// the current signing key and those kept from before a rotation. Services fetch it at start
/// and whenever a token names a key they do not know.
enum PublicKeysDocument {
    static func addRoute(to router: Router<CRMRequestContext>, keys: SigningKeySet) {
        let document = ByteBuffer(string: keys.json)
        router.get(".well-known/jwks.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                body: ResponseBody(byteBuffer: document))
        }
    }
}
