import Foundation

/// What comes before an XML document's root element (its prolog), read without an XML parser,
/// so that a document type declaration is refused before any parser sees it (issue 12, L3).
///
/// A DTD can only stand in the prolog (`<!DOCTYPE adf [ … ]>`), and every entity declaration
/// (`<!ENTITY …>`, the billion-laughs and external-entity attacks) only inside a DTD; ADF needs
/// neither — the five predefined entities (`&amp;`, `&lt;` …) and character references need no
/// declaration. So a prolog of whitespace, the XML declaration, processing instructions such
/// as `<?adf version="1.0"?>` and comments, then the root element, is `plain`; any other `<!`
/// markup there is `declarations`. The prolog is read as UTF-8 or any ASCII-compatible
/// encoding (GB18030, GBK), or as UTF-16 (with a byte-order mark or starting `<`); a document
/// that starts otherwise (UTF-32, EBCDIC, text before the root) is `notXML`.
enum XMLProlog {
    enum Finding: Equatable {
        case plain
        case declarations
        case notXML
    }

    static func inspect(_ data: Data) -> Finding {
        let bytes = [UInt8](data)
        guard let units = CodeUnits(bytes) else { return .notXML }
        var index = units.start
        while index < units.count {
            let unit = units[index]
            if unit == 0x20 || unit == 0x09 || unit == 0x0A || unit == 0x0D {
                index += 1
                continue
            }
            guard unit == ascii("<") else { return .notXML }
            if units.matches("<?", at: index) {
                guard let end = units.find("?>", from: index + 2) else { return .plain }  // the parser says what is wrong
                index = end + 2
            } else if units.matches("<!--", at: index) {
                guard let end = units.find("-->", from: index + 4) else { return .plain }
                index = end + 3
            } else if units.matches("<!", at: index) {
                return .declarations
            } else {
                return .plain  // the root element
            }
        }
        return .plain
    }

    private static func ascii(_ character: Character) -> UInt16 { UInt16(character.asciiValue!) }

    /// The document's bytes as code units: one byte each, or two for UTF-16.
    private struct CodeUnits {
        let bytes: [UInt8]
        let width: Int
        let bigEndian: Bool
        /// The first unit after the byte-order mark.
        let start: Int

        init?(_ bytes: [UInt8]) {
            self.bytes = bytes
            func starts(_ prefix: [UInt8]) -> Bool { bytes.starts(with: prefix) }
            if starts([0x00, 0x00, 0xFE, 0xFF]) || starts([0xFF, 0xFE, 0x00, 0x00]) || starts([0x00, 0x00, 0x00, 0x3C])
                || starts([0x3C, 0x00, 0x00, 0x00])
            {
                return nil  // UTF-32
            }
            if starts([0xEF, 0xBB, 0xBF]) {
                (width, bigEndian, start) = (1, false, 3)
            } else if starts([0xFE, 0xFF]) {
                (width, bigEndian, start) = (2, true, 1)
            } else if starts([0xFF, 0xFE]) {
                (width, bigEndian, start) = (2, false, 1)
            } else if starts([0x00, 0x3C]) {
                (width, bigEndian, start) = (2, true, 0)
            } else if starts([0x3C, 0x00]) {
                (width, bigEndian, start) = (2, false, 0)
            } else {
                (width, bigEndian, start) = (1, false, 0)
            }
        }

        /// In units, from the first byte (a byte-order mark included).
        var count: Int { bytes.count / width }

        subscript(index: Int) -> UInt16 {
            guard width == 2 else { return UInt16(bytes[index]) }
            let (first, second) = (UInt16(bytes[2 * index]), UInt16(bytes[2 * index + 1]))
            return bigEndian ? first << 8 | second : second << 8 | first
        }

        func matches(_ text: String, at index: Int) -> Bool {
            let pattern = Array(text.utf8)
            guard index + pattern.count <= count else { return false }
            return pattern.indices.allSatisfy { self[index + $0] == UInt16(pattern[$0]) }
        }

        func find(_ text: String, from index: Int) -> Int? {
            var position = index
            while position < count {
                if matches(text, at: position) { return position }
                position += 1
            }
            return nil
        }
    }
}
