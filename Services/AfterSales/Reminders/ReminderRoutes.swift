import Foundation
import Hummingbird
import ServiceKit

/// `/api/v1/after-sales/reminders` (关怀, AS7): the caller's store's care reminders of a day and
/// marking them done.
///
/// - `GET /after-sales/reminders?date=&kind=&done=&page=&pageSize=` — the reminders listed on
///   `date` (a store day `yyyy-MM-dd`, default today on the store's clock), of a kind
///   (`reminderKind`), done or not; ordered by due day, kind, plate. `aftersales.reminder.read`.
/// - `PATCH /after-sales/reminders/{id}` — `{done, contactMethod?, note?}`: done (who and when
///   are recorded; marking a done reminder done again keeps them) or not done (clears them),
///   the contact method used (`reminderContactMethod`), a note of up to 500 characters.
///   `aftersales.reminder.handle`. 404 for a reminder of another store; 422 naming every bad field.
struct ReminderRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("after-sales/reminders", use: list)
        group.patch("after-sales/reminders/:id", use: handle)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ReminderView> {
        let principal = try context.require(.readReminders)
        let page = try PageRequest(request: request)
        return try await environment.database.withTransaction { connection in
            let words = try await ReminderDictionaries.of(principal.storeID, in: environment, on: connection)
            let day = try await environment.storeDay(principal.storeID, on: connection)
            let filter = try ReminderFilter(request, today: day.today, kinds: words.kinds)
            return try await ReminderStore(connection: connection, logger: environment.logger).list(filter, store: principal.storeID, page: page)
        }
    }

    @Sendable func handle(_ request: Request, context: CRMRequestContext) async throws -> ReminderView {
        let principal = try context.require(.handleReminders)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: ReminderHandling.self, context: context)
        return try await environment.database.withTransaction { connection in
            let store = ReminderStore(connection: connection, logger: environment.logger)
            guard try await store.reminder(id, store: principal.storeID, forUpdate: true) != nil else {
                throw ProblemDetails.notFound("reminder \(id)")
            }
            let words = try await ReminderDictionaries.of(principal.storeID, in: environment, on: connection)
            let handling = try body.validated(methods: words.methods)
            try await store.handle(
                id, store: principal.storeID, done: handling.done, contactMethod: handling.contactMethod, note: handling.note, clearsNote: handling.clearsNote,
                by: principal.userID, at: environment.configuration.clock.now())
            return try await store.reminder(id, store: principal.storeID)!
        }
    }
}
