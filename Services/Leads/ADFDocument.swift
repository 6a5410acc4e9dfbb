import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ServiceKit

/// An ADF (Auto-lead Data Format) 1.0 document, the XML lead platforms send dealer CRMs (L3),
/// read by element path as the ADF 1.0 DTD defines them — never by element name alone, since
/// `<name>`, `<phone>` and `<contact>` also occur under `<vendor>` and `<provider>`:
///
/// | path under `adf/prospect`         | DTD                                              | read as |
/// |-----------------------------------|--------------------------------------------------|---------|
/// | `id@source`                       | `id*` — the sending system's id of the prospect  | `idSource` (first `<id>`) |
/// | `vehicle/make`, `model`, `trim`   | `vehicle+`                                       | first `<vehicle>` only |
/// | `customer/contact/name@part`      | `name+`, `part` = first, middle, last, suffix or full (default full) | `names` |
/// | `customer/contact/phone@type`     | `phone*`, `type` = voice, fax, cellphone or pager (default voice)    | `phones` |
/// | `customer/comments`               | `comments?`, text                                | `comments` (CDATA and entities decoded) |
/// | `provider/name`                   | the lead platform                                | `provider` |
///
/// Only the customer's first `<contact>` counts (the DTD allows one); `vendor/contact` (the
/// dealer's own contact) and `provider/contact` never feed the lead. Everything else the DTD
/// allows is ignored. How these become a lead's fields is `ADFLead`'s job.
///
/// ```xml
/// <?adf version="1.0"?>
/// <adf><prospect>
///   <id sequence="1" source="autohome">AH-20261122-0001</id>
///   <requestdate>2026-11-22T10:00:00+08:00</requestdate>
///   <vehicle interest="buy" status="new"><make>凯迪拉克</make><model>XT5</model><trim>28T 豪华型</trim></vehicle>
///   <customer><contact><name part="last">陈</name><name part="first">云</name>
///     <phone type="voice">027-84561234</phone><phone type="cellphone">13429893242</phone></contact>
///     <comments>周末到店</comments></customer>
///   <vendor><contact><name part="full">门店</name><phone>027-00000000</phone></contact></vendor>
///   <provider><name part="full">汽车之家</name></provider>
/// </prospect></adf>
/// ```
struct ADFDocument {
    /// A `<name>` of the customer's contact: `part` lower-cased, `full` when the document leaves it out.
    struct NamePart: Equatable, Sendable {
        var part: String
        var value: String
    }

    /// A `<phone>` of the customer's contact: `type` lower-cased, `voice` when the document leaves it out.
    struct Phone: Equatable, Sendable {
        var type: String
        var number: String
    }

    /// One `<prospect>`: what the document says, not yet checked.
    struct Prospect: Equatable, Sendable {
        var names: [NamePart] = []
        var phones: [Phone] = []
        var make: String?
        var model: String?
        var trim: String?
        var comments: String?
        var idSource: String?
        var provider: String?
    }

    var prospects: [Prospect]

    /// Reads the document. A 422 naming `adf`, in staff words, when it is not one: it declares a
    /// DTD or entities (refused before any parser sees it — `XMLProlog`), it is not well-formed
    /// XML, or its root is not `<adf>`. A byte-order mark and `<?adf version="1.0"?>` are fine.
    init(_ data: Data) throws {
        switch XMLProlog.inspect(data) {
        case .plain: break
        case .declarations:
            throw ProblemDetails.validation([.init(
                field: "adf",
                message: "contains a DTD or entity declarations (<!DOCTYPE …>), which are not accepted for safety reasons; ask the platform to send ADF without a DOCTYPE")])
        case .notXML:
            throw ProblemDetails.validation([.init(field: "adf", message: "is not an XML document; ask the platform to send ADF XML")])
        }
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        // On Linux `parse()` may answer true for a document it found broken: the error decides.
        let parsed = parser.parse() && parser.parserError == nil
        guard parsed else {
            // The parser's own words (NSXMLParserErrorDomain codes) mean nothing to staff.
            throw ProblemDetails.validation([.init(
                field: "adf",
                message: "is not well-formed XML (the fault is near line \(max(parser.lineNumber, 1))); ask the platform to check the document")])
        }
        guard reader.rootIsADF else {
            throw ProblemDetails.validation([.init(field: "adf", message: "is not an ADF document: its root element must be <adf>")])
        }
        prospects = reader.prospects
    }

    /// Collects the fields of the table above, by path.
    private final class Reader: NSObject, XMLParserDelegate {
        var prospects: [Prospect] = []
        var rootIsADF = false
        private var current: Prospect?
        /// Element names from the root, lower-cased.
        private var path: [String] = []
        private var attributes: [[String: String]] = []
        private var text = ""
        /// Within the current prospect.
        private var vehicles = 0
        private var contacts = 0
        private var ids = 0

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            let element = name.lowercased()
            if path.isEmpty { rootIsADF = element == "adf" }
            path.append(element)
            self.attributes.append(Dictionary(attributes.map { ($0.key.lowercased(), $0.value) }) { first, _ in first })
            text = ""
            guard rootIsADF else { return }
            switch path {
            case ["adf", "prospect"]:
                current = Prospect()
                (vehicles, contacts, ids) = (0, 0, 0)
            case ["adf", "prospect", "vehicle"]: vehicles += 1
            case ["adf", "prospect", "customer", "contact"]: contacts += 1
            case ["adf", "prospect", "id"]: ids += 1
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            text += String(decoding: block, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let attributes = self.attributes.removeLast()
            defer {
                path.removeLast()
                text = ""
            }
            guard rootIsADF, var prospect = current else { return }
            let value = text.trimmed
            let optional = value.isEmpty ? nil : value
            switch path {
            case ["adf", "prospect"]:
                prospects.append(prospect)
                current = nil
                return
            case ["adf", "prospect", "id"] where ids == 1:
                prospect.idSource = attributes["source"]?.trimmed
            case ["adf", "prospect", "vehicle", "make"] where vehicles == 1: prospect.make = optional
            case ["adf", "prospect", "vehicle", "model"] where vehicles == 1: prospect.model = optional
            case ["adf", "prospect", "vehicle", "trim"] where vehicles == 1: prospect.trim = optional
            case ["adf", "prospect", "customer", "contact", "name"] where contacts == 1:
                prospect.names.append(NamePart(part: attributes["part"]?.trimmed.lowercased() ?? "full", value: value))
            case ["adf", "prospect", "customer", "contact", "phone"] where contacts == 1:
                prospect.phones.append(Phone(type: attributes["type"]?.trimmed.lowercased() ?? "voice", number: value))
            case ["adf", "prospect", "customer", "comments"]: prospect.comments = optional
            case ["adf", "prospect", "provider", "name"]: prospect.provider = optional
            default: return
            }
            current = prospect
        }
    }
}
