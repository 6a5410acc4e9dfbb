import Contracts
import Foundation
import XCTest

/// Checks the Swift event types against Shared/Contracts/asyncapi.yaml, the contract that ERP
/// vendors integrate with: what Swift writes the schema must accept, what the schema requires
/// Swift must require, and the schema must reject bad input so that these checks can fail.
///
/// Each test that needs Python makes its own `SchemaValidator`: without `python3` only those
/// tests are skipped; without the Python packages they fail, saying what to install.
final class EventContractTests: XCTestCase {
    private var samples: [String: ContractSample] = [:]

    override func setUpWithError() throws {
        samples = try ContractSamples.all()
    }

    private var catalogTypes: [String] { EventCatalog.all.map { $0.eventType } }

    /// The sample for each catalog type, in catalog order.
    private func catalogSamples() throws -> [ContractSample] {
        try catalogTypes.map { eventType in
            try XCTUnwrap(samples[eventType], "no sample for \(eventType) in ContractSamples")
        }
    }

    // MARK: - The catalog and the document list the same events

    func testCatalogListsEachEventTypeOnceAndHasASampleForEach() {
        XCTAssertEqual(Set(catalogTypes).count, catalogTypes.count, "duplicate in EventCatalog.all")
        XCTAssertEqual(Set(catalogTypes), Set(samples.keys))
        for eventType in catalogTypes {
            XCTAssertNotNil(EventCatalog.payloadType(for: eventType))
        }
        XCTAssertNil(EventCatalog.payloadType(for: "erp.repair_order.opened.v0"))
    }

    func testAsyncAPIHasAChannelForEveryCatalogTypeAndNoOther() throws {
        let validator = try SchemaValidator.make()
        let channels = try validator.channelEventTypes()
        XCTAssertEqual(Set(channels).count, channels.count, "duplicate channel in asyncapi.yaml")
        XCTAssertEqual(
            Set(catalogTypes).subtracting(channels), [], "in EventCatalog.all but without a channel in asyncapi.yaml")
        XCTAssertEqual(
            Set(channels).subtracting(catalogTypes), [], "a channel in asyncapi.yaml but not in EventCatalog.all")
    }

    func testAsyncAPIDocumentIsConsistent() throws {
        let validator = try SchemaValidator.make()
        // Bindings on crm.events, message names and types, examples valid against their schemas.
        XCTAssertEqual(try validator.documentProblems(), "")
    }

    // MARK: - What Swift writes, the schema accepts

    func testEncodedEventsMatchTheirSchemas() throws {
        let validator = try SchemaValidator.make()
        for sample in try catalogSamples() {
            let results = try validator.schemaErrors(of: sample.eventType, for: [sample.fullEvent, sample.minimalEvent])
            XCTAssertNil(results[0], "\(sample.eventType), every field set: \(results[0] ?? "")")
            XCTAssertNil(results[1], "\(sample.eventType), optional fields left out: \(results[1] ?? "")")
        }
    }

    func testDecodingAnEncodedEventGivesEqualValues() throws {
        for sample in try catalogSamples() {
            XCTAssertNil(try sample.roundTripDifference(), sample.eventType)
        }
    }

    func testAsyncAPIExamplesDecodeIntoTheSwiftTypes() throws {
        let validator = try SchemaValidator.make()
        // The examples are what an ERP vendor copies; what they copy must work.
        for sample in try catalogSamples() {
            let examples = try validator.examples(of: sample.eventType)
            XCTAssertFalse(examples.isEmpty, "\(sample.eventType) has no example in asyncapi.yaml")
            for example in examples {
                XCTAssertNoThrow(try sample.decode(example), "\(sample.eventType) example does not decode")
            }
        }
    }

    // MARK: - The schema and Swift agree on what is required

    /// Leaves out each attribute and field in turn (nested ones too): the schema must accept the
    /// result exactly when Swift decodes it. Otherwise an ERP could send what the schema allows
    /// and still be dead-lettered, or the schema would demand what Swift never writes.
    func testSchemaAndSwiftAgreeOnRequiredFields() throws {
        let validator = try SchemaValidator.make()
        for sample in try catalogSamples() {
            let event = try jsonObject(sample.fullEvent)
            let paths = keyPaths(in: event)
            let reduced = try paths.map { try jsonData(removing: $0, from: event) }
            let schemaErrors = try validator.schemaErrors(of: sample.eventType, for: reduced)
            for (index, path) in paths.enumerated() {
                let field = "\(sample.eventType) \(path.joined(separator: "."))"
                let swiftDecodes = (try? sample.decode(reduced[index])) != nil
                let schemaAccepts = schemaErrors[index] == nil
                XCTAssertEqual(
                    schemaAccepts, swiftDecodes,
                    "\(field): the schema \(schemaAccepts ? "lets it be left out" : "requires it"), Swift \(swiftDecodes ? "does not" : "does")")
            }
        }
    }

    // MARK: - Bad input is rejected

    /// Bad values an ERP might send, with where they go. Each one must be rejected by the
    /// schema of every event type that has the field.
    private let badValues: [(path: [String], value: Any, what: String)] = [
        (["data", "vin"], "LFV3A28K7K30I2345", "VIN with the letter I"),
        (["data", "vin"], "LFV3A28K7K301234", "VIN of 16 characters"),
        (["data", "vin"], "lfv3a28k7k3012345", "VIN in lower case"),
        (["data", "storeCode"], "HX1", "short store code"),
        (["data", "customer", "mobile"], "1899802928", "10-digit mobile"),
        (["data", "customer", "mobile"], 15972197426, "mobile as a number"),
        (["data", "sender", "mobile"], "+86 159 7219 7426", "formatted mobile"),
        (["data", "customer", "name"], "", "empty name"),
        (["data", "amount"], -1, "negative amount"),
        (["data", "amount"], "1280.50", "amount as a string"),
        (["data", "mileageKm"], -5, "negative mileage"),
        (["data", "mileageKm"], 1.5, "fractional mileage"),
        (["data", "businessType"], "carWash", "unknown business type"),
        (["data", "repairOrderId"], "RO1903160002", "repair order id that is not a UUID"),
        (["specversion"], "0.3", "another CloudEvents version"),
        (["id"], "42", "event id that is not a UUID"),
        (["time"], "2024-03-16 09:30:00", "time without T and offset"),
        (["type"], "erp.something.happened.v1", "type of another event"),
        (["data"], "{}", "data as a string"),
    ]

    func testSchemaRejectsBadValues() throws {
        let validator = try SchemaValidator.make()
        var checked: [String: Int] = [:]
        for sample in try catalogSamples() {
            let event = try jsonObject(sample.fullEvent)
            let applicable = badValues.filter { value(at: $0.path, in: event) != nil }
            let events = try applicable.map { try jsonData(setting: $0.path, to: $0.value, in: event) }
            let results = try validator.schemaErrors(of: sample.eventType, for: events)
            for (bad, error) in zip(applicable, results) {
                XCTAssertNotNil(error, "\(sample.eventType): the schema accepts a \(bad.what)")
                checked[bad.what, default: 0] += 1
            }
        }
        // Every bad value must have been tried somewhere, or the table has a typo.
        for bad in badValues {
            XCTAssertNotNil(checked[bad.what], "no event type has \(bad.path.joined(separator: "."))")
        }
    }

    func testSchemaRejectsAnEventWithoutARequiredField() throws {
        let validator = try SchemaValidator.make()
        // The same check as the agreement test, stated on its own so that a schema that accepts
        // everything (and a Swift type that requires nothing) cannot pass unnoticed.
        let sample = try XCTUnwrap(samples[ERPRepairOrderCompleted.eventType])
        let event = try jsonObject(sample.fullEvent)
        for path in [["data", "roNo"], ["data", "vin"], ["data", "completedAt"], ["data", "customer", "mobile"], ["id"]] {
            let reduced = try jsonData(removing: path, from: event)
            XCTAssertNotNil(try validator.schemaErrors(of: sample.eventType, for: reduced), path.joined(separator: "."))
            XCTAssertThrowsError(try sample.decode(reduced), path.joined(separator: "."))
        }
    }

    func testUnknownBusinessTypeFailsToDecodeSoTheEventIsDeadLettered() throws {
        for eventType in [ERPRepairOrderOpened.eventType, ERPRepairOrderCompleted.eventType, RepairOrderCompleted.eventType] {
            let sample = try XCTUnwrap(samples[eventType])
            let event = try jsonData(setting: ["data", "businessType"], to: "洗车", in: try jsonObject(sample.fullEvent))
            XCTAssertThrowsError(try sample.decode(event), eventType)
        }
        XCTAssertEqual(
            RepairBusinessType.allCases.map(\.rawValue),
            ["generalRepair", "accidentRepair", "paidMaintenance", "warranty", "firstMaintenance", "other"])
    }

    /// What the handler could not store, or would store wrong, fails to decode: the event is
    /// dead-lettered at once instead of retried (a premium overflowing numeric(12,2)) or recorded
    /// under an empty policy number (which would then shadow the next car's renewal).
    func testAPolicyTheCRMCannotStoreFailsToDecodeSoTheEventIsDeadLettered() throws {
        let sample = try XCTUnwrap(samples[ERPInsurancePolicyIssued.eventType])
        let event = try jsonObject(sample.fullEvent)
        XCTAssertNoThrow(try sample.decode(sample.fullEvent))
        let validator = try SchemaValidator.make()
        // JSON Schema has no calendar, no "not only white space" and no decimal places: those
        // are the CRM's checks alone.
        let crmOnly: Set<String> = ["2025-02-29", " ", "12.345"]
        for (path, value) in [
            (["data", "expiresOn"], "2025-02-29" as Any), (["data", "expiresOn"], "2025-4-15"), (["data", "expiresOn"], "15.04.2025"),
            (["data", "startsOn"], "2024-13-01"), (["data", "premium"], -1 as Any), (["data", "premium"], 100_000_000_000 as Any),
            (["data", "premium"], Decimal(string: "12.345")! as Any), (["data", "insurer"], " "),
            (["data", "insurer"], String(repeating: "保", count: 101)), (["data", "policyNo"], ""),
            (["data", "policyNo"], String(repeating: "P", count: 51)),
        ] {
            let bad = try jsonData(setting: path, to: value, in: event)
            XCTAssertThrowsError(try sample.decode(bad), "\(path.joined(separator: ".")) = \(value)")
            if !crmOnly.contains("\(value)") {
                XCTAssertNotNil(try validator.schemaErrors(of: sample.eventType, for: bad), "\(path.joined(separator: ".")) = \(value)")
            }
        }
        // The largest premium with two decimals is a policy.
        XCTAssertNoThrow(try sample.decode(try jsonData(setting: ["data", "premium"], to: Decimal(string: "9999999999.99")!, in: event)))
    }

    // MARK: - Editing JSON

    private func jsonObject(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every key path in the object, parents before their children.
    private func keyPaths(in object: [String: Any], under prefix: [String] = []) -> [[String]] {
        object.keys.sorted().flatMap { key -> [[String]] in
            let path = prefix + [key]
            guard let child = object[key] as? [String: Any] else { return [path] }
            return [path] + keyPaths(in: child, under: path)
        }
    }

    private func value(at path: [String], in object: [String: Any]) -> Any? {
        guard let key = path.first else { return object }
        if path.count == 1 { return object[key] }
        guard let child = object[key] as? [String: Any] else { return nil }
        return value(at: Array(path.dropFirst()), in: child)
    }

    /// The object with the value at `path` replaced, or removed when `newValue` is nil.
    private func replacing(_ path: [String], with newValue: Any?, in object: [String: Any]) -> [String: Any] {
        var object = object
        let key = path[0]
        if path.count == 1 {
            object[key] = newValue
        } else if let child = object[key] as? [String: Any] {
            object[key] = replacing(Array(path.dropFirst()), with: newValue, in: child)
        }
        return object
    }

    private func jsonData(setting path: [String], to newValue: Any, in object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: replacing(path, with: newValue, in: object))
    }

    private func jsonData(removing path: [String], from object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: replacing(path, with: nil, in: object))
    }
}
