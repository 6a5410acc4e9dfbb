import Foundation
import PostgresNIO
import ServiceKit

/// What reading and checking one store's vehicle files takes, read in the request's
/// transaction: the store's dictionaries, its calendar for the customer classes (service clock,
/// time zone from the directory, churn rule from its after-sales settings) and its today.
struct VehicleContext: Sendable {
    var dictionaries: VehicleDictionaries
    var calendar: CustomerClassCalendar
    /// The store's today, `yyyy-MM-dd`.
    var today: String
    /// The store's time zone, which exports show times in.
    var timeZone: TimeZone

    /// What a body's fields are checked against.
    var checks: VehicleChecks { VehicleChecks(dictionaries: dictionaries, today: today) }

    static func of(_ store: UUID, in environment: ServiceEnvironment, on connection: PostgresConnection) async throws -> Self {
        let day = try await environment.storeDay(store, on: connection)
        let settings = try await AfterSalesSettingsStore(connection: connection, logger: environment.logger).settings(store: store)
        return Self(
            dictionaries: try await .of(store, in: environment, on: connection),
            calendar: CustomerClassCalendar(now: day.now, timeZone: day.timeZone.identifier, churnMonths: settings.churnMonths),
            today: day.today, timeZone: day.timeZone)
    }
}
