import Foundation
import PostgresNIO

/// "Now" as one store sees it (X4): the service clock's instant, the store's time zone, and the
/// store's today. Every rule about days — tasks due today, the next follow-up, today's caps —
/// reads it here instead of looking up the time zone and formatting days on its own.
public struct StoreDay: Sendable {
    public let now: Date
    public let timeZone: TimeZone

    public init(now: Date, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
    }

    /// Today on the store's clock, `yyyy-MM-dd` (a PostgreSQL `date`).
    public var today: String { ServiceClock.day(of: now, in: timeZone) }

    /// The instant today began on the store's clock.
    public var startOfToday: Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.startOfDay(for: now)
    }

    /// The instant `day` (`yyyy-MM-dd`) begins on the store's clock — 00:00 there, or the
    /// first moment of the day where a clock change skips midnight.
    public func start(of day: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = day.split(separator: "-").compactMap { Int($0) }
        let noon = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 12))!
        return calendar.startOfDay(for: noon)
    }
}

extension ServiceEnvironment {
    /// Now and today for `store`, in the transaction `connection` is in.
    public func storeDay(_ store: UUID, on connection: PostgresConnection) async throws -> StoreDay {
        StoreDay(now: configuration.clock.now(), timeZone: try await directory.timeZone(of: store, on: connection, logger: logger))
    }

    /// The store's time zone, read in a transaction of its own (for exports, which show times
    /// on the store's clock).
    public func timeZone(of store: UUID) async throws -> TimeZone {
        try await database.withTransaction { connection in
            try await directory.timeZone(of: store, on: connection, logger: logger)
        }
    }
}
