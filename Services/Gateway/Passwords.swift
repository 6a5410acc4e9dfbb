import HummingbirdBcrypt
import NIOPosix
import ServiceKit

/// bcrypt, off the cooperative thread pool: a hash takes tens of milliseconds of CPU, which
/// would stall every request sharing the thread.
struct Passwords: Sendable {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash no password matches, verified against when the user does not exist so that an
    /// unknown name takes as long to refuse as a wrong password.
    static let unknownUserHash = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.Ho0pKZ5nQ6uPmz1J7sQ3vLdbY1Gm"

    /// The rules for a new password: bcrypt reads at most 72 bytes.
    static func check(_ password: String, field: String, into check: inout FieldValidator) {
        check.require(password.count >= 8, field, "must be at least 8 characters")
        check.require(password.utf8.count <= 72, field, "must be at most 72 bytes")
    }
}
