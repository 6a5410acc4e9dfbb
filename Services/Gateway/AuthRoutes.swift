import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// `POST /api/v1/auth/login`, `/refresh`, `/logout`, `/switch-store` and `GET /api/v1/auth/me` (G3).
///
/// A refresh token is good once: refreshing ends it and issues a new one, logout ends it (or
/// every session of the user), and deactivating a user or resetting their password ends all of
/// theirs. An access token cannot be recalled: it stays valid for its lifetime
/// (`CRM_ACCESS_TOKEN_MINUTES`, 30 by default) after such a change, and refresh reads the user,
/// their role and their stores anew.
struct AuthRoutes: Sendable {
    let environment: ServiceEnvironment
    let configuration: GatewayConfiguration
    let passwords: Passwords
    let audit: AuditLog

    struct LoginRequest: Decodable {
        var username: String
        var password: String
        /// The store to start in; the user's first store when left out.
        var storeId: UUID?
    }

    struct RefreshRequest: Decodable {
        var refreshToken: String
    }

    struct LogoutRequest: Decodable {
        /// The session's refresh token, which is revoked.
        var refreshToken: String
        /// Also revoke every other session of the user (log out everywhere).
        var allSessions: Bool?
    }

    /// What logout answers.
    struct LogoutResult: Codable, ResponseEncodable {
        /// How many refresh tokens were still good and are now revoked.
        var revokedSessions: Int
    }

    struct SwitchStoreRequest: Decodable {
        var storeId: UUID
    }

    struct UserSummary: Codable {
        var id: UUID
        var username: String
        var displayName: String
        var role: String
        var dataScope: DataScope
        var permissions: [String]
    }

    /// What login, refresh and store switch return.
    struct Session: Codable, ResponseEncodable {
        var accessToken: String
        var refreshToken: String
        var tokenType = "Bearer"
        /// Seconds until the access token expires.
        var expiresIn: Int
        var user: UserSummary
        var store: StoreSummary
        var stores: [StoreSummary]
    }

    /// Login and refresh: the requests that have no access token yet.
    func addUnauthenticatedRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("auth/login", use: login)
        group.post("auth/refresh", use: refresh)
    }

    func addAuthenticatedRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("auth/logout", use: logout)
        group.post("auth/switch-store", use: switchStore)
        group.get("auth/me", use: me)
    }

    /// The outcome of a login attempt, decided and committed before anything is thrown, so a
    /// failure is counted even though the request fails.
    private enum LoginOutcome {
        case session(SessionUser)
        case wrongCredentials
        case locked(until: Date)
        case lockedNow(until: Date)
        case notYourStore
    }

    @Sendable func login(_ request: Request, context: CRMRequestContext) async throws -> Session {
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        var check = FieldValidator()
        let username = check.text("username", body.username, maxLength: 100)
        check.require(!body.password.isEmpty, "password", "must not be empty")
        check.require(body.password.utf8.count <= 200, "password", "must be at most 200 bytes")
        try check.throwIfInvalid()

        let requestID = request.headers[.requestID] ?? context.id
        // Lock-out runs on the service clock, as every business time does (a test can move it).
        let now = environment.configuration.clock.now()
        let outcome: LoginOutcome = try await environment.database.withTransaction { connection in
            let sessions = SessionStore(connection: connection, logger: environment.logger)
            guard let candidate = try await sessions.candidate(username: username) else {
                _ = try await passwords.verify(body.password, hash: Passwords.unknownUserHash)
                try await audit.record(.init(username: username, method: "POST", path: "/api/v1/auth/login", status: 401, requestID: requestID, summary: "login refused: unknown user"), on: connection)
                return .wrongCredentials
            }
            if let lockedUntil = candidate.lockedUntil, lockedUntil > now {
                try await audit.record(.init(userID: candidate.id, username: username, method: "POST", path: "/api/v1/auth/login", status: 423, requestID: requestID, summary: "login refused: account locked"), on: connection)
                return .locked(until: lockedUntil)
            }
            guard try await passwords.verify(body.password, hash: candidate.passwordHash), candidate.active else {
                let lockedUntil = try await sessions.recordFailure(
                    candidate.id, threshold: configuration.lockoutThreshold, lockout: configuration.lockoutDuration, now: now)
                // The log says what the caller was answered: 401, or 423 for the failure that locks.
                try await audit.record(.init(
                    userID: candidate.id, username: username, method: "POST", path: "/api/v1/auth/login", status: lockedUntil == nil ? 401 : 423,
                    requestID: requestID,
                    summary: lockedUntil == nil ? "login refused: wrong password" : "login refused: wrong password; account locked"), on: connection)
                return lockedUntil.map { .lockedNow(until: $0) } ?? .wrongCredentials
            }
            guard let user = try await sessions.sessionUser(candidate.id) else { return .wrongCredentials }
            if let wanted = body.storeId, !user.stores.contains(where: { $0.id == wanted }) {
                try await audit.record(.init(userID: user.id, username: user.username, method: "POST", path: "/api/v1/auth/login", status: 422, requestID: requestID, summary: "login refused: not a store of the user"), on: connection)
                return .notYourStore
            }
            try await sessions.recordSuccess(candidate.id)
            try await audit.record(.init(userID: user.id, username: user.username, method: "POST", path: "/api/v1/auth/login", status: 200, requestID: requestID, summary: "logged in"), on: connection)
            return .session(user)
        }
        switch outcome {
        case .session(let user):
            let store: StoreSummary
            if let wanted = body.storeId {
                guard let match = user.stores.first(where: { $0.id == wanted }) else {
                    throw ProblemDetails.validation([.init(field: "storeId", message: "is not one of your stores")])
                }
                store = match
            } else {
                guard let first = user.stores.first else {
                    throw ProblemDetails(status: .forbidden, title: "No store", detail: "your account works in no store yet; ask an administrator")
                }
                store = first
            }
            return try await makeSession(user, in: store)
        case .wrongCredentials:
            throw ProblemDetails.unauthorized("the username or password is wrong")
        case .notYourStore:
            throw ProblemDetails.validation([.init(field: "storeId", message: "is not one of your stores")])
        case .locked(let until), .lockedNow(let until):
            throw ProblemDetails(
                status: .init(code: 423), type: "https://dealer-crm.dev/problems/account-locked", title: "Account locked",
                detail: "too many failed logins; the account is locked until \(RFC3339.string(from: until))")
        }
    }

    @Sendable func refresh(_ request: Request, context: CRMRequestContext) async throws -> Session {
        let body = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        guard let claims = await environment.tokens.verify(body.refreshToken, for: .refresh),
              let id = UUID(uuidString: claims.sub.value), let tokenID = claims.jti.flatMap({ UUID(uuidString: $0.value) })
        else {
            throw ProblemDetails.unauthorized("the refresh token is invalid or has expired; log in again")
        }
        let user = try await environment.database.withTransaction { connection -> SessionUser? in
            let consumed = try await RefreshTokenStore(connection: connection, logger: environment.logger)
                .consume(id: tokenID, userID: id, now: environment.configuration.clock.now())
            guard consumed else { return nil }
            return try await SessionStore(connection: connection, logger: environment.logger).sessionUser(id)
        }
        guard let user else {
            throw ProblemDetails.unauthorized("the refresh token has been used or revoked; log in again")
        }
        guard user.active, let store = user.stores.first(where: { $0.id == claims.store }) else {
            throw ProblemDetails.unauthorized("the account can no longer use this store; log in again")
        }
        return try await makeSession(user, in: store)
    }

    /// Ends the session of `refreshToken` (and with `allSessions` every session of the caller).
    /// The access token in hand stays valid until it expires.
    @Sendable func logout(_ request: Request, context: CRMRequestContext) async throws -> LogoutResult {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(as: LogoutRequest.self, context: context)
        guard let claims = await environment.tokens.verify(body.refreshToken, for: .refresh),
              claims.sub.value == principal.userID.uuidString.lowercased(), let tokenID = claims.jti.flatMap({ UUID(uuidString: $0.value) })
        else {
            throw ProblemDetails.validation([.init(field: "refreshToken", message: "is not a valid refresh token of yours")])
        }
        let now = environment.configuration.clock.now()
        let revoked = try await environment.database.withTransaction { connection in
            let tokens = RefreshTokenStore(connection: connection, logger: environment.logger)
            if body.allSessions == true {
                return try await tokens.revokeAll(userID: principal.userID, why: "logout", now: now)
            }
            return try await tokens.revoke(id: tokenID, userID: principal.userID, why: "logout", now: now)
        }
        return LogoutResult(revokedSessions: revoked)
    }

    @Sendable func switchStore(_ request: Request, context: CRMRequestContext) async throws -> Session {
        let principal = try context.requirePrincipal()
        let body = try await request.decodeJSON(as: SwitchStoreRequest.self, context: context)
        let user = try await environment.database.withTransaction { connection in
            try await SessionStore(connection: connection, logger: environment.logger).sessionUser(principal.userID)
        }
        guard let user, user.active else { throw ProblemDetails.unauthorized("the account is no longer active") }
        guard let store = user.stores.first(where: { $0.id == body.storeId }) else {
            throw ProblemDetails.validation([.init(field: "storeId", message: "is not one of your stores")])
        }
        return try await makeSession(user, in: store)
    }

    @Sendable func me(_ request: Request, context: CRMRequestContext) async throws -> UserSummary {
        let principal = try context.requirePrincipal()
        let user = try await environment.database.withTransaction { connection in
            try await SessionStore(connection: connection, logger: environment.logger).sessionUser(principal.userID)
        }
        guard let user else { throw ProblemDetails.unauthorized("the account no longer exists") }
        return summary(user)
    }

    private func summary(_ user: SessionUser) -> UserSummary {
        UserSummary(
            id: user.id, username: user.username, displayName: user.displayName, role: user.role,
            dataScope: user.scope, permissions: user.permissions.map(\.rawValue).sorted())
    }

    private func makeSession(_ user: SessionUser, in store: StoreSummary) async throws -> Session {
        // The tokens' own times are the system clock's: that is what every service checks their
        // expiry against (JWTKit). The refresh token's row follows the service clock, as the
        // exchange that consumes it does.
        let now = Date()
        let recorded = environment.configuration.clock.now()
        func claims(_ use: AccessClaims.Use, lifetime: TimeInterval, id: UUID = UUID()) -> AccessClaims {
            AccessClaims(
                userID: user.id, use: use, username: user.username, store: store.id, group: store.groupId, team: user.teamID,
                role: user.role, scope: user.scope, permissions: user.permissions, issuedAt: now, lifetime: lifetime, id: id)
        }
        let refreshID = UUID()
        let refreshToken = try await environment.tokens.sign(claims(.refresh, lifetime: configuration.refreshTokenLifetime, id: refreshID))
        try await environment.database.withTransaction { connection in
            try await RefreshTokenStore(connection: connection, logger: environment.logger).record(
                id: refreshID, userID: user.id, issuedAt: recorded, expiresAt: recorded.addingTimeInterval(configuration.refreshTokenLifetime))
        }
        return Session(
            accessToken: try await environment.tokens.sign(claims(.access, lifetime: configuration.accessTokenLifetime)),
            refreshToken: refreshToken,
            expiresIn: Int(configuration.accessTokenLifetime), user: summary(user), store: store, stores: user.stores)
    }
}

extension AuthRoutes.UserSummary: ResponseEncodable {}
