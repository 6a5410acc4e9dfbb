import Foundation
import XCTest

/// Runs `validate_event.py` (beside this file), which checks events against the JSON Schemas of
/// `Shared/Contracts/asyncapi.yaml` with python-jsonschema.
///
/// The schemas are checked by an independent implementation on purpose: a Swift validator
/// written here would share the Swift types' assumptions, while the ERP vendor's tooling will not.
struct SchemaValidator {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    static let script = testsFolder.appendingPathComponent("validate_event.py")
    static let asyncAPIDocument = repositoryRoot.appendingPathComponent("Shared/Contracts/asyncapi.yaml")

    /// The script's exit code for missing Python packages.
    private static let missingPackagesStatus: Int32 = 3

    let python: URL

    /// A validator, or an `XCTSkip` when there is no `python3` at all. Missing Python packages
    /// are a failure, not a skip: the test command installs them, so their absence is a bug.
    static func make() throws -> SchemaValidator {
        guard let python = findExecutable("python3") else {
            throw XCTSkip("python3 is not on PATH; the contract schemas cannot be checked")
        }
        let validator = SchemaValidator(python: python)
        let probe = try validator.run(["--list-types"])
        if probe.status == missingPackagesStatus {
            throw ValidatorFailure(
                "validate_event.py cannot run: \(probe.errors)")
        }
        return validator
    }

    // MARK: - What the tests ask

    /// The event types of asyncapi.yaml's channels.
    func channelEventTypes() throws -> [String] {
        let output = try run(["--list-types"]).requireSuccess()
        return String(decoding: output.standardOutput, as: UTF8.self)
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// The document's own consistency problems, one a line; empty when there are none.
    func documentProblems() throws -> String {
        let output = try run(["--check-document"])
        guard output.status == 0 || output.status == 1 else { throw output.failure() }
        return output.errors
    }

    /// The payloads of the message examples for `eventType`, each as JSON.
    func examples(of eventType: String) throws -> [Data] {
        let output = try run(["--examples", eventType]).requireSuccess()
        guard let examples = try JSONSerialization.jsonObject(with: output.standardOutput) as? [Any] else {
            throw ValidatorFailure("--examples \(eventType) printed no JSON array")
        }
        return try examples.map { try JSONSerialization.data(withJSONObject: $0) }
    }

    /// For each event (JSON), nil when the schema of `eventType` accepts it, otherwise why not.
    /// One Python process checks them all.
    func schemaErrors(of eventType: String, for events: [Data]) throws -> [String?] {
        var batch = Data("[".utf8)
        batch.append(contentsOf: Data(events.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",").utf8))
        batch.append(contentsOf: Data("]".utf8))
        let output = try run(["--many", eventType], input: batch).requireSuccess()
        guard let results = try JSONSerialization.jsonObject(with: output.standardOutput) as? [Any],
              results.count == events.count
        else { throw ValidatorFailure("--many \(eventType) printed no result per event") }
        return results.map { $0 as? String }
    }

    func schemaErrors(of eventType: String, for event: Data) throws -> String? {
        try schemaErrors(of: eventType, for: [event])[0]
    }

    // MARK: - Running the script

    struct Output {
        var status: Int32
        var standardOutput: Data
        var errors: String

        func requireSuccess() throws -> Output {
            guard status == 0 else { throw failure() }
            return self
        }

        func failure() -> ValidatorFailure {
            ValidatorFailure("validate_event.py exited with \(status): \(errors)")
        }
    }

    /// Runs the script with `input` on stdin. Input and output go through temporary files, so a
    /// large output cannot fill a pipe and block the script.
    func run(_ arguments: [String], input: Data = Data()) throws -> Output {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("contracts-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("stdin.json")
        let outputFile = folder.appendingPathComponent("stdout")
        let errorFile = folder.appendingPathComponent("stderr")
        try input.write(to: inputFile)
        try Data().write(to: outputFile)
        try Data().write(to: errorFile)

        let process = Process()
        process.executableURL = python
        process.arguments = [Self.script.path] + arguments + ["--spec", Self.asyncAPIDocument.path]
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()

        return Output(
            status: process.terminationStatus,
            standardOutput: try Data(contentsOf: outputFile),
            errors: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

struct ValidatorFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
