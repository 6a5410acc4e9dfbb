import Foundation
import ServiceKit
import XCTest

final class TrimmedTextTests: XCTestCase {
    /// `trimmed` replaces Foundation's trimming on every field; it must trim exactly the same.
    func testTrimsWhatFoundationTrims() {
        let samples = [
            "", " ", "\t\n\r ", "陈云", "  陈云  ", "\u{3000}陈云\u{3000}", "\u{00A0}13800138000\u{00A0}", "a b", " a\tb\n",
            "\u{2028}x\u{2029}", "\u{0085}y\u{0085}", "👍🏽 ", " 鄂A12345", "\u{200B}zero-width\u{200B}", "e\u{0301} ", "\r\n", "\u{FEFF}bom", "\u{2000}\u{200A}\u{202F}\u{205F}en",
        ]
        for sample in samples {
            XCTAssertEqual(sample.trimmed, sample.trimmingCharacters(in: .whitespacesAndNewlines), "\(sample.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
