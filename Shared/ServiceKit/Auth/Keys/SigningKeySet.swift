import Crypto
import ExtrasBase64
import Foundation

/// One Ed25519 key as a JSON Web Key (RFC 8037: `kty` `OKP`, `crv` `Ed25519`): the public part
/// `x` always, the private part `d` only in the gateway's own set.
///
/// The installation's keys are written in this form by `crm-gateway keys generate` and read from
/// `CRM_JWT_SIGNING_KEYS` (gateway), `CRM_JWT_PUBLIC_KEYS` and the gateway's
/// `/.well-known/jwks.json` (services).
public struct SigningKey: Codable, Sendable, Equatable {
    public var kty = "OKP"
    public var crv = "Ed25519"
    /// The key id tokens name in their `kid` header.
    public var kid: String
    public var use: String? = "sig"
    public var alg: String? = "EdDSA"
    /// The public key, 32 bytes, base64url without padding.
    public var x: String
    /// The private key (its 32-byte seed), base64url without padding; nil in a public set.
    public var d: String?

    /// A new random key pair named `kid`.
    public static func generate(kid: String) -> SigningKey {
        let key = Curve25519.Signing.PrivateKey()
        return SigningKey(kid: kid, x: Base64URL.encode(key.publicKey.rawRepresentation), d: Base64URL.encode(key.rawRepresentation))
    }

    /// The same key without its private part: what may be published.
    public var publicOnly: SigningKey {
        var key = self
        key.d = nil
        return key
    }

    /// The private key, if this is a private JWK; checked against `x`.
    /// - Throws: `KeySetError` when `d` is not a 32-byte Ed25519 seed or does not belong to `x`.
    public func privateKey() throws -> Curve25519.Signing.PrivateKey? {
        guard let d else { return nil }
        guard let seed = Base64URL.decode(d), seed.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { throw KeySetError("key \(kid): `d` is not a base64url Ed25519 private key") }
        guard key.publicKey.rawRepresentation == (try publicKey()).rawRepresentation else {
            throw KeySetError("key \(kid): `d` does not belong to `x`")
        }
        return key
    }

    /// The public key.
    /// - Throws: `KeySetError` when `x` is not a 32-byte Ed25519 public key.
    public func publicKey() throws -> Curve25519.Signing.PublicKey {
        guard let bytes = Base64URL.decode(x), bytes.count == 32,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        else { throw KeySetError("key \(kid): `x` is not a base64url Ed25519 public key") }
        return key
    }
}

/// A JSON Web Key Set of Ed25519 keys (`{"keys": [...]}`, RFC 7517 §5).
///
/// In the gateway's set (`CRM_JWT_SIGNING_KEYS`) the first key with a private part signs; the
/// others only verify, so that tokens signed before a rotation stay valid until they expire.
public struct SigningKeySet: Codable, Sendable, Equatable {
    public var keys: [SigningKey]

    public init(keys: [SigningKey]) {
        self.keys = keys
    }

    /// Reads and checks a set: every key an Ed25519 OKP key with a unique, non-empty `kid`.
    /// - Throws: `KeySetError` naming what is wrong.
    public init(json: String) throws {
        let set: SigningKeySet
        do {
            set = try JSONDecoder().decode(SigningKeySet.self, from: Data(json.utf8))
        } catch {
            throw KeySetError("not a JSON Web Key Set ({\"keys\": [...]})")
        }
        var seen = Set<String>()
        for key in set.keys {
            guard key.kty == "OKP", key.crv == "Ed25519" else { throw KeySetError("key \(key.kid): only Ed25519 keys (kty OKP, crv Ed25519) are used") }
            guard !key.kid.isEmpty, seen.insert(key.kid).inserted else { throw KeySetError("every key needs its own non-empty kid (\(key.kid))") }
            _ = try key.publicKey()
            _ = try key.privateKey()
        }
        guard !set.keys.isEmpty else { throw KeySetError("the set holds no key") }
        self = set
    }

    /// The key that signs: the first with a private part.
    public var signingKey: SigningKey? { keys.first { $0.d != nil } }

    /// Every key without its private part: the document at `/.well-known/jwks.json`.
    public var publicSet: SigningKeySet { SigningKeySet(keys: keys.map(\.publicOnly)) }

    /// The set after a rotation: a new signing key first, the current keys kept public-only.
    public func rotated(newKid: String) -> SigningKeySet {
        SigningKeySet(keys: [.generate(kid: newKid)] + keys.map(\.publicOnly))
    }

    /// The set as compact JSON, keys in a stable order.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// A key id for a new key: the UTC date and a random suffix (`2026-11-30-a1b2c3`).
    public static func newKid(now: Date = Date()) -> String {
        let day = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withFullDate])
        let suffix = (0..<6).map { _ in String("0123456789abcdef".randomElement()!) }.joined()
        return "\(day)-\(suffix)"
    }
}

/// A key set that cannot be used, with the reason.
public struct KeySetError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Base64url without padding (RFC 4648 §5), as JOSE writes binary values; swift-extras-base64
/// does the coding.
enum Base64URL {
    static func encode(_ data: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: data, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    static func decode(_ text: String) -> Data? {
        (try? Base64.decode(string: text, options: [.base64UrlAlphabet, .omitPaddingCharacter])).map { Data($0) }
    }
}
