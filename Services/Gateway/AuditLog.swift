import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The audit log (操作日志, G4): one row per write that passes the gateway with a token — who,
/// what (method, path, outcome), when, and from which request — whether the gateway handled it
/// or a service. The anonymous writes of the public prefix (`/api/v1/public/…`) are not in it:
/// `AuditMiddleware` is only on the authenticated routes (see `GatewayApp`).
struct AuditLog: Sendable {
    struct Entry: Sendable {
        var userID: UUID?
        var username: String?
        var storeID: UUID?
        var method: String
        var path: String
        var status: Int
        var requestID: String?
        var summary: String?
    }

    struct Row: Codable, Sendable {
        var id: Int64
        var at: Date
        var userId: UUID?
        var username: String?
        var storeId: UUID?
        var method: String
        var path: String
        var status: Int
        var requestId: String?
        var summary: String?
    }

    let logger: Logger

    func record(_ entry: Entry, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO identity.audit_log (user_id, username, store_id, method, path, status, request_id, summary)
            VALUES (\(entry.userID), \(entry.username), \(entry.storeID), \(entry.method), \(entry.path), \(entry.status),
                    \(entry.requestID), \(entry.summary))
            """, logger: logger)
    }
}

/// Records every write request (POST, PUT, PATCH, DELETE) of an authenticated user once its
/// response is known. Failed writes are recorded too: a refused attempt is part of the story.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = CRMRequestContext
    let database: Database
    let audit: AuditLog

    static let writeMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.writeMethods.contains(request.method) else { return try await next(request, context) }
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            try await record(request, context: context, status: status)
            return response
        } catch let error as HTTPResponseError {
            try await record(request, context: context, status: error.status.code)
            throw error
        } catch {
            try await record(request, context: context, status: 500)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int) async throws {
        let principal = context.principal
        let entry = AuditLog.Entry(
            userID: principal?.userID, username: principal?.username, storeID: principal?.storeID,
            method: request.method.rawValue, path: request.uri.path, status: status,
            requestID: request.headers[.requestID] ?? context.id, summary: nil)
        try await database.withTransaction { connection in
            try await audit.record(entry, on: connection)
        }
    }
}

/// `GET /api/v1/identity/audit-log`: filters `userId`, `method`, `path` (prefix), `from`, `to`;
/// newest first.
struct AuditLogRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("identity/audit-log", use: list)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<AuditLog.Row> {
        let principal = try context.require(.readAuditLog)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let userID = query.uuid("userId")
        let method = query.string("method", maxLength: 10)?.uppercased()
        let path = query.string("path", maxLength: 200)
        let from = query.date("from")
        let to = query.date("to")
        try query.throwIfInvalid()

        var sql = QueryBuilder("FROM identity.audit_log WHERE true")
        // Administrators see the group's stores; a manager with the permission sees the store's.
        if principal.scope == .group {
            sql.append(" AND (store_id IS NULL OR store_id IN (SELECT id FROM identity.store WHERE group_id = \(sql.placeholder(for: principal.groupID))))")
        } else {
            sql.append(" AND store_id = ", bind: principal.storeID)
        }
        if let userID { sql.append(" AND user_id = ", bind: userID) }
        if let method { sql.append(" AND method = ", bind: method) }
        if let path { sql.append(" AND starts_with(path, \(sql.placeholder(for: path)))") }
        if let from { sql.append(" AND at >= ", bind: from) }
        if let to { sql.append(" AND at < ", bind: to) }
        let select = sql.ordered(by: "at DESC, id DESC", page)
        return try await environment.database.withTransaction { connection in
            let total = try await sql.count(on: connection, logger: environment.logger)
            var items: [AuditLog.Row] = []
            let rows = try await connection.query(
                select.build(prefix: "SELECT id, at, user_id, username, store_id, method, path, status, request_id, summary "),
                logger: environment.logger)
            for try await (id, at, userID, username, storeID, method, path, status, requestID, summary) in rows.decode(
                (Int64, Date, UUID?, String?, UUID?, String, String, Int, String?, String?).self)
            {
                items.append(.init(id: id, at: at, userId: userID, username: username, storeId: storeID, method: method, path: path, status: status, requestId: requestID, summary: summary))
            }
            return Page(items: items, request: page, total: total)
        }
    }
}
