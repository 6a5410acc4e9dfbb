import Crypto
import Foundation

/// The CRM's id of a store, derived from the dealer's store code (e.g. `HX000001`).
///
/// Every service meets stores first by code — in ERP events, in imports — and must agree on
/// one id without asking another service. A name-based UUID (RFC 9562 version 5, SHA-1, in a
/// namespace of Dealer CRM's own) gives every service the same id for the same code.
public enum StoreID {
    /// Dealer CRM's namespace for store codes.
    static let namespace = UUID(uuidString: "6f1d0c1e-4a7b-5c3e-9d2a-8b7e4f6a1c30")!

    public static func forStoreCode(_ code: String) -> UUID {
        var bytes = withUnsafeBytes(of: namespace.uuid) { Array($0) }
        bytes.append(contentsOf: Array(code.uppercased().utf8))
        var hash = Array(Insecure.SHA1.hash(data: bytes).prefix(16))
        hash[6] = (hash[6] & 0x0F) | 0x50  // version 5
        hash[8] = (hash[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
                           hash[8], hash[9], hash[10], hash[11], hash[12], hash[13], hash[14], hash[15]))
    }
}
