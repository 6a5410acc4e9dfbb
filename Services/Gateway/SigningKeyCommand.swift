import Foundation
import ServiceKit

/// `crm-gateway keys …`: makes and rotates the installation's token-signing keys, so that an
/// operator needs nothing but the gateway's image (issue 10, Deploy/README.md "Secrets").
///
/// - `keys generate [--kid ID]` prints a new set with one Ed25519 private key: the value of
///   `CRM_JWT_SIGNING_KEYS`.
/// - `keys rotate [--kid ID] < current.json` prints the set after a rotation: a new signing key
///   first, the current keys kept public-only, so tokens signed before keep verifying until
///   they expire.
/// - `keys public < keys.json` prints the public set (`CRM_JWT_PUBLIC_KEYS` for the services).
enum SigningKeyCommand {
    static let usage = "usage: crm-gateway keys generate [--kid ID] | keys rotate [--kid ID] < current.json | keys public < keys.json"

    /// Runs the command named by `arguments` (after `keys`); the process's exit status.
    static func run(_ arguments: [String]) -> Int32 {
        var kid = SigningKeySet.newKid()
        if let index = arguments.firstIndex(of: "--kid") {
            guard index + 1 < arguments.count, !arguments[index + 1].isEmpty else { return fail(usage) }
            kid = arguments[index + 1]
        }
        do {
            switch arguments.first {
            case "generate":
                print(SigningKeySet(keys: [.generate(kid: kid)]).json)
            case "rotate":
                let current = try SigningKeySet(json: readStandardInput())
                guard !current.keys.contains(where: { $0.kid == kid }) else { return fail("the set already has a key \(kid)") }
                print(current.rotated(newKid: kid).json)
            case "public":
                print(try SigningKeySet(json: readStandardInput()).publicSet.json)
            default:
                return fail(usage)
            }
            return 0
        } catch {
            return fail("\(error)")
        }
    }

    private static func readStandardInput() -> String {
        String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        return 64  // EX_USAGE
    }
}
