import Foundation
import ServiceKit
import XCTest

/// `QRCodeImage` makes codes a phone reads: zbarimg (Debian's zbar-tools, a decoder of its own,
/// not libqrencode) reads each PNG and SVG back to the text it was made of.
final class QRCodeImageTests: XCTestCase {
    private func decoded(_ file: Data, suffix: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).\(suffix)")
        try file.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "zbarimg found no code in the \(suffix)")
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    func testThePNGDecodesToItsTextWithChineseAndAQueryString() throws {
        let text = "https://h5.example-4s.cn/events/5f1c?channel=C7K2P9&from=海报"
        let code = try QRCodeImage(text)
        let png = try code.png()
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG signature")
        XCTAssertEqual(try decoded(png, suffix: "png"), text)
        // The quiet zone of four modules on each side, at 8 pixels a module.
        XCTAssertEqual(code.side(moduleSize: 8), (code.modulesPerSide + 8) * 8)
    }

    func testTheSVGDecodesToo() throws {
        let text = "https://h5.example-4s.cn/?channel=P0STER1"
        let svg = try QRCodeImage(text).svg()
        XCTAssertTrue(String(decoding: svg, as: UTF8.self).contains("<svg"))
        XCTAssertEqual(try decoded(svg, suffix: "svg"), text)
    }

    func testATextLongerThanTheLargestSymbolIsRefused() {
        XCTAssertThrowsError(try QRCodeImage(String(repeating: "x", count: 3000))) { error in
            guard case QRCodeError.tooLong(let bytes) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(bytes, 3000)
        }
    }
}
