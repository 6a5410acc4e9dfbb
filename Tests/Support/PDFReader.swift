import Foundation

/// A PDF read the way a reader sees it, with poppler's tools (Debian's poppler-utils, which
/// `./crm test` installs): its fonts (`pdffonts`), its text (`pdftotext`), its page count and
/// title (`pdfinfo`) and its pages as images (`pdftoppm`). A tool that is missing or fails throws,
/// so a test that reads a PDF fails rather than passes unchecked.
public struct PDFReader {
    public let pdf: Data

    public init(_ pdf: Data) {
        self.pdf = pdf
    }

    /// One row of `pdffonts`.
    public struct Font: Equatable, CustomStringConvertible {
        /// As the PDF names it: `ABCDEF+NotoSerifCJKsc-Regular` for a subset.
        public let name: String
        /// `CID Type 0C`, `CID TrueType`, `Type 3`, …
        public let type: String
        public let embedded: Bool
        public let subset: Bool
        /// Whether it maps its glyphs back to Unicode (a ToUnicode CMap): the text can be copied.
        public let unicode: Bool

        public var description: String {
            "\(name) (\(type), emb \(embedded ? "yes" : "no"), sub \(subset ? "yes" : "no"), uni \(unicode ? "yes" : "no"))"
        }
    }

    /// Every font the pages use, as `pdffonts` lists them.
    public func fonts() throws -> [Font] {
        let lines = try run("pdffonts", []).split(separator: "\n")
        guard let dashes = lines.firstIndex(where: { $0.hasPrefix("---") }) else {
            throw TestFailure("pdffonts printed no table: \(lines)")
        }
        // name, type (may hold spaces: "CID Type 0C"), encoding, emb, sub, uni, object number,
        // generation: read from both ends, as a long name pushes the columns to the right.
        return try lines[(dashes + 1)...].map { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 8 else { throw TestFailure("a pdffonts row of \(words.count) words: \(line)") }
            let flags = words[(words.count - 5)..<(words.count - 2)].map { $0 == "yes" }
            return Font(name: words[0], type: words[1..<(words.count - 6)].joined(separator: " "),
                        embedded: flags[0], subset: flags[1], unicode: flags[2])
        }
    }

    /// The text `pdftotext` reads, pages separated by form feeds; only page `page` (from 1) when
    /// given. By default in reading order, which drops the spaces of a short line ("第 1 / 2 页"
    /// reads "第1/2页"); `raw`, in the order it is drawn, every space kept.
    public func text(page: Int? = nil, raw: Bool = false) throws -> String {
        let range = page.map { ["-f", "\($0)", "-l", "\($0)"] } ?? []
        return try run("pdftotext", range + (raw ? ["-raw"] : []) + ["-enc", "UTF-8"], output: "-")
    }

    /// `pdfinfo`'s fields: `Title`, `Creator`, `Pages`, `Page size`, …
    public func info() throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try run("pdfinfo", []).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// One page drawn by `pdftoppm`.
    public struct Page {
        /// The page as a PNG file.
        public let png: Data
        public let width: Int
        public let height: Int
        /// Pixels darker than 250 of 255 in the page drawn in grey: 0 on a blank page.
        public let inkedPixels: Int
    }

    /// Every page drawn at `resolution` dots per inch, as `pdftoppm -png` draws them; the ink is
    /// counted on the same pages drawn in grey (`-gray`, a PGM file, which needs no decoder).
    public func pages(resolution: Int = 60) throws -> [Page] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try run("pdftoppm", ["-r", "\(resolution)", "-png"], output: folder.appendingPathComponent("page").path)
        _ = try run("pdftoppm", ["-r", "\(resolution)", "-gray"], output: folder.appendingPathComponent("gray").path)
        // pdftoppm numbers the files page-1.png … page-12.png, padding to the page count's digits.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        let pngs = files.filter { $0.hasPrefix("page-") && $0.hasSuffix(".png") }
        let grays = files.filter { $0.hasPrefix("gray-") && $0.hasSuffix(".pgm") }
        guard pngs.count == grays.count else { throw TestFailure("pdftoppm drew \(pngs.count) PNG and \(grays.count) grey pages") }
        return try zip(pngs, grays).map { png, gray in
            let image = try GrayImage(try Data(contentsOf: folder.appendingPathComponent(gray)))
            return Page(png: try Data(contentsOf: folder.appendingPathComponent(png)), width: image.width, height: image.height,
                        inkedPixels: image.pixels.reduce(0) { $0 + ($1 < 250 ? 1 : 0) })
        }
    }

    /// Runs a poppler tool on the PDF (written to a temporary file) and returns what it printed.
    /// `output` is the tool's second operand, where it has one (`-` for standard output).
    private func run(_ tool: String, _ options: [String], output: String? = nil) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("read-\(UUID().uuidString).pdf")
        try pdf.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = options + [file.path] + (output.map { [$0] } ?? [])
        let standardOutput = Pipe()
        let standardError = Pipe()
        process.standardOutput = standardOutput
        process.standardError = standardError
        do {
            try process.run()
        } catch {
            throw TestFailure("cannot run \(tool) (Debian package poppler-utils): \(error)")
        }
        // Read before waiting: a full pipe would stop the tool, and the wait would never end.
        let printed = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let errors = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(tool) failed with status \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}

/// A binary PGM file (P5) of 8-bit grey pixels, as `pdftoppm -gray` writes it.
private struct GrayImage {
    let width: Int
    let height: Int
    let pixels: Data

    init(_ file: Data) throws {
        // The header: "P5", width, height and the largest value, separated by single whitespace.
        var fields: [String] = []
        var index = file.startIndex
        var field = ""
        while fields.count < 4, index < file.endIndex {
            let byte = file[index]
            index += 1
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                if !field.isEmpty { fields.append(field); field = "" }
            } else {
                field.append(Character(Unicode.Scalar(byte)))
            }
        }
        guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255",
              file.endIndex - index == width * height else {
            throw TestFailure("not an 8-bit PGM file: \(fields)")
        }
        self.width = width
        self.height = height
        pixels = file[index...]
    }
}
