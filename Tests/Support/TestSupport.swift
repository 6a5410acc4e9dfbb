import Foundation
import ServiceKit
import XCTest

/// The real PostgreSQL and RabbitMQ that `./crm test` starts for a test run, for every test
/// target. Without them a test is skipped with a word on how to run it, never passed.
public enum TestEnvironment {
    /// The run's database, as its superuser.
    public static var postgresURL: PostgresURL {
        get throws { try PostgresURL(try variable("CRM_TEST_POSTGRES_URL")) }
    }

    public static var amqpURL: AMQPURL {
        get throws { try AMQPURL(try amqpURLText) }
    }

    /// The broker's URL as given, password included, for the processes a test starts.
    public static var amqpURLText: String {
        get throws { try variable("CRM_TEST_AMQP_URL") }
    }

    public static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            throw XCTSkip("\(name) is not set: run the tests with ./crm test")
        }
        return value
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// A test's own failure, with what it saw.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The token keys of a test run: made once per test process, the private set for the gateway
/// processes the tests start and the public set for the services — as `./crm up` makes the
/// installation's keys, and never a key written in the repository.
public enum TestTokenKeys {
    public static let signing = SigningKeySet(keys: [.generate(kid: "test-\(SigningKeySet.newKid())")])
    public static var publicKeys: SigningKeySet { signing.publicSet }
    public static var kid: String { signing.keys[0].kid }
}

/// The scripts that take the test run's servers away and bring them back
/// (`Deploy/local/rabbit-control.sh`, `postgres-control.sh`), as ops restart them.
public enum ServerControl {
    case broker
    case database

    private var variable: String {
        switch self {
        case .broker: return "CRM_TEST_RABBIT_CONTROL"
        case .database: return "CRM_TEST_POSTGRES_CONTROL"
        }
    }

    /// Runs `stop`, `start` or (database) `restart`, and waits for it. Not with Foundation's
    /// `Process`: the script leaves the server running in the background, and the server
    /// inherits the descriptor `Process` watches for the child's exit, so `waitUntilExit`
    /// would never return.
    public func run(_ action: String) throws {
        let script = try TestEnvironment.variable(variable)
        var pid: pid_t = 0
        let arguments = ["/bin/bash", script, action]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ) == 0 else { throw TestFailure("cannot run \(script)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw TestFailure("\(script) \(action) failed with status \(status)") }
    }
}

/// The real-world files in `Tests/Fixtures/cases` — made the way dealership staff, lead platforms
/// and spreadsheet programs make them, each with its right values in that folder's README.md.
public enum RealWorldFiles {
    /// The folder, found from this source file (tests run from the package's root or elsewhere).
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/cases")

    /// The bytes of one file, e.g. `leads-gb18030.csv`.
    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }
}

extension RealWorldFiles {
    /// `driver.json`: a test-drive driver (a PATCH body) whose name has a CJK Extension B
    /// character — `driverName` 𠮷喆燊堃, `driverAddress`, `idNumber`.
    public static func driver() throws -> [String: String] {
        guard let driver = try JSONSerialization.jsonObject(with: data("driver.json")) as? [String: String] else {
            throw TestFailure("driver.json is not an object of strings")
        }
        return driver
    }
}
