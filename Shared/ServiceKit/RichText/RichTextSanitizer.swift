import CLibXML2
import Foundation

/// Rich text (HTML) that staff write and customers' browsers show — a news article's body (M1,
/// seed §9.1) — cut down to an allow-list before it is stored, so that nothing in it can run.
///
/// The text is parsed by libxml2's HTML parser, as forgiving as a browser (unclosed tags,
/// misnested tags, entities, mixed case), and the tree is written back as new HTML:
///
/// - elements `p br strong b em i u h2 h3 h4 ul ol li blockquote a img span` and the table parts
///   (`table thead tbody tfoot tr th td caption`) are kept;
/// - `script style iframe object embed` (and the other elements that carry code, frames, forms'
///   raw text or a document's head: `applet frame frameset noframes noscript template title
///   textarea xmp plaintext noembed svg math head meta link base`) are dropped *with* their
///   content;
/// - any other element (`div`, `font`, `body`, an unknown tag) is unwrapped: its content stays,
///   the tag goes — and so is an allowed element where HTML does not let it stand (an `a` in an
///   `a`, a block such as `ul` in a `p`, a `td` outside a `tr`, an `li` outside a list), so that
///   every parser reads the result as the same tree (`Context`);
/// - attributes: `title` anywhere, `alt` on `img`, `href` on `a` when it is an `http:`, `https:`
///   or `mailto:` URL, `src` on `img` when it is an `http:` or `https:` URL; nothing else — no
///   `on…` handler, no `style`, no `class`. A URL is read as a browser reads it: entities
///   decoded by the parser, then control characters and white space removed and the scheme
///   compared without case, so `JaVa&#x09;Script&#58;…` is the `javascript:` it is and is
///   dropped. A relative URL has no scheme of the list and is dropped too. An `img` left without
///   a `src` is dropped;
/// - comments, processing instructions and CDATA markers go; text is escaped (`& < >`), and
///   attribute values are quoted and escaped (`& < > "`), so the result parses the same in any
///   browser.
///
/// Sanitising its own output gives the same text again.
public enum RichTextSanitizer {
    /// Elements kept, with the attributes each may carry besides `title`.
    static let allowedElements: [String: Set<String>] = [
        "p": [], "br": [], "strong": [], "b": [], "em": [], "i": [], "u": [], "h2": [], "h3": [], "h4": [],
        "ul": [], "ol": [], "li": [], "blockquote": [], "span": [], "a": ["href"], "img": ["src", "alt"],
        "table": [], "thead": [], "tbody": [], "tfoot": [], "tr": [], "th": [], "td": [], "caption": [],
    ]

    /// Attributes every kept element may carry.
    static let globalAttributes: Set<String> = ["title"]

    /// Elements dropped with everything inside them: code, frames, embedded documents, raw text.
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "noframes", "noscript", "template",
        "title", "textarea", "xmp", "plaintext", "noembed", "svg", "math", "head", "meta", "link", "base", "param",
    ]

    /// Elements written without an end tag.
    static let voidElements: Set<String> = ["br", "img"]

    /// The URL schemes each URL attribute may name.
    static let allowedSchemes: [String: Set<String>] = ["href": ["http", "https", "mailto"], "src": ["http", "https"]]

    /// Elements nested deeper than this are dropped with their content: no editor writes such
    /// text, and the walk stays shallow.
    static let maximumDepth = 200

    private static let parserReady: Void = { xmlInitParser() }()

    /// `html` with only the allow-listed elements and attributes; "" for text with nothing left.
    public static func sanitize(_ html: String) -> String {
        _ = parserReady
        // Inside an explicit body: text at the start stays text (no implied <p>), and whatever
        // the fragment says about <html>, <head> or <body> is parsed like the rest of it.
        let document = "<!DOCTYPE html><html><body>" + html
        let options = Int32(HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue
            | HTML_PARSE_IGNORE_ENC.rawValue | HTML_PARSE_NODEFDTD.rawValue)
        let parsed: htmlDocPtr? = document.withCString { text in
            htmlReadMemory(text, Int32(strlen(text)), nil, "UTF-8", options)
        }
        guard let parsed else { return "" }
        defer { xmlFreeDoc(parsed) }
        var output = ""
        var node = parsed.pointee.children
        while let current = node {
            write(current, depth: 0, context: Context(), into: &output)
            node = current.pointee.next
        }
        return output
    }

    /// Where a node is written: the nearest element written around it, and whether an `a` or an
    /// element that holds only phrasing content (text, `strong`, `img` …) is among those around it.
    /// The nesting rules below keep the output a tree that every HTML parser builds the same way,
    /// so that what is stored is what a browser shows.
    struct Context {
        var parent: String?
        var inPhrasing = false
        var inAnchor = false

        func entering(_ element: String) -> Context {
            Context(
                parent: element, inPhrasing: inPhrasing || RichTextSanitizer.phrasingContainers.contains(element),
                inAnchor: inAnchor || element == "a")
        }
    }

    /// Elements whose content is phrasing only: a block inside one is unwrapped (a browser would
    /// close the element before it).
    static let phrasingContainers: Set<String> = ["p", "h2", "h3", "h4", "span", "strong", "b", "em", "i", "u", "a", "caption"]
    static let blockElements: Set<String> = [
        "p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    ]
    /// The table's structure: what each part holds. A part anywhere else is unwrapped, and text
    /// directly inside these (which a browser would move out of the table) is dropped.
    static let tableChildren: [String: Set<String>] = [
        "table": ["caption", "thead", "tbody", "tfoot", "tr"], "thead": ["tr"], "tbody": ["tr"], "tfoot": ["tr"], "tr": ["td", "th"],
    ]
    /// Where the parts that must have a particular parent may stand.
    static let requiredParents: [String: Set<String>] = [
        "caption": ["table"], "thead": ["table"], "tbody": ["table"], "tfoot": ["table"], "tr": ["table", "thead", "tbody", "tfoot"],
        "td": ["tr"], "th": ["tr"], "li": ["ul", "ol"],
    ]

    private static func write(_ node: xmlNodePtr, depth: Int, context: Context, into output: inout String) {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            guard let content = node.pointee.content else { return }
            let text = String(cString: content)
            if let parent = context.parent, tableChildren[parent] != nil, !text.allSatisfy(\.isWhitespace) { return }
            output += escapedText(text)
        case XML_ELEMENT_NODE:
            guard depth < maximumDepth, let rawName = node.pointee.name else { return }
            let name = String(cString: rawName).lowercased()
            if droppedWithContent.contains(name) { return }
            guard let allowed = allowedElements[name], fits(name, in: context) else {
                writeChildren(of: node, depth: depth + 1, context: context, into: &output)  // unwrapped
                return
            }
            let attributes = keptAttributes(of: node, element: name, allowed: allowed.union(globalAttributes))
            if name == "img", !attributes.contains(where: { $0.name == "src" }) { return }
            output += "<" + name
            for attribute in attributes {
                output += " \(attribute.name)=\"\(escapedAttribute(attribute.value))\""
            }
            output += ">"
            if voidElements.contains(name) { return }
            writeChildren(of: node, depth: depth + 1, context: context.entering(name), into: &output)
            output += "</\(name)>"
        case XML_DOCUMENT_NODE, XML_HTML_DOCUMENT_NODE, XML_DOCUMENT_FRAG_NODE:
            writeChildren(of: node, depth: depth + 1, context: context, into: &output)
        default:
            // Comments, processing instructions, DTDs, entity declarations: nothing a reader sees.
            return
        }
    }

    /// Whether an allowed element may stand where `context` is: no `a` inside an `a`, no block
    /// inside phrasing content, table parts and list items only where they belong, and inside a
    /// table's structure only its parts.
    static func fits(_ name: String, in context: Context) -> Bool {
        if name == "a", context.inAnchor { return false }
        if context.inPhrasing, blockElements.contains(name) { return false }
        if let parents = requiredParents[name], !parents.contains(context.parent ?? "") { return false }
        if let parent = context.parent, let children = tableChildren[parent], !children.contains(name) { return false }
        return true
    }

    private static func writeChildren(of node: xmlNodePtr, depth: Int, context: Context, into output: inout String) {
        var child = node.pointee.children
        while let current = child {
            write(current, depth: depth, context: context, into: &output)
            child = current.pointee.next
        }
    }

    /// The element's attributes that the allow-list keeps, in document order, each once; URL
    /// attributes only with an allowed scheme (written back without the white space and control
    /// characters a browser would skip).
    private static func keptAttributes(of node: xmlNodePtr, element: String, allowed: Set<String>) -> [(name: String, value: String)] {
        var kept: [(name: String, value: String)] = []
        var attribute = node.pointee.properties
        while let current = attribute {
            defer { attribute = current.pointee.next }
            guard let rawName = current.pointee.name else { continue }
            let name = String(cString: rawName).lowercased()
            guard allowed.contains(name), !kept.contains(where: { $0.name == name }) else { continue }
            var value = ""
            var child = current.pointee.children
            while let text = child {
                if let content = text.pointee.content { value += String(cString: content) }
                child = text.pointee.next
            }
            if let schemes = allowedSchemes[name] {
                guard let url = safeURL(value, schemes: schemes) else { continue }
                value = url
            }
            kept.append((name, value))
        }
        return kept
    }

    /// The URL as a browser resolves it — ASCII white space and control characters removed
    /// anywhere (browsers skip tabs and newlines inside a scheme) — when its scheme is one of
    /// `schemes`; nil for any other scheme and for a URL without one.
    static func safeURL(_ value: String, schemes: Set<String>) -> String? {
        let cleaned = String(String.UnicodeScalarView(value.unicodeScalars.filter { scalar in
            !(scalar.value <= 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
              || scalar.properties.isWhitespace || scalar.properties.generalCategory == .format)
        }))
        guard let colon = cleaned.firstIndex(of: ":") else { return nil }
        let scheme = cleaned[..<colon]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic,
              scheme.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) }),
              schemes.contains(scheme.lowercased())
        else { return nil }
        return cleaned
    }

    static func escapedText(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\u{0}": continue
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    static func escapedAttribute(_ text: String) -> String {
        escapedText(text).replacingOccurrences(of: "\"", with: "&quot;")
    }
}
