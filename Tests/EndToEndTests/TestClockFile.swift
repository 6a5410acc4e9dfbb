import Contracts
import Foundation
import TestSupport

/// A service clock a test moves: the RFC 3339 instant in a file, which a service started with
/// `CRM_FIXED_TIME` and `CRM_CLOCK_FILE` (development only) reads at every call.
struct TestClockFile {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crm-clock-\(UUID().uuidString)")
    /// Where the clock stood when the service started (`CRM_FIXED_TIME`).
    let start: Date

    init(_ start: Date) throws {
        self.start = start
        try set(start)
    }

    /// `start` in RFC 3339 (`2026-11-22T02:00:00Z`).
    init(_ start: String) throws {
        guard let instant = RFC3339.date(from: start) else { throw TestFailure("not an RFC 3339 time: \(start)") }
        try self.init(instant)
    }

    /// The settings that put a service on this clock.
    var environment: [String: String] {
        ["CRM_FIXED_TIME": RFC3339.string(from: start), "CRM_CLOCK_FILE": url.path]
    }

    func set(_ instant: Date) throws {
        try RFC3339.string(from: instant).write(to: url, atomically: true, encoding: .utf8)
    }

    /// Moves the clock to `hours` after `start`.
    func set(hoursAfterStart hours: Double) throws {
        try set(start.addingTimeInterval(hours * 3600))
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
