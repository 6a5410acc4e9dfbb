import Crypto
import Foundation

/// The signature of Alibaba Cloud's RPC-style APIs (签名机制 v1, `SignatureVersion=1.0`,
/// `SignatureMethod=HMAC-SHA1`), as Short Message Service's `SendSms` (API version 2017-05-25,
/// endpoint `dysmsapi.aliyuncs.com`) documents it:
///
/// 1. every parameter but `Signature`, sorted by name (byte order), each name and value
///    percent-encoded as RFC 3986 (`A–Z a–z 0–9 - _ . ~` kept, UTF-8 bytes as `%XY`, so a space is
///    `%20`, `*` is `%2A`), joined `name=value` with `&` — the canonicalised query string;
/// 2. the string to sign: `<HTTP method>&%2F&<percentEncode(canonicalised query string)>`;
/// 3. the signature: Base64 of HMAC-SHA1 of it, keyed with the AccessKey secret followed by `&`.
///
/// The documented example (AccessKey `testId` / `testSecret`, SendSms to 15300000001 at
/// 2017-07-12T02:42:19Z) signs to `zJDF+Lrzhj/ThnlvIToysFRq6t4=` (`AliyunRPCSignatureTests`).
/// Used by Marketing's SMS platform (M5) to call the provider, and by its provider emulator's
/// Swift-side checks.
public enum AliyunRPCSignature {
    /// RFC 3986 percent-encoding as Alibaba Cloud specifies it.
    public static func percentEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                encoded.append(String(format: "%%%02X", byte))
            }
        }
        return encoded
    }

    /// The canonicalised query string of `parameters` (step 1); `Signature` is left out.
    public static func canonicalQuery(_ parameters: [String: String]) -> String {
        parameters.filter { $0.key != "Signature" }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\(percentEncode($0.key))=\(percentEncode($0.value))" }
            .joined(separator: "&")
    }

    /// The string to sign (step 2) for a request by `method` (`GET` or `POST`).
    public static func stringToSign(method: String, parameters: [String: String]) -> String {
        "\(method.uppercased())&\(percentEncode("/"))&\(percentEncode(canonicalQuery(parameters)))"
    }

    /// The `Signature` parameter's value (step 3).
    public static func signature(method: String, parameters: [String: String], accessKeySecret: String) -> String {
        let key = SymmetricKey(data: Data((accessKeySecret + "&").utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign(method: method, parameters: parameters).utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// `parameters` with their `Signature`, as a form body or query string
    /// (`application/x-www-form-urlencoded`, encoded as above).
    public static func signedQuery(method: String, parameters: [String: String], accessKeySecret: String) -> String {
        var signed = parameters
        signed["Signature"] = signature(method: method, parameters: parameters, accessKeySecret: accessKeySecret)
        return signed.sorted { $0.key < $1.key }.map { "\(percentEncode($0.key))=\(percentEncode($0.value))" }.joined(separator: "&")
    }

    /// The `Timestamp` parameter: UTC, `yyyy-MM-dd'T'HH:mm:ss'Z'`.
    public static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
