import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// Stores, teams, users and roles (G1, G2), for administrators of a dealer group. Every change
/// of a store or user is announced to the other services in the same transaction.
struct AdminRoutes: Sendable {
    let environment: ServiceEnvironment
    let passwords: Passwords

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("identity/stores", use: listStores)
        group.post("identity/stores", use: createStore)
        group.get("identity/stores/:id", use: getStore)
        group.patch("identity/stores/:id", use: updateStore)
        group.get("identity/teams", use: listTeams)
        group.post("identity/teams", use: createTeam)
        group.get("identity/roles", use: listRoles)
        group.post("identity/roles", use: createRole)
        group.get("identity/roles/:id", use: getRole)
        group.patch("identity/roles/:id", use: updateRole)
        group.get("identity/permissions", use: listPermissions)
        group.get("identity/users", use: listUsers)
        group.post("identity/users", use: createUser)
        group.get("identity/users/:id", use: getUser)
        group.patch("identity/users/:id", use: updateUser)
    }

    private func transaction<Result: Sendable>(_ body: (AdminStore, IdentityAnnouncer) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(
                AdminStore(connection: connection, logger: environment.logger, now: environment.configuration.clock.now()),
                IdentityAnnouncer(connection: connection, outbox: environment.outbox, logger: environment.logger))
        }
    }

    // MARK: stores

    @Sendable func listStores(_ request: Request, context: CRMRequestContext) async throws -> Page<StoreView> {
        let principal = try context.require(.administerIdentity)
        let stores = try await transaction { store, _ in try await store.stores(group: principal.groupID) }
        return Page.all(stores)
    }

    @Sendable func getStore(_ request: Request, context: CRMRequestContext) async throws -> StoreView {
        let principal = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        guard let view = try await transaction({ store, _ in try await store.store(id, group: principal.groupID) }) else {
            throw ProblemDetails.notFound("store \(id)")
        }
        return view
    }

    @Sendable func createStore(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<StoreView> {
        let principal = try context.require(.administerIdentity)
        let body = try await request.decodeJSON(as: NewStore.self, context: context)
        var check = FieldValidator()
        let code = check.text("code", body.code, maxLength: 20).uppercased()
        check.require(code.range(of: "^[A-Z0-9]{2,20}$", options: .regularExpression) != nil, "code", "must be 2 to 20 letters and digits, like HX000001")
        let name = check.text("name", body.name, maxLength: 100)
        check.require(TimeZone(identifier: body.timeZone) != nil, "timeZone", "must be an IANA time zone, like Asia/Shanghai")
        try check.throwIfInvalid()
        let id = StoreID.forStoreCode(code)
        let view = try await transaction { store, announcer in
            guard try await store.createStore(id: id, group: principal.groupID, code: code, name: name, timeZone: body.timeZone) else {
                throw ProblemDetails.conflict("a store with the code \(code) exists already")
            }
            try await announcer.announceStore(id)
            return try await store.store(id, group: principal.groupID)!
        }
        return EditedResponse(status: .created, response: view)
    }

    @Sendable func updateStore(_ request: Request, context: CRMRequestContext) async throws -> StoreView {
        let principal = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: StoreChange.self, context: context)
        var check = FieldValidator()
        let name = body.name.map { check.text("name", $0, maxLength: 100) }
        if let timeZone = body.timeZone {
            check.require(TimeZone(identifier: timeZone) != nil, "timeZone", "must be an IANA time zone, like Asia/Shanghai")
        }
        try check.throwIfInvalid()
        return try await transaction { store, announcer in
            guard try await store.store(id, group: principal.groupID) != nil else { throw ProblemDetails.notFound("store \(id)") }
            try await store.updateStore(id, name: name, timeZone: body.timeZone)
            try await announcer.announceStore(id)
            return try await store.store(id, group: principal.groupID)!
        }
    }

    // MARK: teams

    @Sendable func listTeams(_ request: Request, context: CRMRequestContext) async throws -> Page<TeamView> {
        let principal = try context.require(.administerIdentity)
        var query = QueryReader(request)
        let storeID = query.uuid("storeId")
        try query.throwIfInvalid()
        let teams = try await transaction { store, _ in try await store.teams(group: principal.groupID, store: storeID) }
        return Page.all(teams)
    }

    @Sendable func createTeam(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<TeamView> {
        let principal = try context.require(.administerIdentity)
        let body = try await request.decodeJSON(as: NewTeam.self, context: context)
        var check = FieldValidator()
        let name = check.text("name", body.name, maxLength: 50)
        try check.throwIfInvalid()
        let id = UUID()
        let team = try await transaction { store, _ in
            guard try await store.store(body.storeId, group: principal.groupID) != nil else {
                throw ProblemDetails.validation([.init(field: "storeId", message: "is not a store of your group")])
            }
            guard try await store.createTeam(id: id, store: body.storeId, name: name) else {
                throw ProblemDetails.conflict("the store has a team named \(name) already")
            }
            return TeamView(id: id, storeId: body.storeId, name: name)
        }
        return EditedResponse(status: .created, response: team)
    }

    // MARK: roles

    @Sendable func listRoles(_ request: Request, context: CRMRequestContext) async throws -> Page<RoleView> {
        _ = try context.require(.administerIdentity)
        let roles = try await transaction { store, _ in try await store.roles() }
        return Page.all(roles)
    }

    @Sendable func getRole(_ request: Request, context: CRMRequestContext) async throws -> RoleView {
        _ = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        guard let role = try await transaction({ store, _ in try await store.role(id: id) }) else { throw ProblemDetails.notFound("role \(id)") }
        return role
    }

    private func checkPermissions(_ permissions: [String], into check: inout FieldValidator) {
        let known = Set(Permission.all.map(\.rawValue))
        for (index, permission) in permissions.enumerated() where !known.contains(permission) {
            check.fail("permissions[\(index)]", "is not a permission; GET /api/v1/identity/permissions lists them")
        }
    }

    @Sendable func createRole(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<RoleView> {
        _ = try context.require(.administerIdentity)
        let body = try await request.decodeJSON(as: NewRole.self, context: context)
        var check = FieldValidator()
        let code = check.text("code", body.code, maxLength: 50).lowercased()
        check.require(code.range(of: "^[a-z][a-z0-9.\\-]{1,49}$", options: .regularExpression) != nil, "code", "must be lower-case letters, digits, dots and dashes, like cs.agent")
        let name = check.text("name", body.name, maxLength: 100)
        checkPermissions(body.permissions, into: &check)
        try check.throwIfInvalid()
        let id = UUID()
        let role = try await transaction { store, _ in
            guard try await store.createRole(id: id, code: code, name: name, scope: body.dataScope, permissions: Array(Set(body.permissions)).sorted(), builtIn: false) else {
                throw ProblemDetails.conflict("a role with the code \(code) exists already")
            }
            return try await store.role(id: id)!
        }
        return EditedResponse(status: .created, response: role)
    }

    @Sendable func updateRole(_ request: Request, context: CRMRequestContext) async throws -> RoleView {
        _ = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: RoleChange.self, context: context)
        var check = FieldValidator()
        let name = body.name.map { check.text("name", $0, maxLength: 100) }
        if let permissions = body.permissions { checkPermissions(permissions, into: &check) }
        try check.throwIfInvalid()
        return try await transaction { store, _ in
            guard try await store.role(id: id) != nil else { throw ProblemDetails.notFound("role \(id)") }
            try await store.updateRole(id, name: name, scope: body.dataScope, permissions: body.permissions.map { Array(Set($0)).sorted() })
            return try await store.role(id: id)!
        }
    }

    @Sendable func listPermissions(_ request: Request, context: CRMRequestContext) async throws -> PermissionList {
        _ = try context.require(.administerIdentity)
        return PermissionList(items: Permission.all.map { PermissionView(code: $0.rawValue) })
    }

    // MARK: users

    @Sendable func listUsers(_ request: Request, context: CRMRequestContext) async throws -> Page<UserView> {
        let principal = try context.require(.administerIdentity)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let storeID = query.uuid("storeId")
        let role = query.string("role", maxLength: 50)
        let search = query.string("q", maxLength: 100)
        try query.throwIfInvalid()
        return try await transaction { store, _ in
            try await store.users(group: principal.groupID, store: storeID, role: role, search: search, page: page)
        }
    }

    @Sendable func getUser(_ request: Request, context: CRMRequestContext) async throws -> UserView {
        let principal = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        return try await transaction { store, _ in try await visibleUser(id, principal: principal, store: store) }
    }

    /// The user, if they work in the administrator's group (or in no store yet).
    private func visibleUser(_ id: UUID, principal: Principal, store: AdminStore) async throws -> UserView {
        guard let user = try await store.user(id) else { throw ProblemDetails.notFound("user \(id)") }
        if !user.storeIds.isEmpty, try await store.storesInGroup(user.storeIds, group: principal.groupID).isEmpty {
            throw ProblemDetails.notFound("user \(id)")
        }
        return user
    }

    /// Checks the references a user record makes; returns the role's id.
    private func checkReferences(
        role: String?, storeIDs: [UUID]?, teamID: UUID?, supervisorID: UUID?, principal: Principal, store: AdminStore
    ) async throws -> UUID? {
        var check = FieldValidator()
        var roleID: UUID?
        if let role {
            roleID = try await store.role(code: role)?.id
            check.require(roleID != nil, "role", "is not a role; GET /api/v1/identity/roles lists them")
        }
        if let storeIDs {
            let known = try await store.storesInGroup(storeIDs, group: principal.groupID)
            for (index, id) in storeIDs.enumerated() where !known.contains(id) {
                check.fail("storeIds[\(index)]", "is not a store of your group")
            }
        }
        if let teamID {
            let team = try await store.team(teamID, group: principal.groupID)
            check.require(team != nil, "teamId", "is not a team of your group")
            if let team, let storeIDs { check.require(storeIDs.contains(team.storeId), "teamId", "belongs to a store the user does not work in") }
        }
        if let supervisorID {
            // Only someone of the administrator's own group can supervise.
            var inGroup = false
            if let supervisor = try await store.user(supervisorID) {
                let groupStores = try await store.storesInGroup(supervisor.storeIds, group: principal.groupID)
                inGroup = supervisor.storeIds.isEmpty || !groupStores.isEmpty
            }
            check.require(inGroup, "supervisorId", "is not a user of your group")
        }
        try check.throwIfInvalid()
        return roleID
    }

    @Sendable func createUser(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<UserView> {
        let principal = try context.require(.administerIdentity)
        let body = try await request.decodeJSON(as: NewUser.self, context: context)
        var check = FieldValidator()
        let username = check.text("username", body.username, maxLength: 50).lowercased()
        check.require(username.range(of: "^[a-z0-9][a-z0-9._\\-]{1,49}$", options: .regularExpression) != nil, "username", "must be 2 to 50 letters, digits, dots, dashes or underscores")
        let displayName = check.text("displayName", body.displayName, maxLength: 50)
        let mobile = check.optionalMobile("mobile", body.mobile)
        Passwords.check(body.password, field: "password", into: &check)
        check.require(!body.storeIds.isEmpty, "storeIds", "must name at least one store")
        try check.throwIfInvalid()
        let hash = try await passwords.hash(body.password)
        let id = UUID()
        let user = try await transaction { store, announcer in
            let roleID = try await checkReferences(
                role: body.role, storeIDs: body.storeIds, teamID: body.teamId, supervisorID: body.supervisorId, principal: principal, store: store)
            guard try await store.createUser(
                id: id, username: username, displayName: displayName, mobile: mobile, passwordHash: hash, roleID: roleID!,
                teamID: body.teamId, supervisorID: body.supervisorId, storeIDs: Array(Set(body.storeIds)))
            else {
                throw ProblemDetails.conflict("the username \(username) is taken")
            }
            try await announcer.announceUser(id)
            return try await store.user(id)!
        }
        return EditedResponse(status: .created, response: user)
    }

    @Sendable func updateUser(_ request: Request, context: CRMRequestContext) async throws -> UserView {
        let principal = try context.require(.administerIdentity)
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: UserChange.self, context: context)
        var check = FieldValidator()
        let displayName = body.displayName.map { check.text("displayName", $0, maxLength: 50) }
        let mobile = check.optionalMobile("mobile", body.mobile)
        if let password = body.password { Passwords.check(password, field: "password", into: &check) }
        if let storeIDs = body.storeIds { check.require(!storeIDs.isEmpty, "storeIds", "must name at least one store") }
        try check.throwIfInvalid()
        let hash = try await body.password.asyncMap { try await passwords.hash($0) }
        return try await transaction { store, announcer in
            let current = try await visibleUser(id, principal: principal, store: store)
            let roleID = try await checkReferences(
                role: body.role, storeIDs: body.storeIds, teamID: body.teamId, supervisorID: body.supervisorId, principal: principal, store: store)
            if let storeIDs = body.storeIds { try await store.setStores(of: id, Array(Set(storeIDs))) }
            try await store.updateUser(id, .init(
                displayName: displayName, mobile: mobile, roleID: roleID, teamID: body.teamId, supervisorID: body.supervisorId,
                active: body.active, passwordHash: hash, unlock: body.unlock ?? false))
            try await announcer.announceUser(current.id)
            return try await store.user(id)!
        }
    }
}

extension Optional {
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
