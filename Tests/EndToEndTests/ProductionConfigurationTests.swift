import Foundation
@testable import ServiceKit
import TestSupport
import XCTest

/// Outside `CRM_ENVIRONMENT=development` no secret has a default (issue 10): a service or the
/// gateway started without one, or with a value written in this repository, exits 78 with one
/// line naming the variable — and the same process with the installation's own values starts.
final class ProductionConfigurationTests: XCTestCase {
    /// An environment with nothing of the test run's (no CRM_ENVIRONMENT, no keys).
    private func run(_ binary: String, _ settings: [String: String], timeout: TimeInterval = 15) async throws -> (status: Int32?, output: String, process: Process) {
        let process = Process()
        process.executableURL = ServiceProcess.binaryFolder.appendingPathComponent(binary)
        process.environment = ["PATH": "/usr/bin:/bin", "CRM_HTTP_PORT": String(try ServiceProcess.freePort()), "CRM_LOG_FORMAT": "json"]
            .merging(settings) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { return (nil, "", process) }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text, process)
    }

    private func assertRefused(
        _ binary: String, _ settings: [String: String], naming variable: String, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let (status, output, process) = try await run(binary, settings)
        if status == nil { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        XCTAssertEqual(status, 78, "\(binary) with \(settings.keys.sorted()) was not refused: \(output)", file: file, line: line)
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "not one line: \(output)", file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("configuration error: \(variable):") ?? false, "does not name \(variable): \(output)", file: file, line: line)
    }

    func testSecretsHaveNoDefaultOutsideDevelopment() async throws {
        let postgres = try TestEnvironment.postgresURL
        let amqp = try TestEnvironment.amqpURL
        let password = "pw-\(UUID().uuidString)"
        let database = "postgres://crm_leads:\(password)@\(postgres.host):\(postgres.port)/dealer_crm"
        let broker = "amqp://crm-\(UUID().uuidString.prefix(6)):\(password)@\(amqp.host):\(amqp.port)/"
        let publicKeys = TestTokenKeys.publicKeys.json

        // Missing.
        try await assertRefused("crm-leads", [:], naming: "CRM_DATABASE_URL")
        try await assertRefused("crm-leads", ["CRM_DATABASE_URL": database], naming: "CRM_AMQP_URL")
        try await assertRefused("crm-leads", ["CRM_DATABASE_URL": database, "CRM_AMQP_URL": broker], naming: "CRM_JWKS_URL")
        try await assertRefused("crm-gateway", ["CRM_DATABASE_URL": database, "CRM_AMQP_URL": broker], naming: "CRM_JWT_SIGNING_KEYS")
        try await assertRefused(
            "crm-leads", ["CRM_DATABASE_URL": "postgres://crm_leads@\(postgres.host):\(postgres.port)/dealer_crm", "CRM_AMQP_URL": broker],
            naming: "CRM_DATABASE_URL")
        // Values written in this repository.
        let valid = ["CRM_DATABASE_URL": database, "CRM_AMQP_URL": broker, "CRM_JWT_PUBLIC_KEYS": publicKeys]
        for known in ["dealer-crm-dev", "CHANGE_ME", "guest"] {
            try await assertRefused(
                "crm-leads", valid.merging(["CRM_DATABASE_URL": "postgres://crm_leads:\(known)@\(postgres.host):\(postgres.port)/dealer_crm"]) { $1 },
                naming: "CRM_DATABASE_URL")
            try await assertRefused(
                "crm-leads", valid.merging(["CRM_AMQP_URL": "amqp://crm:\(known)@\(amqp.host):\(amqp.port)/"]) { $1 }, naming: "CRM_AMQP_URL")
        }
        try await assertRefused("crm-leads", valid.merging(["CRM_AMQP_URL": "amqp://guest:guest@\(amqp.host):\(amqp.port)/"]) { $1 }, naming: "CRM_AMQP_URL")
        let gateway = ["CRM_DATABASE_URL": database, "CRM_AMQP_URL": broker, "CRM_JWT_SIGNING_KEYS": TestTokenKeys.signing.json]
        try await assertRefused("crm-gateway", gateway.merging(["CRM_ADMIN_PASSWORD": "dealer-demo"]) { $1 }, naming: "CRM_ADMIN_PASSWORD")
        try await assertRefused("crm-gateway", gateway.merging(["CRM_ADMIN_PASSWORD": "admin-dev-password"]) { $1 }, naming: "CRM_ADMIN_PASSWORD")
        // The shared HMAC secret is gone for good; a service never holds a private key; the
        // clock of business rules cannot be set outside tests.
        try await assertRefused(
            "crm-leads", valid.merging(["CRM_JWT_SECRET": "dev-only-jwt-secret-change-me-0123456789"]) { $1 }, naming: "CRM_JWT_SECRET")
        try await assertRefused("crm-leads", valid.merging(["CRM_JWT_PUBLIC_KEYS": TestTokenKeys.signing.json]) { $1 }, naming: "CRM_JWT_PUBLIC_KEYS")
        try await assertRefused("crm-gateway", gateway.merging(["CRM_JWT_SIGNING_KEYS": publicKeys]) { $1 }, naming: "CRM_JWT_SIGNING_KEYS")
        try await assertRefused("crm-leads", valid.merging(["CRM_FIXED_TIME": "2026-11-22T10:00:00+08:00"]) { $1 }, naming: "CRM_FIXED_TIME")
        // AfterSales, Coupons and Marketing call each other: they need the installation's own internal token.
        try await assertRefused("crm-aftersales", valid, naming: "CRM_INTERNAL_TOKEN")
        try await assertRefused("crm-coupons", valid, naming: "CRM_INTERNAL_TOKEN")
        try await assertRefused("crm-marketing", valid.merging(["CRM_AFTERSALES_URL": "ftp://aftersales"]) { $1 }, naming: "CRM_AFTERSALES_URL")
        try await assertRefused("crm-coupons", valid.merging(["CRM_INTERNAL_TOKEN": "dealer-crm-internal-development-token"]) { $1 }, naming: "CRM_INTERNAL_TOKEN")
        try await assertRefused("crm-coupons", valid.merging(["CRM_INTERNAL_TOKEN": "short"]) { $1 }, naming: "CRM_INTERNAL_TOKEN")
        try await assertRefused("crm-marketing", valid.merging(["CRM_INTERNAL_TOKEN": String(repeating: "k", count: 40), "CRM_COUPONS_URL": "coupons"]) { $1 }, naming: "CRM_COUPONS_URL")

        // The control: the installation's own values pass the configuration. The process then
        // waits for a database that does not know its password, and keeps running.
        for (binary, settings) in [("crm-leads", valid), ("crm-gateway", gateway.merging(["CRM_ADMIN_PASSWORD": "an-own-\(password)"]) { $1 })] {
            let (status, output, process) = try await run(binary, settings, timeout: 3)
            XCTAssertNil(status, "\(binary) with its own secrets exited: \(output)")
            // It has nothing to finish: no database ever answered it.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
