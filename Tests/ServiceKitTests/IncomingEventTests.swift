import Contracts
import Foundation
@testable import ServiceKit
import XCTest

/// Both CloudEvents content modes that outside publishers use.
final class IncomingEventTests: XCTestCase {
    func testReadsAStructuredModeEvent() throws {
        let event = CloudEvent(id: "e-1", source: "erp/hx000001", data: TestPayload(sequence: 7), storeid: "s-1", correlationid: "c-1")
        let message = ReceivedMessage(
            properties: MessageProperties(contentType: "application/cloudevents+json"),
            body: try EventCoding.makeEncoder().encode(event))
        let incoming = try IncomingEvent(message: message)
        XCTAssertEqual(incoming.id, "e-1")
        XCTAssertEqual(incoming.type, TestPayload.eventType)
        XCTAssertEqual(incoming.storeid, "s-1")
        let decoded = try incoming.decode(TestPayload.self)
        XCTAssertEqual(decoded.data, TestPayload(sequence: 7))
        XCTAssertEqual(decoded.correlationid, "c-1")
        XCTAssertEqual(decoded.time.timeIntervalSince1970, event.time.timeIntervalSince1970, accuracy: 0.001)
    }

    /// The consumer's one-pass read (by the routing key's handler) gives what the general,
    /// two-pass read gives; a message it does not describe falls back to the general read.
    func testTheOnePassReadAgreesWithTheGeneralRead() throws {
        let event = CloudEvent(
            id: "e-2", source: "erp/hx000001", subject: "RO-1", data: TestPayload(sequence: 9), storeid: "s-1", correlationid: "c-1",
            causationid: "k-1", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let message = ReceivedMessage(
            properties: MessageProperties(contentType: "application/cloudevents+json"), body: try EventCoding.makeEncoder().encode(event))
        let (fast, fastEvent) = try XCTUnwrap(IncomingEvent.readStructured(message, expectedType: TestPayload.eventType, as: TestPayload.self))
        let general = try IncomingEvent(message: message)
        let generalEvent = try general.decode(TestPayload.self)
        for (one, other) in [(fast, general)] {
            XCTAssertEqual([one.id, one.type, one.source, one.subject, one.storeid, one.correlationid, one.causationid, one.traceparent],
                           [other.id, other.type, other.source, other.subject, other.storeid, other.correlationid, other.causationid, other.traceparent])
            XCTAssertEqual(one.time, other.time)
        }
        XCTAssertEqual(fastEvent.data, generalEvent.data)
        XCTAssertEqual(fastEvent.traceparent, event.traceparent)
        XCTAssertEqual(fastEvent.time.timeIntervalSince1970, event.time.timeIntervalSince1970, accuracy: 0.001)
        // Another type under the routing key, or data that does not match: not read in one pass.
        XCTAssertNil(IncomingEvent.readStructured(message, expectedType: "other.type.v1", as: TestPayload.self))
        let bad = ReceivedMessage(properties: MessageProperties(), body: Data(#"{"specversion":"1.0","id":"x","source":"s","type":"\#(TestPayload.eventType)","data":{"sequence":"seven"}}"#.utf8))
        XCTAssertNil(IncomingEvent.readStructured(bad, expectedType: TestPayload.eventType, as: TestPayload.self))
        var handlers = EventHandlers()
        handlers.on(TestPayload.self) { _, _ in }
        XCTAssertThrowsError(try handlers.read(bad, routingKey: TestPayload.eventType)) { error in
            XCTAssertTrue("\(error)".contains("sequence"), "the general read names the field: \(error)")
        }
        XCTAssertEqual(try handlers.read(message, routingKey: "not.its.type.v1").0.id, "e-2", "a routing key that is not the type: the general read")
    }

    func testReadsBinaryModeEventsWhateverHeaderPrefixTheSDKUses() throws {
        for prefix in ["cloudEvents:", "cloudEvents_", "ce-", "ce_"] {
            let message = ReceivedMessage(
                properties: MessageProperties(contentType: "application/json", headers: [
                    "\(prefix)specversion": .string("1.0"), "\(prefix)id": .string("b-1"), "\(prefix)source": .string("erp"),
                    "\(prefix)type": .string(TestPayload.eventType), "\(prefix)time": .string("2026-11-22T08:30:00+08:00"),
                    "\(prefix)storeid": .string("store-9"),
                ]),
                body: Data(#"{"sequence": 3}"#.utf8))
            let event = try IncomingEvent(message: message).decode(TestPayload.self)
            XCTAssertEqual(event.id, "b-1", prefix)
            XCTAssertEqual(event.data.sequence, 3, prefix)
            XCTAssertEqual(event.storeid, "store-9", prefix)
            XCTAssertEqual(event.time, RFC3339.date(from: "2026-11-22T00:30:00Z"), prefix)
        }
    }

    func testSaysWhatIsMissingOrWrong() {
        func reason(_ body: String, headers: [String: AMQPFieldValue] = [:]) -> String {
            do {
                _ = try IncomingEvent(message: ReceivedMessage(properties: MessageProperties(headers: headers), body: Data(body.utf8)))
                    .decode(TestPayload.self)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(reason("not json").contains("not a JSON object"))
        XCTAssertTrue(reason(#"{"specversion":"1.0","source":"x","data":{}}"#).contains("id, type"))
        XCTAssertTrue(reason(#"{"specversion":"0.3","id":"1","source":"x","type":"t","data":{}}"#).contains("specversion"))
        XCTAssertTrue(reason(#"{"specversion":"1.0","id":"1","source":"x","type":"t","time":"yesterday","data":{}}"#).contains("RFC 3339"))
        XCTAssertTrue(reason(#"{"specversion":"1.0","id":"1","source":"x","type":"t","data":{"sequence":"x"}}"#).contains("sequence"))
        XCTAssertTrue(reason(#"{"specversion":"1.0","id":"1","source":"x","type":"t"}"#).contains("no data"))
    }
}
