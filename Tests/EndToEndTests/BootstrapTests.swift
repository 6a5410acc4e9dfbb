import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// How a container deployment starts (README, "CRM_ADMIN_PASSWORD"): in an empty installation
/// the gateway creates the user `admin` with that password, a dealer group and a first store
/// (`CRM_FIRST_STORE_CODE`); once a user exists, a later start with another password creates
/// nothing and changes no password (Seeder: only "with `CRM_ADMIN_PASSWORD` and no user yet").
///
/// The test run's database already holds the demo identity, so the gateway gets an empty
/// installation of its own: a fresh database with only the `identity` schema, owned by
/// `crm_identity` as `Deploy/postgres/create-roles.sh` sets it up. The database is dropped at
/// the end.
final class BootstrapTests: XCTestCase {
    func testAdminPasswordBootstrapsAnEmptyInstallationOnceWithABcryptHash() async throws {
        let name = "crm_bootstrap_\(UUID().uuidString.prefix(8).lowercased())"
        let superuser = try TestEnvironment.postgresURL
        let admin = try await AdminDatabase()
        defer { admin.shutdown() }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))

        var installationURL = superuser
        installationURL.database = name
        let installation = Database.makeClient(url: installationURL, maximumConnections: 2, logger: .init(label: "test"))
        let installationTask = Task { await installation.run() }
        var processes: [ServiceProcess] = []
        do {
            // As create-roles.sh does in an installation's database; the role is cluster-wide and
            // already exists.
            for statement in [
                "CREATE SCHEMA identity AUTHORIZATION crm_identity",
                "REVOKE ALL ON DATABASE \(name) FROM PUBLIC",
                "GRANT CONNECT ON DATABASE \(name) TO crm_identity",
            ] {
                try await installation.query(PostgresQuery(unsafeSQL: statement))
            }
            func count(_ table: String) async throws -> Int {
                for try await value in try await installation.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM identity.\(table)")).decode(Int.self) {
                    return value
                }
                return -1
            }
            func adminHash() async throws -> String? {
                for try await hash in try await installation.query("SELECT password_hash FROM identity.app_user WHERE username = 'admin'").decode(String.self) {
                    return hash
                }
                return nil
            }

            let database = try ServiceProcess.databaseURL
            let databaseURL = "postgres://crm_identity:dealer-crm-dev@\(database.host):\(database.port)/\(name)"
            let firstPassword = "first-\(UUID().uuidString)"
            let secondPassword = "second-\(UUID().uuidString)"
            func startGateway(password: String) async throws -> ServiceProcess {
                let gateway = try ServiceProcess(.gateway)
                processes.append(gateway)
                try gateway.start(overrides: [
                    "CRM_DATABASE_URL": databaseURL,
                    "CRM_ADMIN_PASSWORD": password,
                    "CRM_FIRST_STORE_CODE": "HX424242",
                    "CRM_SEED_DEMO": "",
                    "CRM_BCRYPT_COST": "5",
                ])
                try await gateway.waitUntilReady()
                // Ready says nothing of the seeding, which runs beside the HTTP server.
                let seeded = try await eventually(timeout: .seconds(30)) { gateway.log.contains("identity seeded and announced") }
                guard seeded else { throw TestFailure("the gateway never seeded; log:\n\(gateway.log.suffix(3000))") }
                return gateway
            }

            // First start: an empty installation.
            let first = try await startGateway(password: firstPassword)
            let afterFirst = (users: try await count("app_user"), groups: try await count("dealer_group"), stores: try await count("store"))
            XCTAssertEqual(afterFirst.users, 1, "users after the first start")
            XCTAssertEqual(afterFirst.groups, 1, "groups after the first start")
            XCTAssertEqual(afterFirst.stores, 1, "stores after the first start")

            let login = try await first.request(.POST, "/api/v1/auth/login", json: ["username": "admin", "password": firstPassword])
            XCTAssertEqual(login.status, 200, "admin logs in with CRM_ADMIN_PASSWORD: \(login.text)")
            let token = try XCTUnwrap(login.json["accessToken"] as? String, login.text)
            let loginStores = (login.json["stores"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            XCTAssertEqual(loginStores, ["HX424242"], "the admin's stores: \(login.text)")
            XCTAssertEqual((login.json["store"] as? [String: Any])?["code"] as? String, "HX424242")

            let me = try await first.request(.GET, "/api/v1/auth/me", token: token)
            XCTAssertEqual(me.status, 200, me.text)
            XCTAssertEqual(me.json["username"] as? String, "admin")
            XCTAssertEqual(me.json["role"] as? String, "admin")

            let stores = try await first.request(.GET, "/api/v1/identity/stores", token: token)
            XCTAssertEqual(stores.status, 200, stores.text)
            let items = stores.json["items"] as? [[String: Any]] ?? []
            XCTAssertEqual(items.compactMap { $0["code"] as? String }, ["HX424242"], "the group's stores: \(stores.text)")
            XCTAssertEqual(
                (items.first?["id"] as? String)?.lowercased(), StoreID.forStoreCode("HX424242").uuidString.lowercased(),
                "the store's id is the one derived from its code")

            // The password is kept as a bcrypt hash of the configured cost.
            let storedHash = try await adminHash()
            let hash = try XCTUnwrap(storedHash, "no admin in the database")
            XCTAssertTrue(hash.hasPrefix("$2"), "not a bcrypt hash: \(hash.prefix(7))…")
            XCTAssertEqual(hash.split(separator: "$", omittingEmptySubsequences: true).dropFirst().first, "05", "bcrypt cost is not CRM_BCRYPT_COST=5: \(hash.prefix(7))…")
            XCTAssertFalse(hash.contains(firstPassword), "the hash contains the password")
            await first.stop()

            // Second start on the same installation, with another password: a user exists, so
            // nothing is created and the password stays.
            let second = try await startGateway(password: secondPassword)
            let afterSecond = (users: try await count("app_user"), groups: try await count("dealer_group"), stores: try await count("store"))
            XCTAssertEqual(afterSecond.users, 1, "users after a second start")
            XCTAssertEqual(afterSecond.groups, 1, "groups after a second start")
            XCTAssertEqual(afterSecond.stores, 1, "stores after a second start")
            let hashAfterSecond = try await adminHash()
            XCTAssertEqual(hashAfterSecond, hash, "a second start changed the admin's password hash")

            let withNew = try await second.request(.POST, "/api/v1/auth/login", json: ["username": "admin", "password": secondPassword])
            XCTAssertEqual(withNew.status, 401, "the second CRM_ADMIN_PASSWORD logs in: \(withNew.text)")
            let withFirst = try await second.request(.POST, "/api/v1/auth/login", json: ["username": "admin", "password": firstPassword])
            XCTAssertEqual(withFirst.status, 200, "the first password no longer logs in: \(withFirst.text)")
            let secondToken = try XCTUnwrap(withFirst.json["accessToken"] as? String, withFirst.text)
            let storesAfter = try await second.request(.GET, "/api/v1/identity/stores", token: secondToken)
            XCTAssertEqual(
                (storesAfter.json["items"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }, ["HX424242"],
                "the stores after a second start: \(storesAfter.text)")
            await second.stop()
        } catch {
            for process in processes { await process.stop() }
            installationTask.cancel()
            try? await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            throw error
        }
        for process in processes { await process.stop() }
        installationTask.cancel()
        try await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }
}
