import Foundation
import TestSupport

/// The operations `/openapi.yaml` documents, read with Python's yaml (the test target has no
/// YAML parser), so that tests can go over every endpoint rather than a sample.
struct OpenAPIOperation: Hashable, CustomStringConvertible {
    var method: String
    var path: String
    /// Whether the operation reads a request body.
    var hasBody: Bool = false
    /// Whether that body is JSON (imports read CSV, the ADF intake XML).
    var hasJSONBody: Bool = false

    var description: String { "\(method) \(path)" }
    var isWrite: Bool { ["POST", "PUT", "PATCH", "DELETE"].contains(method) }
}

enum OpenAPIOperations {
    static var documentPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Services/Gateway/openapi.yaml").path
    }

    static func all() throws -> [OpenAPIOperation] {
        let script = """
            import json, sys, yaml
            document = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
            def body(operation):
                content = operation.get("requestBody", {}).get("content", {})
                return [bool(content), "application/json" in content]
            print(json.dumps([[method.upper(), path] + body(item[method]) for path, item in document.get("paths", {}).items()
                              for method in item if method in ("get", "post", "put", "patch", "delete")]))
            """
        let output = try runPython(script, arguments: [documentPath])
        guard let rows = try JSONSerialization.jsonObject(with: output) as? [[Any]] else {
            throw TestFailure("could not read the operations of openapi.yaml")
        }
        return rows.map {
            OpenAPIOperation(method: $0[0] as! String, path: $0[1] as! String, hasBody: $0[2] as! Bool, hasJSONBody: $0[3] as! Bool)
        }
    }

    /// Runs a Python script and returns its standard output; reads the pipe to its end before
    /// waiting, so a large output cannot block the child.
    static func runPython(_ script: String, arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("python3 exited with \(process.terminationStatus)") }
        return output
    }
}
