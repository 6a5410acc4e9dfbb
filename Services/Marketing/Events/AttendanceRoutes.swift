import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// An event's registrants as staff see them (活动报名, M3; seed §9.3 实际报名人数):
///
/// - `GET /api/v1/marketing/events/{id}/registrations` — who registered, filtered by `mobile`,
///   `q` (text in the name), `channelCode` and `checkedIn`, paged;
/// - `GET /api/v1/marketing/events/{id}/counts` — registered, checked in, places left;
/// - `POST /api/v1/marketing/events/{id}/check-ins` — 签到 at the event by registration id or
///   mobile: the first check-in records when and by whom; any later one changes nothing and
///   says when it was made (idempotent, 200 both times).
///
/// Every route takes `marketing.events.manage`; the event must be the caller's store's.
struct AttendanceRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/events/:id/registrations", use: list)
        group.get("marketing/events/:id/counts", use: counts)
        group.post("marketing/events/:id/check-ins", use: checkIn)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<RegistrationView> {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let filters = RegistrationFilters(&query)
        try query.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let (_, registrations) = try await eventAndRegistrations(id, principal: principal, on: connection)
            return try await registrations.list(
                event: id, mobile: filters.mobile, text: filters.text, channelCode: filters.channelCode, checkedIn: filters.checkedIn, page: page)
        }
    }

    @Sendable func counts(_ request: Request, context: CRMRequestContext) async throws -> EventCounts {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            try await eventAndRegistrations(id, principal: principal, on: connection).event.counts
        }
    }

    @Sendable func checkIn(_ request: Request, context: CRMRequestContext) async throws -> CheckInResult {
        let principal = try context.require(.manageMarketingEvents)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: CheckInRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.optionalMobile("mobile", body.mobile)
        if (body.registrationId == nil) == (mobile == nil) {
            check.fail("registrationId", "give either the registration's id or the mobile it was made with, not both")
        }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let (_, registrations) = try await eventAndRegistrations(id, principal: principal, on: connection)
            let found: RegistrationView?
            if let registrationID = body.registrationId {
                found = try await registrations.registration(event: id, id: registrationID)
            } else {
                found = try await registrations.registration(event: id, mobile: mobile ?? "")
            }
            guard let registration = found else {
                throw ProblemDetails.notFound("registration (\(body.registrationId?.uuidString ?? mobile ?? "")) of this event")
            }
            let now = environment.configuration.clock.now()
            let checkedInNow = try await registrations.checkIn(registration.id, by: principal.userID, at: now)
            let current = try await registrations.registration(event: id, id: registration.id)!
            return CheckInResult(
                registration: current, alreadyCheckedIn: !checkedInNow,
                message: checkedInNow
                    ? "\(current.name) (\(current.mobile)) checked in"
                    : "\(current.name) (\(current.mobile)) already checked in at \(current.checkedInAtLocal ?? "") (store time)")
        }
    }

    /// The caller's store's event (404 otherwise) and its registrations on the store's clock.
    private func eventAndRegistrations(
        _ id: UUID, principal: Principal, on connection: PostgresConnection
    ) async throws -> (event: EventView, registrations: RegistrationStore) {
        let day = try await environment.storeDay(principal.storeID, on: connection)
        guard let event = try await EventStore(connection: connection, logger: environment.logger)
            .event(id, store: principal.storeID, timeZone: day.timeZone, now: day.now)
        else { throw ProblemDetails.notFound("event \(id)") }
        return (event, RegistrationStore(connection: connection, logger: environment.logger, timeZone: day.timeZone))
    }
}

/// The filters of the registration list and its export.
struct RegistrationFilters {
    var mobile: String?
    var text: String?
    var channelCode: String?
    var checkedIn: Bool?

    init(_ query: inout QueryReader) {
        mobile = query.mobile("mobile")
        text = query.string("q", maxLength: 30)
        channelCode = query.string("channelCode", maxLength: 64)?.uppercased()
        checkedIn = query.bool("checkedIn")
    }
}
