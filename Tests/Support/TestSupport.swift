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

    static func variable(_ name: String) throws -> String {
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
