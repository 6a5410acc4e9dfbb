import Contracts
import Foundation

/// "Now" for business rules — due and overdue tasks, today's caps, deadlines. The system clock
/// in production; a fixed instant when `CRM_FIXED_TIME` is set, so that tests of time rules
/// can say what day it is; the instant in a file when `CRM_CLOCK_FILE` names one, so that a
/// test can also move time on.
public struct ServiceClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public func now() -> Date { read() }

    public static let system = ServiceClock { Date() }

    public static func fixed(_ instant: Date) -> ServiceClock {
        ServiceClock { instant }
    }

    /// The instant written in the file at `path` (RFC 3339), read at every call: tests of rules
    /// that span days (the defeat pool's 48 hours) move time by rewriting the file. An
    /// unreadable file reads as `fallback`.
    public static func file(_ path: String, fallback: Date) -> ServiceClock {
        ServiceClock {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let instant = RFC3339.date(from: text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return fallback }
            return instant
        }
    }

    /// Today's date on a store's clock, as `yyyy-MM-dd` (a PostgreSQL `date`).
    public func today(in timeZone: TimeZone) -> String {
        Self.day(of: now(), in: timeZone)
    }

    public static func day(of instant: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let day = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", day.year!, day.month!, day.day!)
    }

    /// The day `days` after `day` (`yyyy-MM-dd`).
    public static func day(_ day: String, plus days: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = day.split(separator: "-").compactMap { Int($0) }
        let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
        return Self.day(of: calendar.date(byAdding: .day, value: days, to: date)!, in: .gmt)
    }
}
