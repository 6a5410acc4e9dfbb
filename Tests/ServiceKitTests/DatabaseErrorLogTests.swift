import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// A database error in a log line says what the server said, never the values bound to the
/// statement (issue 12).
final class DatabaseErrorLogTests: XCTestCase {
    func testALoggedDatabaseErrorCarriesTheSQLStateAndMessageButNoBoundValue() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.shutdown() } }
        let mobile = "13800138000"
        var binds = PostgresBindings()
        binds.append(mobile)
        do {
            try await database.client.query(PostgresQuery(unsafeSQL: "SELECT * FROM no_such_table WHERE mobile = $1", binds: binds))
            XCTFail("the statement must fail")
        } catch {
            let text = DatabaseFailure.logText(error)
            XCTAssertTrue(text.contains("SQLSTATE 42P01"), text)
            XCTAssertTrue(text.contains(#"relation "no_such_table" does not exist"#), text)
            XCTAssertTrue(text.contains("SELECT * FROM no_such_table WHERE mobile = $1"), text)
            XCTAssertFalse(text.contains(mobile), "a bound value must not reach the log: \(text)")
            XCTAssertFalse(text.contains("Generic description"), text)
        }
        // Inside a transaction the failure is named by where it happened.
        do {
            try await database.database.withTransaction { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1/0"), logger: TestInfrastructure.logger)
            }
            XCTFail("the statement must fail")
        } catch {
            let text = DatabaseFailure.logText(error)
            XCTAssertTrue(text.contains("SQLSTATE 22012"), text)
            XCTAssertTrue(text.contains("division by zero"), text)
        }
    }
}
