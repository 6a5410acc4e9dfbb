import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Which encodings an import reads (issue 12, item 1), on the real-world file and the same rows
/// saved the other ways spreadsheet programs save them.
final class ImportedTextTests: XCTestCase {
    /// The rows of `leads-gb18030.csv` as text.
    static let rows = "客户姓名,手机号码,数据来源,省份,城市,备注\r\n张三,13800138010,汽车之家,湖北省,武汉市,周末到店\r\n李四,13800138011,懂车帝,湖北省,武汉市,\r\n"

    func testTheChineseExcelFileIsReadAsGB18030() throws {
        let data = try RealWorldFiles.data("leads-gb18030.csv")
        let decoded = try ImportedText.decode(data)
        XCTAssertEqual(decoded.encoding, .gb18030)
        XCTAssertEqual(decoded.text, Self.rows)
        let rows = try SpreadsheetReader.rows(of: data)
        XCTAssertEqual(rows[1], ["张三", "13800138010", "汽车之家", "湖北省", "武汉市", "周末到店"])
    }

    func testUTF8WithAndWithoutBOMAndUTF16WithBOMReadTheSameRows() throws {
        let expected = try SpreadsheetReader.rows(of: RealWorldFiles.data("leads-gb18030.csv"))
        let utf8 = Data(Self.rows.utf8)
        XCTAssertEqual(try SpreadsheetReader.rows(of: utf8), expected)
        XCTAssertEqual(try SpreadsheetReader.rows(of: Data([0xEF, 0xBB, 0xBF]) + utf8), expected)
        // Excel's "Unicode 文本": UTF-16 little-endian with a BOM, tab-separated.
        let tabbed = Self.rows.replacingOccurrences(of: ",", with: "\t")
        XCTAssertEqual(try SpreadsheetReader.rows(of: Self.utf16(tabbed, bigEndian: false)), expected)
        XCTAssertEqual(try SpreadsheetReader.rows(of: Self.utf16(tabbed, bigEndian: true)), expected)
    }

    func testExtensionBCharactersSurviveEveryEncoding() throws {
        let name = "𠮷喆燊堃"
        let gb18030 = try XCTUnwrap(Self.iconv("客户姓名,手机号码\r\n\(name),13800138010\r\n", to: "GB18030"))
        XCTAssertEqual(try SpreadsheetReader.rows(of: gb18030)[1][0], name)
        XCTAssertEqual(try SpreadsheetReader.rows(of: Self.utf16("客户姓名\t手机号码\n\(name)\t13800138010\n", bigEndian: false))[1][0], name)
    }

    func testALatin1FileIsRefusedNotStoredAsMojibake() {
        // "Müller" and "Grüße" in ISO-8859-1: ü + l, ü + ß and e are valid GBK pairs byte for byte,
        // so iconv alone would store them as rare ideographs.
        let latin1 = Data("name,mobile\nMüller,13800138010\nGrüße,13800138011\n".unicodeScalars.map { UInt8($0.value) })
        XCTAssertNotNil(ImportedText.convert(latin1, from: .gb18030), "the bytes pass as GB18030")
        XCTAssertThrowsError(try SpreadsheetReader.rows(of: latin1)) { error in
            let message = (error as? SpreadsheetReader.ReadError)?.description ?? ""
            XCTAssertTrue(message.contains("GB18030") && message.contains("UTF-16"), message)
        }
    }

    func testBinaryBytesAreNotText() {
        XCTAssertThrowsError(try SpreadsheetReader.rows(of: Data([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x00, 0x01, 0x00])))
        // UTF-16 without a BOM is not guessed.
        XCTAssertThrowsError(try SpreadsheetReader.rows(of: Data("name\tmobile\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })))
    }

    static func utf16(_ text: String, bigEndian: Bool) -> Data {
        let units = Array(text.utf16)
        let bom: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
        return Data(bom + units.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
    }

    /// The text in another encoding, by the `iconv` program (an outside encoder, not ours).
    static func iconv(_ text: String, to encoding: String) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        process.arguments = ["-f", "UTF-8", "-t", encoding]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }
}
