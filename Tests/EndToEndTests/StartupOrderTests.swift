import Foundation
import PostgresNIO
@testable import ServiceKit
import TestSupport
import XCTest

/// A service takes no API request and starts no background work before its migrations are
/// applied (issue 12): the health routes answer from the first moment, the API says 503.
final class StartupOrderTests: XCTestCase {
    /// The migrations are held back by the test holding their advisory lock (what a second
    /// replica migrating at the same moment does): meanwhile a request with a good token is a
    /// 503 with `Retry-After`, and the same request answers once the lock is let go.
    func testWhileMigrationsWaitTheAPIAnswers503AndThenServes() async throws {
        let admin = try await AdminDatabase()
        defer { admin.shutdown() }
        let holding = Flag(), release = Flag()
        let locker = Task {
            try await admin.client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(hashtext('leads.migrations'))", logger: .init(label: "test"))
                holding.set()
                await release.wait()
                try await connection.query("SELECT pg_advisory_unlock(hashtext('leads.migrations'))", logger: .init(label: "test"))
            }
        }
        defer { release.set() }
        let locked = try await eventually(timeout: .seconds(10)) { holding.isSet }
        XCTAssertTrue(locked)

        let leads = try ServiceProcess(.leads)
        try leads.start()
        defer { leads.signal(SIGKILL) }
        let live = try await eventually(timeout: .seconds(30)) { (try? await leads.get("/health/live"))?.status == 200 }
        XCTAssertTrue(live, "log:\n\(leads.log.suffix(1500))")
        let caller = try await DirectCaller.make(leads, role: "sales.manager", permissions: [.readLeads])
        let early = try await caller.request(.GET, "/api/v1/leads/leads")
        XCTAssertEqual(early.status, 503, early.text)
        XCTAssertTrue(early.isProblem)
        XCTAssertEqual(early.headers.first(name: "retry-after"), "5")
        let ready = try await leads.get("/health/ready")
        XCTAssertEqual(ready.status, 503)
        // Not ready for the reason the API gives, even when the schema is up to date already
        // (another replica, or an earlier run, applied the migrations): the 503 is this process's.
        let report = try JSONSerialization.jsonObject(with: ready.body) as? [String: Any]
        XCTAssertEqual((report?["checks"] as? [String: String])?["migrations"], "failing", String(decoding: ready.body, as: UTF8.self))

        release.set()
        try await locker.value
        try await leads.waitUntilReady()
        let later = try await caller.request(.GET, "/api/v1/leads/leads")
        XCTAssertEqual(later.status, 200, later.text)
        await leads.stop()
    }

    /// Started on an empty schema — a new installation — a service logs no failure: its
    /// announcement backlog used to run before the migrations and log "relation does not exist".
    func testAServiceStartedOnAnEmptySchemaLogsNoFailure() async throws {
        let name = "crm_empty_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await AdminDatabase()
        defer { admin.shutdown() }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        var url = try TestEnvironment.postgresURL
        url.database = name
        let installation = Database.makeClient(url: url, maximumConnections: 1, logger: .init(label: "test"))
        let run = Task { await installation.run() }
        let leads = try ServiceProcess(.leads)
        do {
            for statement in ["CREATE SCHEMA leads AUTHORIZATION crm_leads", "GRANT CONNECT ON DATABASE \(name) TO crm_leads"] {
                try await installation.query(PostgresQuery(unsafeSQL: statement))
            }
            let server = try ServiceProcess.databaseURL
            try leads.start(overrides: ["CRM_DATABASE_URL": "postgres://crm_leads:dealer-crm-dev@\(server.host):\(server.port)/\(name)"])
            try await leads.waitUntilReady()
            // The backlog worker runs every half second: give it a few passes.
            try await Task.sleep(for: .seconds(2))
            let log = leads.log
            XCTAssertTrue(log.contains("applied migration"), log)
            let failures = log.split(separator: "\n").filter {
                $0.contains(#""level":"warning""#) || $0.contains(#""level":"error""#) || $0.contains("failed")
            }
            XCTAssertEqual(failures, [], "a start on an empty schema logs no failure")
        } catch {
            leads.signal(SIGKILL)
            run.cancel()
            _ = try? await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            throw error
        }
        await leads.stop()
        run.cancel()
        _ = try? await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }
}
