import Foundation

/// Splits a SQL script into single statements.
///
/// postgres-nio speaks only the extended query protocol, which runs one statement per query,
/// while a migration file holds many. The splitter knows enough of PostgreSQL's lexical rules
/// not to split inside quoted text, quoted identifiers, dollar-quoted bodies or comments.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty && !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }
        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        func copy(until terminator: [Unicode.Scalar]) {
            while index < characters.count {
                if Array(characters[index..<min(characters.count, index + terminator.count)]) == terminator {
                    current.append(contentsOf: terminator)
                    index += terminator.count
                    return
                }
                current.append(characters[index])
                index += 1
            }
        }

        while index < characters.count {
            let character = characters[index]
            switch character {
            case "'", "\"":
                current.append(character)
                index += 1
                copy(until: [character])
            case "-" where peek(1) == "-":
                copy(until: ["\n"])
            case "/" where peek(1) == "*":
                current.append(contentsOf: ["/", "*"])
                index += 2
                copy(until: ["*", "/"])
            case "$":
                // A dollar quote: $$ or $tag$ … the same tag.
                var end = index + 1
                while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic || ("0"..."9").contains(characters[end]) {
                    end += 1
                }
                if end < characters.count, characters[end] == "$" {
                    let tag = Array(characters[index...end])
                    current.append(contentsOf: tag)
                    index = end + 1
                    copy(until: tag)
                } else {
                    current.append(character)
                    index += 1
                }
            case ";":
                index += 1
                flush()
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }
}
