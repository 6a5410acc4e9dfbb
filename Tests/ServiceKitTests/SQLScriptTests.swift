@testable import ServiceKit
import XCTest

final class SQLScriptTests: XCTestCase {
    func testSplitsOnSemicolonsOutsideQuotesCommentsAndDollarQuotes() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (note text DEFAULT 'x;y');
            /* block; comment */ CREATE TABLE "b;c" (id int);
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            SELECT $$;$$;
            -- only a comment at the end
            """
        let statements = SQLScript.statements(in: script)
        XCTAssertEqual(statements.count, 4, "\(statements)")
        XCTAssertTrue(statements[0].hasSuffix("CREATE TABLE a (note text DEFAULT 'x;y')"))
        XCTAssertTrue(statements[1].contains(#"CREATE TABLE "b;c" (id int)"#))
        XCTAssertTrue(statements[2].contains("RETURN 1; END; $body$ LANGUAGE plpgsql"))
        XCTAssertEqual(statements[3], "SELECT $$;$$")
    }

    func testAPositionalParameterIsNotADollarQuote() {
        XCTAssertEqual(SQLScript.statements(in: "SELECT $1; SELECT 2"), ["SELECT $1", "SELECT 2"])
    }
}
