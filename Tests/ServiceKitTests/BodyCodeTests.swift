import Foundation
@testable import ServiceKit
import XCTest

/// A service's own enumeration in a body names its values when one is wrong (issue 12, item 5).
final class BodyCodeTests: XCTestCase {
    struct Body: Decodable {
        var scope: DataScope
    }

    func testAnUnknownValueListsTheAllowedOnes() throws {
        XCTAssertEqual(try JSONDecoder().decode(Body.self, from: Data(#"{"scope": "team"}"#.utf8)).scope, .team)
        XCTAssertThrowsError(try JSONDecoder().decode(Body.self, from: Data(#"{"scope": "weird"}"#.utf8))) { error in
            guard case .dataCorrupted? = error as? DecodingError else { return XCTFail("\(error)") }
            let problem = ProblemMiddleware<CRMRequestContext>.problem(for: error as! DecodingError)
            XCTAssertEqual(problem.errors?.map(\.field), ["scope"])
            XCTAssertEqual(problem.errors?.first?.message, "must be one of: own, team, store, group")
        }
    }
}
