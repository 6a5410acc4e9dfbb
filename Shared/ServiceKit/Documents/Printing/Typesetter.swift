import CPangoCairo

/// Sets text with pango: picks the fonts through fontconfig, shapes it (HarfBuzz) and breaks it
/// into lines by Unicode's rules (UAX #14: between any two ideographs, never inside "13800138000",
/// never before "，" or "。").
///
/// Thread safety: each document gets a typesetter of its own, with its own pango font map and
/// context, and nothing of pango's is shared between documents. pango's default font map would
/// be per thread, but a Swift task may move between threads, and one font map behind a lock would
/// make concurrent requests wait for each other; a font map of its own costs a document about a
/// millisecond (the fonts are opened anew; fontconfig's configuration and cairo's font caches are
/// process-wide and lock themselves). The typesetter and its text boxes are used on one thread,
/// within `PrintableDocument.pdf()`, and never leave it.
final class Typesetter {
    private let fontMap: UnsafeMutablePointer<PangoFontMap>
    /// A `PangoContext *`.
    private let context: OpaquePointer

    /// A typesetter whose measurements match what `canvas` draws (the PDF surface's font options:
    /// no hinting, unrounded glyph positions).
    ///
    /// - Throws: `PrintableDocumentError.fontMissing` for the first family of `PrintFonts` that
    ///   fontconfig does not have.
    init(for canvas: PDFCanvas) throws {
        fontMap = pango_cairo_font_map_new()
        context = pango_font_map_create_context(fontMap)
        pango_cairo_update_context(canvas.cairo, context)
        // Sizes are in points, and a cairo PDF surface's unit is the point: 72 to the inch.
        pango_cairo_context_set_resolution(context, 72)
        pango_context_set_round_glyph_positions(context, 0)
        let installed = installedFamilies()
        if let missing = PrintFonts.packages.first(where: { !installed.contains($0.family) }) {
            throw PrintableDocumentError.fontMissing(family: missing.family, package: missing.package)
        }
    }

    deinit {
        g_object_unref(UnsafeMutableRawPointer(context))
        g_object_unref(fontMap)
    }

    /// `text` in `style`, broken into lines no wider than `width` points (a word wider than that
    /// is broken between its characters), each line placed by `alignment` within `width`. Without
    /// a width the text breaks only at its newlines.
    func set(_ text: String, in style: TextStyle, width: Double? = nil, alignment: PrintableDocument.ColumnAlignment = .leading) -> TextBox {
        let layout = pango_layout_new(context)!
        let font = pango_font_description_new()!
        defer { pango_font_description_free(font) }
        pango_font_description_set_family(font, ([style.family] + PrintFonts.fallbacks).joined(separator: ","))
        pango_font_description_set_weight(font, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_absolute_size(font, style.size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, font)
        if let width {
            pango_layout_set_width(layout, pango_units_from_double(max(width, 1)))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            let placement: PangoAlignment = switch alignment {
            case .leading: PANGO_ALIGN_LEFT
            case .center: PANGO_ALIGN_CENTER
            case .trailing: PANGO_ALIGN_RIGHT
            }
            pango_layout_set_alignment(layout, placement)
        }
        // Plain text, not markup: a "<" in a customer's note is printed, not parsed.
        pango_layout_set_text(layout, Self.printable(text), -1)
        return TextBox(layout: layout, gray: style.gray)
    }

    /// The text with line breaks as "\n", tabs as spaces and no other control characters (which
    /// pango would print as boxes with their hex code); NUL would end the C string early.
    static func printable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            switch scalar {
            case "\n" where previous == "\r": continue
            case "\r", "\n", "\u{2028}", "\u{2029}": scalars.append("\n")
            case "\t": scalars.append(" ")
            default:
                if scalar.properties.generalCategory != .control { scalars.append(scalar) }
            }
        }
        return String(scalars)
    }

    /// The family names fontconfig offers.
    private func installedFamilies() -> Set<String> {
        var families: UnsafeMutablePointer<UnsafeMutablePointer<PangoFontFamily>?>?
        var count: Int32 = 0
        pango_font_map_list_families(fontMap, &families, &count)
        defer { g_free(families) }
        guard let families else { return [] }
        return Set((0..<Int(count)).compactMap { index in
            families[index].flatMap { pango_font_family_get_name($0) }.map { String(cString: $0) }
        })
    }
}

/// Text laid out by `Typesetter`, in lines that can be drawn all together or one at a time
/// (a paragraph that runs onto the next page). Sizes and positions in points, from the box's
/// top-left corner, y growing downwards.
final class TextBox {
    /// A `PangoLayout *`.
    let layout: OpaquePointer
    /// 0 black … 1 white.
    let gray: Double
    let lines: [Line]
    /// The widest line's width: what the text needs, not the width it was given to wrap in.
    let width: Double
    let height: Double

    /// One line of the box.
    struct Line {
        /// Where the line starts: more than 0 for centred or right-aligned text.
        let x: Double
        let top: Double
        let height: Double
        /// From the box's top.
        let baseline: Double
    }

    init(layout: OpaquePointer, gray: Double) {
        self.layout = layout
        self.gray = gray
        var lines: [Line] = []
        let iterator = pango_layout_get_iter(layout)
        defer { pango_layout_iter_free(iterator) }
        repeat {
            var logical = PangoRectangle()
            pango_layout_iter_get_line_extents(iterator, nil, &logical)
            lines.append(Line(
                x: points(logical.x), top: points(logical.y), height: points(logical.height),
                baseline: points(pango_layout_iter_get_baseline(iterator))))
        } while pango_layout_iter_next_line(iterator) != 0
        self.lines = lines
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        width = points(logical.width)
        height = points(logical.height)
    }

    deinit {
        g_object_unref(UnsafeMutableRawPointer(layout))
    }

    /// The last line's baseline, from the box's top: where to rule a line to write on.
    var lastBaseline: Double { lines.last?.baseline ?? 0 }
}

/// Pango units (1/1024 of a point here) as points.
private func points(_ units: Int32) -> Double {
    pango_units_to_double(units)
}
