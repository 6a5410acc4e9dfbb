import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// Each service logs in as its own role, which owns its schema and can touch nothing else.
final class DatabaseRoleTests: XCTestCase {
    func testAServiceRoleCannotReadOrWriteAnotherServicesSchema() async throws {
        let admin = try TestEnvironment.postgresURL
        // AfterSales' table exists once its migrations ran; run them as AfterSales would.
        let afterSales = try ServiceProcess(.afterSales)
        try afterSales.start()
        try await afterSales.waitUntilReady()
        await afterSales.stop()

        var leadsURL = admin
        leadsURL.user = ServiceIdentity.leads.databaseRole
        leadsURL.password = "dealer-crm-dev"
        let client = Database.makeClient(url: leadsURL, maximumConnections: 2, logger: .init(label: "test"))
        let run = Task { await client.run() }
        defer { run.cancel() }

        func sqlState(_ sql: String) async -> String? {
            do {
                try await client.query(PostgresQuery(unsafeSQL: sql))
                return nil
            } catch let error as PSQLError {
                return error.serverInfo?[.sqlState]
            } catch {
                return "\(error)"
            }
        }
        let insufficientPrivilege = "42501"
        let cannotRead = await sqlState("SELECT count(*) FROM aftersales.repair_order")
        XCTAssertEqual(cannotRead, insufficientPrivilege, "crm_leads must not read aftersales")
        let cannotWrite = await sqlState("INSERT INTO aftersales.inbox (consumer, event_id, event_type) VALUES ('x', 'y', 'z')")
        XCTAssertEqual(cannotWrite, insufficientPrivilege, "crm_leads must not write aftersales")
        let cannotCreateInPublic = await sqlState("CREATE TABLE public.sneaky (id int)")
        XCTAssertEqual(cannotCreateInPublic, insufficientPrivilege, "nobody creates tables in public")
        let ownSchema = await sqlState("CREATE TABLE leads.role_test_\(UUID().uuidString.prefix(6).lowercased()) (id int)")
        XCTAssertNil(ownSchema, "crm_leads works in its own schema")
    }

    /// Every role against every other schema: none reads another's outbox (each schema has one).
    func testNoServiceRoleReadsAnotherServicesSchema() async throws {
        let services = try ServiceIdentity.all.map(ServiceProcess.init)
        defer { services.forEach { $0.signal(SIGKILL) } }
        for service in services { try service.start() }
        for service in services { try await service.waitUntilReady() }
        for service in services { await service.stop() }

        let admin = try TestEnvironment.postgresURL
        for identity in ServiceIdentity.all {
            var url = admin
            url.user = identity.databaseRole
            url.password = "dealer-crm-dev"
            let client = Database.makeClient(url: url, maximumConnections: 1, logger: .init(label: "test"))
            let run = Task { await client.run() }
            defer { run.cancel() }
            for other in ServiceIdentity.all {
                var state: String?
                do {
                    try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(other.schema).outbox"))
                } catch let error as PSQLError {
                    state = error.serverInfo?[.sqlState]
                }
                if other == identity {
                    XCTAssertNil(state, "\(identity.databaseRole) reads its own schema")
                } else {
                    XCTAssertEqual(state, "42501", "\(identity.databaseRole) must not read \(other.schema)")
                }
            }
        }
    }
}
