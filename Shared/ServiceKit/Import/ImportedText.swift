import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The text of an uploaded CSV or tab-separated file, in whichever encoding the spreadsheet
/// program that saved it used (issue 12, item 1):
///
/// - UTF-8, with or without a byte-order mark ("CSV UTF-8" from Excel, LibreOffice, Numbers);
/// - UTF-16 with a byte-order mark ("Unicode 文本" from Excel: tab-separated);
/// - GB18030, the superset of GBK and GB2312 ("CSV (逗号分隔)" from Excel or WPS on a Chinese
///   Windows, which writes the code page 936 bytes without a mark).
///
/// Decoding is glibc's iconv, strict: a byte sequence that is not valid in the encoding makes the
/// encoding not the file's, so no replacement character (U+FFFD) and no mojibake is ever stored.
public enum ImportedText {
    /// An encoding a file is read in.
    public enum Encoding: String, Sendable {
        case utf8 = "UTF-8"
        case utf16LittleEndian = "UTF-16LE"
        case utf16BigEndian = "UTF-16BE"
        case gb18030 = "GB18030"
    }

    /// What the import answers for a file in none of the encodings above (422 naming `file`).
    public static let encodingsRead =
        "UTF-8 (with or without BOM), GB18030/GBK (\"CSV (逗号分隔)\" from Excel or WPS) or UTF-16 with a BOM (\"Unicode 文本\")"

    /// The file's text and the encoding it was read in; a byte-order mark is not part of the text.
    ///
    /// - Throws: `SpreadsheetReader.ReadError` when the bytes are in none of the encodings read,
    ///   or hold NUL or other control characters no spreadsheet writes into a text file.
    public static func decode(_ data: Data) throws -> (text: String, encoding: Encoding) {
        let decoded: (text: String, encoding: Encoding)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            guard let text = convert(data.dropFirst(3), from: .utf8) else { throw notText }
            decoded = (text, .utf8)
        } else if data.starts(with: [0xFF, 0xFE]) {
            guard let text = convert(data.dropFirst(2), from: .utf16LittleEndian) else { throw notText }
            decoded = (text, .utf16LittleEndian)
        } else if data.starts(with: [0xFE, 0xFF]) {
            guard let text = convert(data.dropFirst(2), from: .utf16BigEndian) else { throw notText }
            decoded = (text, .utf16BigEndian)
        } else if let text = convert(data, from: .utf8) {
            decoded = (text, .utf8)
        } else if looksLikeChinese(data), let text = convert(data, from: .gb18030) {
            decoded = (text, .gb18030)
        } else {
            throw notText
        }
        guard decoded.text.unicodeScalars.allSatisfy(isTextScalar) else {
            throw SpreadsheetReader.ReadError("not a text file: it holds control characters (NUL …); is it really a CSV file?")
        }
        return decoded
    }

    private static var notText: SpreadsheetReader.ReadError {
        SpreadsheetReader.ReadError("in an encoding the import does not read; save it as \(encodingsRead)")
    }

    /// Tab, line breaks and every printable character; no other C0 control, no DEL, and no
    /// private-use character (what the user-defined areas of GBK decode to, never a real name).
    private static func isTextScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return true
        case 0x00...0x1F, 0x7F: return false
        case 0xE000...0xF8FF: return false
        default: return true
        }
    }

    /// Whether bytes that are not UTF-8 read as Chinese rather than as a Western code page.
    ///
    /// Latin-1 or Windows-1252 text ("Müller", "José") is often valid GB18030 byte for byte — an
    /// accented letter and the ASCII letter after it make a two-byte GBK character — and would be
    /// stored as rare ideographs. Chinese text is mostly the 6,763 characters of GB2312, whose two
    /// bytes are both 0xA1 or above; a Western text's pairs almost never are. So the file is read as
    /// GB18030 only when GB2312 pairs are at least as many as its other multi-byte characters.
    static func looksLikeChinese(_ data: Data) -> Bool {
        var gb2312 = 0
        var other = 0
        var index = data.startIndex
        while index < data.endIndex {
            let lead = data[index]
            guard lead >= 0x81, lead != 0xFF else {
                index += 1
                continue
            }
            let next = index + 1 < data.endIndex ? data[index + 1] : 0
            if (0x30...0x39).contains(next) {
                other += 1  // a four-byte GB18030 sequence (Extension B, rare symbols)
                index += 4
            } else {
                if (0xA1...0xF7).contains(lead) && (0xA1...0xFE).contains(next) { gb2312 += 1 } else { other += 1 }
                index += 2
            }
        }
        return gb2312 > 0 && gb2312 >= other
    }

    /// The bytes converted by iconv into a String, or nil if any sequence is invalid or cut short.
    static func convert(_ bytes: Data, from encoding: Encoding) -> String? {
        if bytes.isEmpty { return "" }
        if encoding == .utf8 {
            // The standard library validates UTF-8 itself (SE-0405): nil on any invalid sequence.
            return String(validating: bytes, as: UTF8.self)
        }
        let converter = iconv_open("UTF-8", encoding.rawValue)
        guard let converter, converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = Array(bytes)
        // UTF-8 is at most 4 bytes per character; GB18030 and UTF-16 take at least 1 and 2.
        var output = [UInt8](repeating: 0, count: input.count * 4 + 4)
        let written: Int? = input.withUnsafeMutableBytes { inputBytes in
            output.withUnsafeMutableBytes { outputBytes in
                var inputPointer: UnsafeMutablePointer<CChar>? = inputBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
                var inputLeft = inputBytes.count
                var outputPointer: UnsafeMutablePointer<CChar>? = outputBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outputLeft = outputBytes.count
                // -1 with EILSEQ (invalid) or EINVAL (cut short): not this encoding.
                guard iconv(converter, &inputPointer, &inputLeft, &outputPointer, &outputLeft) != -1, inputLeft == 0 else { return nil }
                return outputBytes.count - outputLeft
            }
        }
        guard let written else { return nil }
        return String(decoding: output[0..<written], as: UTF8.self)
    }
}
