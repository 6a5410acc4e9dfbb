import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore

/// Signs (in the gateway) and verifies (everywhere) Dealer CRM's tokens: EdDSA over Ed25519,
/// each token naming its key in `kid`, its issuer and its audience (issue 10).
///
/// - The gateway holds the installation's private keys (`CRM_JWT_SIGNING_KEYS`) and is the only
///   process that can sign; it publishes the public keys at `/.well-known/jwks.json`.
/// - A service holds public keys only: from `CRM_JWT_PUBLIC_KEYS`, and from the gateway's JWKS
///   document (`CRM_JWKS_URL`), fetched at start and again when a token names a key it does not
///   know — so a key rotated in at the gateway is learned without a restart.
///
/// A token is accepted only when its header says `alg: EdDSA` with a known `kid`, its signature
/// verifies with that key, it has not expired, `iss` is `TokenKeys.issuer` and `aud` is the
/// audience of its use (access or refresh). HMAC, `none` and tokens of another key are refused
/// before any signature check, so no algorithm confusion is possible.
public actor TokenKeys {
    /// The `iss` of every token the gateway signs.
    public static let issuer = "dealer-crm-gateway"

    /// The `aud` of a token for `use`: access tokens are for the API, refresh tokens only for
    /// the gateway's `POST /api/v1/auth/refresh`.
    public static func audience(for use: AccessClaims.Use) -> String {
        switch use {
        case .access: return "dealer-crm-api"
        case .refresh: return "dealer-crm-refresh"
        }
    }

    /// At most one JWKS fetch a second, however many tokens name unknown keys.
    static let minimumFetchInterval: Duration = .seconds(1)

    private let collection = JWTKeyCollection()
    private var knownKids: Set<String> = []
    private let signingKid: String?
    /// What `/.well-known/jwks.json` serves (the gateway); empty in a service.
    public nonisolated let publishedKeys: SigningKeySet
    private let jwksURL: URL?
    private let logger: Logger
    private var lastFetch: ContinuousClock.Instant?
    private var fetchInFlight: Task<Void, Never>?
    /// Access tokens verified lately, by their text. A client sends one token with every request
    /// for its lifetime, and checking its Ed25519 signature and decoding its claims each time was
    /// a measurable share of a busy service's CPU (`./crm bench` (h)). A token is only ever here
    /// after a full verification, and is taken from here until it expires or for at most
    /// `verifiedLifetime`, whichever comes first — so a key withdrawn from the JWKS stops
    /// opening doors within that time. At most `verifiedLimit` entries: a full cache starts again.
    private var verified: [String: (claims: AccessClaims, until: Date)] = [:]
    static let verifiedLifetime: TimeInterval = 60
    static let verifiedLimit = 10_000

    /// - Parameters:
    ///   - keys: the gateway's set (private keys sign and verify, public ones verify), or a
    ///     service's configured public keys; nil for none.
    ///   - jwksURL: where to fetch public keys from (the gateway's `/.well-known/jwks.json`).
    public init(keys: SigningKeySet?, jwksURL: URL?, logger: Logger) async throws {
        self.jwksURL = jwksURL
        self.logger = logger
        signingKid = keys?.signingKey?.kid
        publishedKeys = keys.map(\.publicSet) ?? SigningKeySet(keys: [])
        for key in keys?.keys ?? [] { try await add(key) }
    }

    /// Adds a key; a private one can also sign.
    private func add(_ key: SigningKey) async throws {
        if let privateKey = try key.privateKey() {
            await collection.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
        } else {
            await collection.add(eddsa: EdDSA.PublicKey(backing: try key.publicKey()), kid: JWKIdentifier(string: key.kid))
        }
        knownKids.insert(key.kid)
    }

    /// Whether this instance can sign (only the gateway's can).
    public var canSign: Bool { signingKid != nil }

    /// Signs `claims` with the current signing key, naming it in `kid`.
    /// - Throws: `KeySetError` when this process holds no private key (every service).
    public func sign(_ claims: AccessClaims) async throws -> String {
        guard let signingKid else { throw KeySetError("this process holds no signing key; only the gateway signs tokens") }
        var header = JWTHeader()
        header.typ = "JWT"
        return try await collection.sign(claims, kid: JWKIdentifier(string: signingKid), header: header)
    }

    /// The token's claims if it is one of ours, valid now and meant for `use`; nil otherwise.
    /// Why a token is refused is not the caller's business (the log says, at debug level).
    public func verify(_ token: String, for use: AccessClaims.Use) async -> AccessClaims? {
        let now = Date()
        if use == .access, let hit = verified[token] {
            if hit.until > now { return hit.claims }
            verified[token] = nil
        }
        guard let claims = await verifyFully(token, for: use) else { return nil }
        if use == .access {
            if verified.count >= Self.verifiedLimit { verified.removeAll(keepingCapacity: true) }
            verified[token] = (claims, min(claims.exp.value, now.addingTimeInterval(Self.verifiedLifetime)))
        }
        return claims
    }

    /// `verify` without the cache: the header, the key, the signature, expiry, issuer and audience.
    private func verifyFully(_ token: String, for use: AccessClaims.Use) async -> AccessClaims? {
        guard let header = TokenHeader(token: token), header.alg == "EdDSA", let kid = header.kid, !kid.isEmpty else {
            logger.debug("token refused: not an EdDSA token with a kid")
            return nil
        }
        if !knownKids.contains(kid) {
            await fetchPublicKeys()
            guard knownKids.contains(kid) else {
                logger.debug("token refused: unknown key", metadata: ["kid": "\(kid)"])
                return nil
            }
        }
        do {
            let claims = try await collection.verify(token, as: AccessClaims.self)
            guard claims.use == use, claims.iss?.value == Self.issuer, let audience = claims.aud,
                  audience.value == [Self.audience(for: use)]
            else {
                logger.debug("token refused: wrong use, issuer or audience")
                return nil
            }
            return claims
        } catch {
            logger.debug("token refused", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// Fetches the gateway's JWKS document and learns its keys. Several callers at once share
    /// one fetch, and fetches are at least `minimumFetchInterval` apart: a caller that comes
    /// sooner waits for the next one rather than being refused, so a key rotated in just after
    /// a fetch is still learned, and tokens naming made-up keys cost the gateway one request a
    /// second at most.
    public func fetchPublicKeys() async {
        guard let jwksURL else { return }
        if let fetchInFlight { return await fetchInFlight.value }
        let wait = lastFetch.map { Self.minimumFetchInterval - (ContinuousClock.now - $0) } ?? .zero
        let task = Task {
            if wait > .zero { try? await Task.sleep(for: wait) }
            await self.fetch(jwksURL)
        }
        fetchInFlight = task
        await task.value
        fetchInFlight = nil
        lastFetch = .now
    }

    private func fetch(_ url: URL) async {
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            guard response.status == .ok else {
                logger.warning("fetching the gateway's public keys failed", metadata: ["url": "\(url)", "status": "\(response.status.code)"])
                return
            }
            let body = try await response.body.collect(upTo: 1 << 20)
            let set = try SigningKeySet(json: String(buffer: body))
            for key in set.keys where !knownKids.contains(key.kid) {
                try await add(key.publicOnly)
                logger.info("learned a public key", metadata: ["kid": "\(key.kid)"])
            }
        } catch {
            logger.warning("fetching the gateway's public keys failed", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }
}

/// The fields of a JWT's header that decide which key may verify it.
struct TokenHeader: Decodable {
    var alg: String?
    var kid: String?

    /// The header of a compact JWS (`header.payload.signature`); nil when it is not one.
    init?(token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(String(parts[0])),
              let header = try? JSONDecoder().decode(TokenHeader.self, from: data)
        else { return nil }
        self = header
    }
}
