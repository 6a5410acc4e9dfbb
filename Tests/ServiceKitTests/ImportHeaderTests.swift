import Foundation
import ServiceKit
import XCTest

/// `ImportFile.rows(of:as:)` reads the header row: a file whose first row names none of the
/// template's columns is refused (the schemathesis run sent `-163` as a campaign's VIN list and
/// was told "0 rows, 0 rejected" — success, for a file that was not a list at all).
final class ImportHeaderTests: XCTestCase {
    /// A template of two optional columns, as the campaign list's VIN or plate.
    enum CarColumn: String, ImportColumn {
        case vin, plate
        static let required: [CarColumn] = []
        var header: String { self == .vin ? "车架号" : "车牌号" }
    }

    func testAFirstRowNamingNoColumnIsRefusedNamingTheTemplatesColumns() throws {
        XCTAssertThrowsError(try ImportFile.rows(of: Data("-163".utf8), as: CarColumn.self)) { error in
            let problem = error as? ProblemDetails
            XCTAssertEqual(problem?.statusCode, 422)
            XCTAssertEqual(problem?.errors?.first?.field, "file")
            XCTAssertTrue(problem?.errors?.first?.message.contains("车架号, 车牌号") ?? false, "\(String(describing: problem))")
        }
        // Data rows under a header of someone else's columns are refused too, not reported one by one.
        XCTAssertThrowsError(try ImportFile.rows(of: Data("姓名,电话\n张三,13800138000\n".utf8), as: CarColumn.self))
    }

    func testAHeaderNamingOneColumnReadsTheRowsUnderIt() throws {
        let rows = try ImportFile.rows(of: Data("备注,车牌号\n周末,鄂A81245\n\n,\n".utf8), as: CarColumn.self)
        XCTAssertEqual(rows.map(\.row), [2])
        XCTAssertEqual(rows.first?.cell(.plate), "鄂A81245")
        XCTAssertNil(rows.first?.cell(.vin))
    }
}
