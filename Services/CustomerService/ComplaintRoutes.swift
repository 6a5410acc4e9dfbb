import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `/api/v1/customer-service/complaints` (CS5, CS6): open by hand, list with filters and
/// export, one complaint with its handling record, add feedback / plans / follow-ups /
/// suggestions, assign a handler, move through pending → in progress → resolved → closed.
struct ComplaintRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("customer-service/complaints", use: list)
        group.post("customer-service/complaints", use: open)
        group.get("customer-service/complaints/export", use: export)
        group.get("customer-service/complaints/:id", use: get)
        group.post("customer-service/complaints/:id/entries", use: addEntry)
        group.post("customer-service/complaints/:id/assign", use: assign)
        group.post("customer-service/complaints/:id/transitions", use: transition)
    }

    struct EntryRequest: Decodable {
        enum Kind: String, Decodable, CaseIterable, BodyCode {
            case feedback, plan
            case followUp = "follow_up"
            case improvement, note
        }
        var kind: Kind
        var text: String
    }

    struct AssignRequest: Decodable {
        var handlerId: UUID
    }

    struct TransitionRequest: Decodable {
        var to: String
    }

    /// Runs `body` in a transaction with a complaint store whose "now" is the service clock's.
    private func complaints<Result: Sendable>(
        at now: Date? = nil, _ body: (ComplaintStore, PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let now = now ?? environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            try await body(
                ComplaintStore(connection: connection, logger: environment.logger, directory: environment.directory, outbox: environment.outbox, now: now),
                connection)
        }
    }

    /// The list's filters, checked against the caller's store's dictionaries.
    private func filter(_ request: Request, principal: Principal, on connection: PostgresConnection) async throws -> ComplaintFilter {
        try ComplaintFilter(request, dictionaries: try await CustomerServiceDictionaries.load(
            store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger))
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ComplaintView> {
        let principal = try context.require(.readComplaints)
        let page = try PageRequest(request: request)
        let (items, total) = try await complaints { store, connection in
            try await store.list(try await filter(request, principal: principal, on: connection), principal: principal, page: page)
        }
        return Page(items: items, request: page, total: total)
    }

    /// The list as a spreadsheet; each row's codes in its own store's words.
    @Sendable func export(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readComplaints)
        let format = try ExportFormat(request: request)
        let (page, timeZone, dictionaries) = try await complaints { store, connection in
            let page = try await store.list(try await filter(request, principal: principal, on: connection), principal: principal, page: ExportLimit.page)
            let dictionaries = try await CustomerServiceDictionaries.load(
                stores: page.items.map(\.storeId), directory: environment.directory, on: connection, logger: environment.logger)
            return (page, try await environment.directory.timeZone(of: principal.storeID, on: connection, logger: environment.logger), dictionaries)
        }
        try ExportLimit.check(total: page.total)
        return try await Response.export(
            CustomerServiceExports.complaints(page.items, dictionaries: dictionaries, timeZone: timeZone), as: format, fileName: "complaints")
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> ComplaintView {
        let principal = try context.require(.readComplaints)
        let id = try context.parameters.uuid("id")
        guard let complaint = try await complaints({ store, _ in try await store.complaint(id, principal: principal) }) else {
            throw ProblemDetails.notFound("complaint \(id)")
        }
        return complaint
    }

    @Sendable func open(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<ComplaintView> {
        let principal = try context.require(.openComplaints)
        let body = try await request.decodeJSON(as: NewComplaint.self, context: context)
        let now = environment.configuration.clock.now()
        let complaint = try await complaints(at: now) { store, connection in
            let dictionaries = try await CustomerServiceDictionaries.load(
                store: principal.storeID, directory: environment.directory, on: connection, logger: environment.logger)
            let draft = try ComplaintDraft(body, now: now, dictionaries: dictionaries)
            if let handler = draft.handlerID {
                try await checkHandler(handler, store: principal.storeID, connection: connection)
            }
            let id = try await store.open(draft, store: principal.storeID, openedBy: principal.userID)
            // The opener sees what they opened, even when they named someone else to handle it.
            guard let complaint = try await store.complaint(id, principal: principal.widened(to: .store)) else {
                throw ProblemDetails.notFound("complaint \(id)")
            }
            return complaint
        }
        return EditedResponse(status: .created, response: complaint)
    }

    @Sendable func addEntry(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<ComplaintView> {
        let principal = try context.require(.handleComplaints)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: EntryRequest.self, context: context)
        var check = FieldValidator()
        let text = check.text("text", body.text, maxLength: 2000)
        try check.throwIfInvalid()
        let complaint = try await complaints { store, _ in
            guard let complaint = try await store.complaint(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("complaint \(id)") }
            guard complaint.state != ComplaintState.closed.rawValue else { throw ProblemDetails.conflict("the complaint is closed") }
            try await store.addEntry(to: id, kind: body.kind.rawValue, text: text, author: principal.userID)
            return try await store.complaint(id, principal: principal)!
        }
        return EditedResponse(status: .created, response: complaint)
    }

    @Sendable func assign(_ request: Request, context: CRMRequestContext) async throws -> ComplaintView {
        let principal = try context.require(.handleComplaints)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: AssignRequest.self, context: context)
        return try await complaints { store, connection in
            guard let complaint = try await store.complaint(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("complaint \(id)") }
            try await checkHandler(body.handlerId, store: complaint.storeId, connection: connection)
            guard complaint.state != ComplaintState.closed.rawValue else { throw ProblemDetails.conflict("the complaint is closed") }
            try await store.assign(id, to: body.handlerId, author: principal.userID)
            // A handler of one's own team or oneself keeps it visible; otherwise read it back store-wide.
            return try await store.complaint(id, principal: principal) ?? complaint
        }
    }

    @Sendable func transition(_ request: Request, context: CRMRequestContext) async throws -> ComplaintView {
        let principal = try context.require(.handleComplaints)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: TransitionRequest.self, context: context)
        guard let next = ComplaintState(rawValue: body.to), next != .pending else {
            // The states are the rules' (a closed set): named with the catalogue's words.
            let moves = DataDictionaries.complaintState.entries.filter { $0.code != ComplaintState.pending.rawValue }
            throw ProblemDetails.validation([.init(field: "to", message: "must be one of: " + moves.map { "\($0.code) (\($0.label))" }.joined(separator: ", "))])
        }
        if next == .closed { try principal.require(.closeComplaints) }
        return try await complaints { store, _ in
            guard let complaint = try await store.complaint(id, principal: principal, forUpdate: true) else { throw ProblemDetails.notFound("complaint \(id)") }
            let current = ComplaintState(rawValue: complaint.state) ?? .pending
            guard current.canMove(to: next) else {
                throw ProblemDetails.conflict("a complaint that is \(current.rawValue) cannot become \(next.rawValue)")
            }
            try await store.move(id, to: next, author: principal.userID)
            return try await store.complaint(id, principal: principal)!
        }
    }

    private func checkHandler(_ id: UUID, store: UUID, connection: PostgresConnection) async throws {
        try await environment.directory.requireActiveUser(id, inStore: store, field: "handlerId", on: connection, logger: environment.logger)
    }
}
