import CPangoCairo
import CQRencode
import Foundation

/// A QR code of a text — a channel's URL (推广二维码, M6) — as a PNG or an SVG file.
///
/// libqrencode (Debian's `libqrencode-dev`, module `CQRencode`) makes the symbol: byte mode
/// (with an ECI header declaring UTF-8 when the text is not ASCII), error correction M (15% of the symbol may be damaged or covered, enough for a printed
/// poster), the smallest version that holds the text. cairo draws it, as it draws the printable
/// documents: black modules on white with the quiet zone of four modules the standard asks for.
public struct QRCodeImage: Sendable {
    /// The text the code carries.
    public let text: String
    /// Modules per side, without the quiet zone (21 for version 1 … 177 for version 40).
    public let modulesPerSide: Int
    /// Row by row, `true` for a dark module.
    private let modules: [Bool]

    /// The quiet zone around the symbol, in modules (ISO/IEC 18004: at least 4).
    public static let quietZone = 4

    /// - Throws: `QRCodeError.tooLong` when the text does not fit the largest symbol at error
    ///   correction M (2,331 bytes), `QRCodeError.encoding` for any other refusal of libqrencode.
    public init(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard let input = QRinput_new2(0, QR_ECLEVEL_M) else { throw QRCodeError.encoding(errno: errno) }
        defer { QRinput_free(input) }
        // Byte mode says nothing of its encoding, and readers guess: zbar reads UTF-8 Chinese as
        // Shift-JIS. Text beyond ASCII is declared UTF-8 with an ECI header (ECI 26).
        if bytes.contains(where: { $0 >= 0x80 }) {
            guard QRinput_appendECIheader(input, 26) == 0 else { throw QRCodeError.encoding(errno: errno) }
        }
        guard bytes.withUnsafeBufferPointer({ QRinput_append(input, QR_MODE_8, Int32($0.count), $0.baseAddress) }) == 0,
              let symbol = QRcode_encodeInput(input) else {
            throw errno == ERANGE ? QRCodeError.tooLong(bytes: bytes.count) : QRCodeError.encoding(errno: errno)
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        // Bit 0 of each byte is the module's colour; the other bits say what the module is for.
        modules = (0..<width * width).map { symbol.pointee.data[$0] & 1 == 1 }
        modulesPerSide = width
        self.text = text
    }

    /// Whether the module at `row`, `column` (from the top left, 0-based, without the quiet zone) is dark.
    public func isDark(row: Int, column: Int) -> Bool {
        modules[row * modulesPerSide + column]
    }

    /// The side of the image in pixels (PNG) or points (SVG) for `moduleSize`, quiet zone included.
    public func side(moduleSize: Int) -> Int {
        (modulesPerSide + 2 * Self.quietZone) * moduleSize
    }

    /// A PNG, `moduleSize` pixels per module (default 8: a 29-module code is 296 pixels wide).
    public func png(moduleSize: Int = 8) throws -> Data {
        let side = Int32(side(moduleSize: moduleSize))
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side) else { throw QRCodeError.drawing("no image surface") }
        defer { cairo_surface_destroy(surface) }
        try draw(on: surface, moduleSize: Double(moduleSize))
        let sink = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else { throw QRCodeError.drawing(String(cString: cairo_status_to_string(status))) }
        return sink.bytes
    }

    /// An SVG, `moduleSize` points per module — for print shops, which scale it to any size.
    public func svg(moduleSize: Int = 8) throws -> Data {
        let sink = ByteSink()
        let side = Double(side(moduleSize: moduleSize))
        guard let surface = cairo_svg_surface_create_for_stream(ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(), side, side) else {
            throw QRCodeError.drawing("no SVG surface")
        }
        do {
            try draw(on: surface, moduleSize: Double(moduleSize))
        } catch {
            cairo_surface_destroy(surface)
            throw error
        }
        cairo_surface_finish(surface)  // writes the document's end
        let status = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        guard status == CAIRO_STATUS_SUCCESS else { throw QRCodeError.drawing(String(cString: cairo_status_to_string(status))) }
        return sink.bytes
    }

    private func draw(on surface: OpaquePointer, moduleSize: Double) throws {
        guard let cairo = cairo_create(surface) else { throw QRCodeError.drawing("no cairo context") }
        defer { cairo_destroy(cairo) }
        cairo_set_source_rgb(cairo, 1, 1, 1)
        cairo_paint(cairo)
        cairo_set_source_rgb(cairo, 0, 0, 0)
        // Crisp edges: the modules are whole pixels; antialiasing would grey their borders.
        cairo_set_antialias(cairo, CAIRO_ANTIALIAS_NONE)
        let offset = Double(Self.quietZone) * moduleSize
        for row in 0..<modulesPerSide {
            for column in 0..<modulesPerSide where isDark(row: row, column: column) {
                cairo_rectangle(cairo, offset + Double(column) * moduleSize, offset + Double(row) * moduleSize, moduleSize, moduleSize)
            }
        }
        cairo_fill(cairo)
        let status = cairo_status(cairo)
        guard status == CAIRO_STATUS_SUCCESS else { throw QRCodeError.drawing(String(cString: cairo_status_to_string(status))) }
    }

    /// What cairo writes, as it writes it.
    private final class ByteSink {
        var bytes = Data()

        static let write: cairo_write_func_t = { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue().bytes.append(data, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }
    }
}

/// Why a QR code could not be made.
public enum QRCodeError: Error, CustomStringConvertible, Sendable {
    /// The text is longer than the largest QR code holds.
    case tooLong(bytes: Int)
    case encoding(errno: Int32)
    case drawing(String)

    public var description: String {
        switch self {
        case .tooLong(let bytes): "the text is \(bytes) bytes, more than a QR code holds (2,331 at error correction M)"
        case .encoding(let code): "libqrencode refused the text (errno \(code))"
        case .drawing(let reason): "cairo could not draw the QR code: \(reason)"
        }
    }
}
