import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// What the gateway puts into an empty installation, once its migrations are in:
///
/// - the built-in roles, always (missing ones are added on every start);
/// - with `CRM_ADMIN_PASSWORD` and no user yet: a dealer group, a first store and the user
///   `admin` (how a container deployment starts);
/// - with `CRM_SEED_DEMO=1` (only `./crm up` sets it): the demo group with stores HX000001 and
///   HX000002 and the demo users of the README, password `dealer-demo`.
///
/// Then it announces every store and user once, so that a service whose queue did not exist
/// when a change was first announced still catches up (versions make repeats harmless).
struct Seeder: Service {
    let environment: ServiceEnvironment
    let configuration: GatewayConfiguration
    let passwords: Passwords
    let seeded = Flag()

    static let demoPassword = "dealer-demo"

    struct DemoUser {
        var username: String
        var displayName: String
        var role: String
        var stores: [String]
        var team: String?
        var mobile: String?
    }

    static let demoStores: [(code: String, name: String)] = [
        ("HX000001", "华星汽车一店（武汉）"),
        ("HX000002", "华星汽车二店（襄阳）"),
    ]

    static let demoUsers: [DemoUser] = [
        DemoUser(username: "admin", displayName: "系统管理员", role: "admin", stores: ["HX000001", "HX000002"]),
        DemoUser(username: "gm.1", displayName: "刘建华", role: "gm", stores: ["HX000001"]),
        DemoUser(username: "gm.2", displayName: "周志强", role: "gm", stores: ["HX000002"]),
        DemoUser(username: "sales.manager.1", displayName: "陈晓东", role: "sales.manager", stores: ["HX000001"], team: "销售一组"),
        DemoUser(username: "sales.manager.2", displayName: "吴刚", role: "sales.manager", stores: ["HX000002"], team: "销售一组"),
        DemoUser(username: "consultant.1", displayName: "王磊", role: "consultant", stores: ["HX000001"], team: "销售一组", mobile: "13871150001"),
        DemoUser(username: "consultant.2", displayName: "郑晓", role: "consultant", stores: ["HX000002"], team: "销售一组", mobile: "13871150006"),
        DemoUser(username: "consultant.3", displayName: "马超", role: "consultant", stores: ["HX000001"], team: "销售二组", mobile: "13871150007"),
        DemoUser(username: "sales.leader.1", displayName: "钱进", role: "sales.leader", stores: ["HX000001"], team: "销售一组"),
        DemoUser(username: "sales.leader.2", displayName: "冯涛", role: "sales.leader", stores: ["HX000001"], team: "销售二组"),
        DemoUser(username: "cs.supervisor.1", displayName: "李娜", role: "cs.supervisor", stores: ["HX000001"], team: "客服组"),
        DemoUser(username: "cs.supervisor.2", displayName: "黄丽", role: "cs.supervisor", stores: ["HX000002"], team: "客服组"),
        DemoUser(username: "cs.agent.1", displayName: "张敏", role: "cs.agent", stores: ["HX000001"], team: "客服组", mobile: "13871150002"),
        DemoUser(username: "cs.agent.2", displayName: "赵静", role: "cs.agent", stores: ["HX000002"], team: "客服组", mobile: "13871150003"),
        DemoUser(username: "sa.1", displayName: "王建国", role: "sa", stores: ["HX000001"], mobile: "13871150004"),
        DemoUser(username: "sa.2", displayName: "孙伟", role: "sa", stores: ["HX000002"], mobile: "13871150005"),
        DemoUser(username: "sa.3", displayName: "何斌", role: "sa", stores: ["HX000001"], mobile: "13871150008"),
        DemoUser(username: "as.director.1", displayName: "许国平", role: "as.director", stores: ["HX000001"]),
        DemoUser(username: "as.director.2", displayName: "沈立新", role: "as.director", stores: ["HX000002"]),
        DemoUser(username: "renewal.1", displayName: "林芳", role: "renewal", stores: ["HX000001"], mobile: "13871150009"),
        DemoUser(username: "renewal.2", displayName: "高洁", role: "renewal", stores: ["HX000002"], mobile: "13871150010"),
        DemoUser(username: "finance.1", displayName: "杨帆", role: "finance", stores: ["HX000001"]),
        DemoUser(username: "finance.2", displayName: "罗敏", role: "finance", stores: ["HX000002"]),
        DemoUser(username: "cashier.1", displayName: "胡小燕", role: "cashier", stores: ["HX000001"]),
        DemoUser(username: "cashier.2", displayName: "朱婷", role: "cashier", stores: ["HX000002"]),
        DemoUser(username: "hq.1", displayName: "邓总部", role: "hq", stores: ["HX000001", "HX000002"]),
        DemoUser(username: "marketing.1", displayName: "张阳", role: "marketing", stores: ["HX000001"]),
        DemoUser(username: "marketing.2", displayName: "彭丽", role: "marketing", stores: ["HX000002"]),
    ]

    func run() async throws {
        var backoff = Backoff(initial: 0.5, maximum: 5)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await seed()
                seeded.set()
                environment.logger.info("identity seeded and announced")
                break
            } catch {
                // Usually: the migrations are not applied yet.
                environment.logger.debug("seeding waits", metadata: ["error": "\(DatabaseFailure.logText(error))"])
                try? await Task.sleep(for: .seconds(backoff.next()))
            }
        }
        try? await gracefulShutdown()
    }

    func seed() async throws {
        try await environment.database.withTransaction { connection in
            // One seeder at a time, even with several gateway replicas.
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(hashtext('identity.seed'))"), logger: environment.logger)
            let admin = AdminStore(connection: connection, logger: environment.logger, now: environment.configuration.clock.now())
            for role in BuiltInRoles.all {
                _ = try await admin.createRole(
                    id: UUID(), code: role.code, name: role.name, scope: role.scope, permissions: role.permissions.map(\.rawValue), builtIn: true)
            }
            if configuration.seedDemo {
                try await seedDemo(connection: connection, admin: admin)
            }
            if let password = configuration.adminPassword {
                try await seedAdministrator(password: password, connection: connection, admin: admin)
            }
            let announcer = IdentityAnnouncer(connection: connection, outbox: environment.outbox, logger: environment.logger)
            for id in try await connection.query(PostgresQuery(unsafeSQL: "SELECT id FROM identity.store"), logger: environment.logger).decode(UUID.self).all() {
                try await announcer.announceStore(id)
            }
            for id in try await connection.query(PostgresQuery(unsafeSQL: "SELECT id FROM identity.app_user"), logger: environment.logger).decode(UUID.self).all() {
                try await announcer.announceUser(id)
            }
        }
    }

    private func group(named name: String, connection: PostgresConnection) async throws -> UUID {
        if let existing = try await connection.query(PostgresQuery(unsafeSQL: "SELECT id FROM identity.dealer_group ORDER BY name LIMIT 1"), logger: environment.logger)
            .decode(UUID.self).all().first
        {
            return existing
        }
        let id = UUID()
        try await connection.query("INSERT INTO identity.dealer_group (id, name) VALUES (\(id), \(name))", logger: environment.logger)
        return id
    }

    private func seedDemo(connection: PostgresConnection, admin: AdminStore) async throws {
        let groupID = try await group(named: "华星汽车集团", connection: connection)
        for store in Self.demoStores {
            _ = try await admin.createStore(id: StoreID.forStoreCode(store.code), group: groupID, code: store.code, name: store.name, timeZone: "Asia/Shanghai")
        }
        var teams: [String: UUID] = [:]
        for store in Self.demoStores {
            let storeID = StoreID.forStoreCode(store.code)
            for name in ["销售一组", "销售二组", "客服组"] {
                _ = try await admin.createTeam(id: UUID(), store: storeID, name: name)
            }
            for team in try await admin.teams(group: groupID, store: storeID) { teams["\(store.code)/\(team.name)"] = team.id }
        }
        let hash = try await passwords.hash(Self.demoPassword)
        for user in Self.demoUsers {
            guard let role = try await admin.role(code: user.role) else { continue }
            let teamID = user.team.flatMap { teams["\(user.stores[0])/\($0)"] }
            _ = try await admin.createUser(
                id: UUID(), username: user.username, displayName: user.displayName, mobile: user.mobile, passwordHash: hash,
                roleID: role.id, teamID: teamID, supervisorID: nil, storeIDs: user.stores.map(StoreID.forStoreCode))
        }
    }

    private func seedAdministrator(password: String, connection: PostgresConnection, admin: AdminStore) async throws {
        let users = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM identity.app_user"), logger: environment.logger).decode(Int.self).all().first ?? 0
        guard users == 0, let role = try await admin.role(code: "admin") else { return }
        let environmentValues = ProcessInfo.processInfo.environment
        let groupID = try await group(named: environmentValues["CRM_GROUP_NAME"] ?? "Dealer group", connection: connection)
        let code = (environmentValues["CRM_FIRST_STORE_CODE"] ?? "HX000001").uppercased()
        let storeID = StoreID.forStoreCode(code)
        _ = try await admin.createStore(
            id: storeID, group: groupID, code: code, name: environmentValues["CRM_FIRST_STORE_NAME"] ?? code,
            timeZone: environmentValues["CRM_FIRST_STORE_TIME_ZONE"] ?? "Asia/Shanghai")
        _ = try await admin.createUser(
            id: UUID(), username: "admin", displayName: "Administrator", mobile: nil, passwordHash: try await passwords.hash(password),
            roleID: role.id, teamID: nil, supervisorID: nil, storeIDs: [storeID])
    }
}
