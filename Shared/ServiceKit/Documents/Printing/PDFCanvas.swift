import CPangoCairo
import Foundation

/// One thing drawn on a page, in points from the page's top-left corner.
enum Mark {
    /// Line `line` of `text`, with the box's left edge at `x` and the line's baseline at `baseline`.
    case text(TextBox, line: Int, x: Double, baseline: Double)
    /// A thin grey line: table borders, underlines, lines to write and sign on.
    case rule(fromX: Double, fromY: Double, toX: Double, toY: Double)
    /// A grey rectangle: a table's header row.
    case fill(x: Double, y: Double, width: Double, height: Double, gray: Double)
}

/// An A4 PDF file in memory, written by cairo's PDF surface page by page: cairo embeds a subset
/// of every font the text uses (the glyphs used, as CID-keyed CFF or TrueType) with a ToUnicode
/// map, so a reader shows the text without fonts of its own and copies it as the characters
/// it is.
///
/// One canvas per document, used on one thread (see `Typesetter`).
final class PDFCanvas {
    /// The `cairo_t` the pages are drawn with.
    let cairo: OpaquePointer
    private let surface: OpaquePointer
    private let sink: Sink

    /// What cairo writes, as it writes it.
    private final class Sink {
        var bytes = Data()
    }

    /// An empty file whose Title is `title` and whose Creator is Dealer CRM.
    ///
    /// - Throws: `PrintableDocumentError.cairo` if cairo cannot make the surface.
    init(title: String) throws {
        let sink = Sink()
        self.sink = sink
        surface = cairo_pdf_surface_create_for_stream({ closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().bytes.append(data, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque(), A4.width, A4.height)
        cairo = cairo_create(surface)
        try check(cairo_status(cairo))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Dealer CRM")
    }

    deinit {
        cairo_destroy(cairo)
        cairo_surface_destroy(surface)
    }

    /// Draws `marks` on a page of their own, in order.
    func draw(_ marks: [Mark]) {
        for mark in marks {
            switch mark {
            case .text(let box, let line, let x, let baseline):
                cairo_set_source_rgb(cairo, box.gray, box.gray, box.gray)
                cairo_move_to(cairo, x + box.lines[line].x, baseline)
                pango_cairo_show_layout_line(cairo, pango_layout_get_line_readonly(box.layout, Int32(line)))
            case .rule(let fromX, let fromY, let toX, let toY):
                cairo_set_source_rgb(cairo, Rules.gray, Rules.gray, Rules.gray)
                cairo_set_line_width(cairo, Rules.width)
                cairo_move_to(cairo, fromX, fromY)
                cairo_line_to(cairo, toX, toY)
                cairo_stroke(cairo)
            case .fill(let x, let y, let width, let height, let gray):
                cairo_set_source_rgb(cairo, gray, gray, gray)
                cairo_rectangle(cairo, x, y, width, height)
                cairo_fill(cairo)
            }
        }
        cairo_show_page(cairo)
    }

    /// The file: cairo writes the fonts and the cross-reference table when the surface is finished.
    ///
    /// - Throws: `PrintableDocumentError.cairo` if drawing or writing failed anywhere.
    func finish() throws -> Data {
        try check(cairo_status(cairo))
        cairo_surface_finish(surface)
        try check(cairo_surface_status(surface))
        return sink.bytes
    }

    private func check(_ status: cairo_status_t) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PrintableDocumentError.cairo(status: String(cString: cairo_status_to_string(status)))
        }
    }
}
