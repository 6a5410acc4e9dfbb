import Contracts
import Foundation
@testable import ServiceKit
import XCTest

/// Events about the same thing go to the same consumer worker, so they are handled in order.
final class PartitionTests: XCTestCase {
    func event(subject: String?, store: String? = "store-1") throws -> IncomingEvent {
        let cloudEvent = CloudEvent(source: "t", subject: subject, data: TestPayload(sequence: 1), storeid: store)
        return try IncomingEvent(message: ReceivedMessage(properties: MessageProperties(), body: try EventCoding.makeEncoder().encode(cloudEvent)))
    }

    func testTheSameSubjectInTheSameStoreAlwaysGoesToTheSameWorker() throws {
        let first = EventConsumer.partition(of: try event(subject: "RO0001"), among: 4)
        for _ in 0..<20 {
            XCTAssertEqual(EventConsumer.partition(of: try event(subject: "RO0001"), among: 4), first)
        }
    }

    func testSubjectsAndEventsWithoutOneSpreadOverTheWorkers() throws {
        let bySubject = Set(try (0..<200).map { EventConsumer.partition(of: try event(subject: "RO\($0)"), among: 4) })
        XCTAssertEqual(bySubject, [0, 1, 2, 3])
        let withoutSubject = Set(try (0..<200).map { _ in EventConsumer.partition(of: try event(subject: nil), among: 4) })
        XCTAssertEqual(withoutSubject, [0, 1, 2, 3])
    }
}

/// The bookkeeping behind coalesced acks.
final class OutstandingTagsTests: XCTestCase {
    func testTheLowestUnsettledTagWalksUpAsTagsSettleInAnyOrder() {
        var tags = OutstandingTags()
        for tag in UInt64(1)...6 { tags.insert(tag) }
        XCTAssertEqual(tags.lowest, 1)
        tags.remove(2)
        tags.remove(3)
        XCTAssertEqual(tags.lowest, 1, "1 is still being handled: nothing may be acked with multiple yet")
        tags.remove(1)
        XCTAssertEqual(tags.lowest, 4)
        tags.remove(5)
        tags.remove(4)
        tags.remove(6)
        XCTAssertNil(tags.lowest)
        XCTAssertEqual(tags.highestDelivered, 6)
    }
}
