import Foundation
import ServiceKit
import XCTest

final class MoneyTests: XCTestCase {
    func testPrintedAmountsHaveTwoDecimalsAndThousandsSeparated() {
        let cases: [(String, String)] = [
            ("0", "0.00"), ("5", "5.00"), ("999", "999.00"), ("1000", "1,000.00"), ("313278.76", "313,278.76"),
            ("300000", "300,000.00"), ("1234567.8", "1,234,567.80"), ("-1500.5", "-1,500.50"), ("0.005", "0.01"),
        ]
        for (amount, printed) in cases {
            XCTAssertEqual(Money.printed(Decimal(string: amount)!), printed, amount)
        }
    }
}
