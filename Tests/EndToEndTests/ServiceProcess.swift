import AsyncHTTPClient
import Foundation
import Synchronization
import NIOCore
import NIOHTTP1
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ServiceKit
import TestSupport
import XCTest

/// A service binary run as its own process against the test run's PostgreSQL and RabbitMQ.
final class ServiceProcess {
    let identity: ServiceIdentity
    let port: Int
    private var process: Process?
    let logFile: URL

    init(_ identity: ServiceIdentity) throws {
        self.identity = identity
        self.port = try Self.freePort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("crm-e2e-\(identity.name)-\(UUID().uuidString.prefix(6)).log")
    }

    static var binaryFolder: URL {
        if let folder = ProcessInfo.processInfo.environment["CRM_BIN_DIR"] { return URL(fileURLWithPath: folder) }
        // Tests/EndToEndTests/ServiceProcess.swift → the package root → .build/debug
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug")
    }

    static var databaseURL: (host: String, port: Int) {
        get throws {
            let url = try TestEnvironment.postgresURL
            return (url.host, url.port)
        }
    }

    /// Starts the binary; `overrides` replace settings of the environment it would get.
    func start(overrides: [String: String] = [:]) throws {
        let database = try Self.databaseURL
        let process = Process()
        process.executableURL = Self.binaryFolder.appendingPathComponent("crm-\(identity.name)")
        var environment = ProcessInfo.processInfo.environment
        environment["CRM_HTTP_PORT"] = String(port)
        environment["CRM_DATABASE_URL"] = "postgres://\(identity.databaseRole):dealer-crm-dev@\(database.host):\(database.port)/dealer_crm"
        environment["CRM_AMQP_URL"] = try TestEnvironment.amqpURLText
        environment["CRM_LOG_FORMAT"] = "json"
        environment["CRM_ENVIRONMENT"] = "development"
        // Only the gateway holds the private key; a service verifies with the public one.
        environment["CRM_JWKS_URL"] = nil
        if identity == .gateway {
            environment["CRM_JWT_SIGNING_KEYS"] = TestTokenKeys.signing.json
        } else {
            environment["CRM_JWT_PUBLIC_KEYS"] = TestTokenKeys.publicKeys.json
        }
        environment.merge(overrides) { _, override in override }
        process.environment = environment
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }
    var isRunning: Bool { process?.isRunning ?? false }

    func signal(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; its exit status, or nil if it did not exit in time.
    func waitForExit(timeout: TimeInterval) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while let process, process.isRunning, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard let process, !process.isRunning else { return nil }
        return process.terminationStatus
    }

    func stop() async {
        signal(SIGTERM)
        if await waitForExit(timeout: 10) == nil { signal(SIGKILL) }
    }

    func get(_ path: String) async throws -> (status: Int, body: Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func waitUntilReady(timeout: TimeInterval = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { throw TestFailure("\(identity.name) exited; log:\n\(log)") }
            if let (status, _) = try? await get("/health/ready"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(identity.name) not ready within \(timeout) s; log:\n\(log)")
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// A port no other socket holds, for a service to listen on: drawn from 21000–31999, below
    /// Linux's ephemeral range (32768–60999). A port the kernel hands out for `bind(0)` is one it
    /// also gives the outgoing connections of every process here (to PostgreSQL, to RabbitMQ, to
    /// the gateway); between picking it and the service binding it, such a connection took one
    /// once ("Address already in use"). Each port is handed out once per test run.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 21_000...31_999)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if canBind(port) { return port }
        }
        throw TestFailure("no free port in 21000–31999")
    }

    private static let handedOut = Mutex(Set<Int>())

    /// Whether a listening socket could be bound to `port` on loopback now.
    private static func canBind(_ port: Int) -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return false }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) == 0 }
        }
    }
}

extension ServiceProcess {
    /// Sends a request straight to the service on `port`, not through the gateway: for tests
    /// that run a service alone (with a token of their own) or a gateway on its own database.
    static func request(
        port: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, bytes: Data? = nil,
        contentType: String = "application/octet-stream"
    ) async throws -> Suite.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let bytes {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Suite.Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil) async throws -> Suite.Reply {
        try await Self.request(port: port, method, path, token: token, json: json)
    }
}
