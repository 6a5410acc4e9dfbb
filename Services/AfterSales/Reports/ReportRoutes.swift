import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `GET /api/v1/after-sales/reports?period=day|month|quarter&date=|month=|quarter=` — the
/// after-sales report of the caller's store for one store day, month or quarter (日报, 月报,
/// 季报; SPEC AS8): `AfterSalesReport`. Needs `aftersales.report.read` (gm, as.director).
/// 422 naming the field for a bad period (`ReportPeriod`).
struct ReportRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/reports", use: report)
    }

    @Sendable func report(_ request: Request, context: CRMRequestContext) async throws -> AfterSalesReport {
        let principal = try context.require(.readAfterSalesReports)
        let period = try Self.period(of: request)
        return try await environment.database.withTransaction { connection in
            try await Self.build(period, store: principal.storeID, environment: environment, on: connection)
        }
    }

    /// The period of `request`'s query, or a 422 naming every bad parameter.
    static func period(of request: Request) throws -> ReportPeriod {
        let query = QueryReader(request)
        var check = FieldValidator()
        let period = ReportPeriod.read(query, &check)
        try check.throwIfInvalid()
        guard let period else { throw ProblemDetails.validation([.init(field: "period", message: "is required")]) }
        return period
    }

    /// The whole report of `store` for `period`, in the caller's transaction.
    static func build(
        _ period: ReportPeriod, store: UUID, environment: ServiceEnvironment, on connection: PostgresConnection
    ) async throws -> AfterSalesReport {
        let timeZone = try await environment.directory.timeZone(of: store, on: connection, logger: environment.logger)
        let settings = try await AfterSalesSettingsStore(connection: connection, logger: environment.logger).settings(store: store)
        let calendar = ReportStore.Calendar(
            period: period, timeZone: timeZone.identifier, churnMonths: settings.churnMonths, now: environment.configuration.clock.now())
        let reports = ReportStore(connection: connection, logger: environment.logger)
        let bounds = try await reports.bounds(calendar)
        return AfterSalesReport(
            period: period.kind, label: period.label, startsAt: bounds.startsAt, endsAt: bounds.endsAt, asOf: bounds.asOf,
            timeZone: timeZone.identifier, churnMonths: settings.churnMonths,
            customers: try await reports.customers(store: store, calendar),
            repairOrders: try await reports.repairOrders(store: store, calendar),
            firstMaintenance: try await reports.firstMaintenance(store: store, calendar),
            campaigns: try await reports.campaigns(store: store, calendar),
            renewals: try await reports.renewals(store: store, calendar))
    }
}
