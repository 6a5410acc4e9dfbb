/// The A4 page in points (72 to the inch), measured from its top-left corner as cairo draws,
/// and the part of it that blocks are placed on.
enum A4 {
    /// 210 × 297 mm.
    static let width = 595.276
    static let height = 841.89
    static let margin = 50.0
    static let contentWidth = width - 2 * margin
    static let left = margin
    static let right = width - margin
    static let top = margin
    /// Where content must end: the page number sits in the margin below it.
    static let bottom = height - margin - 10
    static let pageNumberBaseline = height - 30
}

/// The font families documents are set in, found by fontconfig by name. A missing family is an
/// error (`PrintableDocumentError.fontMissing`), not a silent substitute.
enum PrintFonts {
    /// Body text: a Song (宋体) face, as Chinese contracts are printed. Noto Serif CJK SC covers
    /// GB 18030's ideographs, the 通用规范汉字表 and some 2,000 of Extension B (𠮷 among them).
    static let serif = "Noto Serif CJK SC"
    /// Title, headings and table headers: a Hei (黑体) face, in bold.
    static let sans = "Noto Sans CJK SC"
    /// Where Noto has no glyph — the rest of Extension B, and C to F, which GB 18030-2022's
    /// level 3 includes and a name may need — pango takes it from these, in this order.
    static let fallbacks = ["HanaMinA", "HanaMinB"]
    /// Every family above with the Debian package that installs it.
    static let packages: [(family: String, package: String)] = [
        (serif, "fonts-noto-cjk"), (sans, "fonts-noto-cjk"), ("HanaMinA", "fonts-hanazono"), ("HanaMinB", "fonts-hanazono"),
    ]
}

/// How a piece of text is set: family, weight, size in points and grey level (0 black, 1 white).
struct TextStyle {
    let family: String
    let bold: Bool
    let size: Double
    var gray = 0.0

    static let title = TextStyle(family: PrintFonts.sans, bold: true, size: 18)
    static let heading = TextStyle(family: PrintFonts.sans, bold: true, size: 12)
    static let body = TextStyle(family: PrintFonts.serif, bold: false, size: 10.5)
    /// Field labels and page numbers are grey, so that the values filled in stand out.
    static let label = TextStyle(family: PrintFonts.serif, bold: false, size: 10.5, gray: 0.35)
    static let tableHeader = TextStyle(family: PrintFonts.sans, bold: true, size: 9.5)
    static let tableBody = TextStyle(family: PrintFonts.serif, bold: false, size: 9.5)
    static let pageNumber = TextStyle(family: PrintFonts.serif, bold: false, size: 9, gray: 0.35)
}

/// Rules and spacing, in points.
enum Rules {
    /// Table borders, heading underlines, lines to write and sign on.
    static let width = 0.5
    static let gray = 0.45
    static let headerFillGray = 0.92
    static let tableCellPadding = 4.0
    /// Below a paragraph, a field grid, a signature row.
    static let blockGap = 6.0
    /// Between the grid's rows of fields.
    static let fieldRowGap = 5.0
    /// Between a label's column and the next field's.
    static let fieldColumnGap = 16.0
    /// Room above a signature line for a handwritten signature.
    static let signatureRowHeight = 44.0
}
