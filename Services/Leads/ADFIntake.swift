import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ServiceKit

/// Reads ADF (Auto-lead Data Format) 1.0, the XML lead platforms send dealer CRMs: one
/// `<prospect>` per lead, with the customer's name and phone, the vehicle of interest, and the
/// platform in `<provider>` or in the `source` of `<id>`.
///
/// ```xml
/// <?adf version="1.0"?>
/// <adf><prospect>
///   <id sequence="1" source="autohome">AH-20261122-0001</id>
///   <requestdate>2026-11-22T10:00:00+08:00</requestdate>
///   <vehicle interest="buy" status="new"><make>凯迪拉克</make><model>XT5</model><trim>28T 豪华型</trim></vehicle>
///   <customer><contact><name part="full">陈云</name><phone>13429893242</phone></contact>
///     <comments>周末到店</comments></customer>
///   <provider><name part="full">汽车之家</name></provider>
/// </prospect></adf>
/// ```
struct ADFDocument {
    struct Prospect: Equatable {
        var name: String = ""
        var firstName: String = ""
        var lastName: String = ""
        var phone: String = ""
        var make: String?
        var model: String?
        var trim: String?
        var comments: String?
        var provider: String?
        var idSource: String?

        /// The person's name: the full name, or last + first as Chinese writes it.
        var fullName: String {
            let full = name.trimmed
            if !full.isEmpty { return full }
            return (lastName + firstName).trimmed
        }
    }

    var prospects: [Prospect]

    /// Parses the document; a 422 naming `adf` when it is not ADF.
    init(_ data: Data) throws {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), reader.sawRoot else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "the root element must be <adf>"
            throw ProblemDetails.validation([.init(field: "adf", message: "is not an ADF document: \(reason)")])
        }
        prospects = reader.prospects
    }

    /// Collects the fields it knows, ignoring everything else ADF allows.
    private final class Reader: NSObject, XMLParserDelegate {
        var prospects: [Prospect] = []
        var sawRoot = false
        private var current: Prospect?
        private var path: [String] = []
        private var attributes: [[String: String]] = []
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            let element = name.lowercased()
            if path.isEmpty { sawRoot = element == "adf" }
            path.append(element)
            self.attributes.append(attributes)
            text = ""
            if element == "prospect" { current = Prospect() }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let element = path.removeLast()
            let attributes = self.attributes.removeLast()
            let value = text.trimmed
            text = ""
            guard var prospect = current else { return }
            let parent = path.last ?? ""
            switch (parent, element) {
            case ("prospect", "id"): prospect.idSource = attributes["source"]
            case ("contact", "name"):
                switch attributes["part"]?.lowercased() {
                case "first": prospect.firstName = value
                case "last": prospect.lastName = value
                default: prospect.name = value
                }
            case ("contact", "phone"): if prospect.phone.isEmpty { prospect.phone = value }
            case ("vehicle", "make"): prospect.make = value
            case ("vehicle", "model"): prospect.model = value
            case ("vehicle", "trim"): prospect.trim = value
            case ("customer", "comments"): prospect.comments = value
            case ("provider", "name"): prospect.provider = value
            case (_, "prospect"):
                prospects.append(prospect)
                current = nil
                return
            default: break
            }
            current = prospect
        }
    }
}
