import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/public/marketing/events/{id}` and `…/registrations` (集客报名, M3; seed §9.3 活动链接,
/// the SCRM brochure's 集客报名): what the customer-facing event page (车管家前端, WeChat H5) calls —
/// no login; the gateway rate-limits the public prefix.
///
/// The rules of a registration, each decided in the database inside the registration's one
/// transaction:
/// - only while the event is online (已上架) and has not ended (409 otherwise);
/// - one per mobile and event: a repeat answers the first registration (200), however many
///   arrive at once (the unique key makes the later ones wait for the first and find it);
/// - never more than the capacity: the place is taken by one UPDATE whose WHERE is the rule
///   (`EventStore.takePlace`), so the count is exact with any number of processes; past it,
///   409 "Full" (报名已满) and nothing is written;
/// - each new registration is announced (`marketing.registration.created.v1`) through the outbox
///   in the same transaction.
struct RegistrationRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("events/:id", use: event)
        group.post("events/:id/registrations", use: register)
    }

    /// The event page: a pending event (待上架) is not published yet and is 404.
    @Sendable func event(_ request: Request, context: CRMRequestContext) async throws -> PublicEventView {
        let id = try context.parameters.uuid("id")
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            guard let event = try await EventStore(connection: connection, logger: environment.logger)
                .event(id, timeZone: { try await environment.directory.timeZone(of: $0, on: connection, logger: environment.logger) }, now: now),
                event.state != EventState.pending.rawValue
            else { throw Self.unknownEvent }
            let charges = try await environment.directory.dictionary(
                DataDictionaries.marketingEventCharge, store: event.storeId, on: connection, logger: environment.logger)
            return PublicEventView(
                id: event.id, name: event.name, theme: event.theme, startsAtLocal: event.startsAtLocal, endsAtLocal: event.endsAtLocal,
                startsAt: event.startsAt, endsAt: event.endsAt, charge: event.charge, chargeLabel: charges.label(event.charge) ?? event.charge,
                amount: event.amount, content: event.content, rules: event.rules, shareTitle: event.shareTitle, shareText: event.shareText,
                remaining: event.open ? event.counts.remaining : 0, open: event.open)
        }
    }

    @Sendable func register(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<RegistrationReceipt> {
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RegistrationRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", body.mobile)
        let name = check.text("name", body.name, maxLength: 30)
        // Channel codes are capitals (`ChannelRules`); a page may pass one on in any case.
        let channelCode = check.optionalText("channelCode", body.channelCode, maxLength: 64)?.uppercased()
        try check.throwIfInvalid()
        let (receipt, status) = try await environment.database.withTransaction { connection in
            let events = EventStore(connection: connection, logger: environment.logger)
            let directory = environment.directory
            guard let event = try await events.event(
                id, timeZone: { try await directory.timeZone(of: $0, on: connection, logger: environment.logger) },
                now: environment.configuration.clock.now())
            else { throw Self.unknownEvent }
            let day = try await environment.storeDay(event.storeId, on: connection)
            let registrations = RegistrationStore(connection: connection, logger: environment.logger, timeZone: day.timeZone)
            // Whether the event takes registrations is decided before any mobile is looked up: a
            // closed event must not tell a stranger whether a given mobile registered for it.
            try await requireOpen(event, day: day, on: connection)
            if let existing = try await registrations.registration(event: id, mobile: mobile) {
                return answer(existing, event: event, status: .ok)
            }
            if event.counts.remaining <= 0 { throw Self.full(event) }
            let registrationID = UUID()
            guard try await registrations.add(
                id: registrationID, event: id, store: event.storeId, mobile: mobile, name: name, channelCode: channelCode, at: day.now)
            else {
                // The same mobile registered at the same moment, and that registration committed first.
                guard let existing = try await registrations.registration(event: id, mobile: mobile) else {
                    throw ProblemDetails.conflict("the registration of \(mobile) was being made at the same moment; send it again")
                }
                return answer(existing, event: event, status: .ok)
            }
            guard try await events.takePlace(of: id, at: day.now) else {
                // Refused under the row lock: read again why (the throw undoes the row added above).
                let now = try await events.event(id, store: event.storeId, timeZone: day.timeZone, now: day.now) ?? event
                try await requireOpen(now, day: day, on: connection)
                throw Self.full(now)
            }
            // Through a channel QR code of the store (M6): counted in the channel report.
            if let channelCode {
                try await ChannelStore(connection: connection, logger: environment.logger).recordTouch(
                    kind: .registration, subject: registrationID.uuidString.lowercased(), store: event.storeId, code: channelCode,
                    mobile: mobile, at: day.now)
            }
            try await environment.outbox.append(CloudEvent(
                source: "/crm/marketing", subject: registrationID.uuidString.lowercased(),
                data: MarketingRegistrationCreated(
                    registrationId: registrationID, eventId: event.id, eventNumber: event.number, eventName: event.name,
                    storeId: event.storeId, mobile: mobile, name: name, channelCode: channelCode, registeredAt: day.now),
                storeid: event.storeId.uuidString.lowercased()), on: connection, logger: environment.logger)
            let created = try await registrations.registration(event: id, id: registrationID)!
            return answer(created, event: event, status: .created)
        }
        return EditedResponse(status: status, response: receipt)
    }

    /// 409 unless the event takes registrations now: online (已上架) and not ended.
    /// 404 for a pending event, as its public page answers (it is not published yet); 409 "Not
    /// open" for one taken offline, "Ended" for one that is over.
    private func requireOpen(_ event: EventView, day: StoreDay, on connection: PostgresConnection) async throws {
        if event.state == EventState.pending.rawValue { throw Self.unknownEvent }
        guard event.state == EventState.online.rawValue else {
            let states = try await environment.directory.dictionary(
                DataDictionaries.marketingEventState, store: event.storeId, on: connection, logger: environment.logger)
            var problem = ProblemDetails.conflict("\(event.name) is \(states.described(event.state)): it takes no registrations")
            problem.title = "Not open"
            throw problem
        }
        guard day.now < event.endsAt else {
            var problem = ProblemDetails.conflict("\(event.name) ended at \(event.endsAtLocal) (store time): it takes no more registrations")
            problem.title = "Ended"
            throw problem
        }
    }

    /// What the page gets: 201 for a new registration, 200 for the mobile's earlier one.
    private func answer(_ registration: RegistrationView, event: EventView, status: HTTPResponse.Status) -> (RegistrationReceipt, HTTPResponse.Status) {
        (RegistrationReceipt(
            id: registration.id, eventId: event.id, eventName: event.name, mobile: registration.mobile,
            startsAtLocal: event.startsAtLocal, endsAtLocal: event.endsAtLocal, registeredAt: registration.registeredAt,
            alreadyRegistered: status == .ok), status)
    }

    /// 409 "Full": every place is taken (报名已满).
    private static func full(_ event: EventView) -> ProblemDetails {
        var problem = ProblemDetails.conflict("报名已满 (full): all \(event.capacity) places of \(event.name) are taken")
        problem.title = "Full"
        return problem
    }

    private static let unknownEvent = ProblemDetails.notFound("event")
}
