import Foundation
import HTTPTypes
import Hummingbird

/// The file formats of every `/export?format=` endpoint.
public enum ExportFormat: String, Sendable, CaseIterable {
    case xlsx
    case csv

    /// Reads the required `format` query parameter as `QueryReader` reads every parameter:
    /// left out or sent empty (`?format=`) it is missing.
    ///
    /// - Throws: `ProblemDetails.validation` naming `format` — "is required, one of xlsx, csv"
    ///   when missing, "must be one of xlsx, csv" for any other value; never a silent default.
    public init(request: Request) throws {
        let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
        guard let value = QueryReader(request).given("format") else {
            throw ProblemDetails.validation([.init(field: "format", message: "is required, one of \(allowed)")])
        }
        guard let format = ExportFormat(rawValue: value) else {
            throw ProblemDetails.validation([.init(field: "format", message: "must be one of \(allowed)")])
        }
        self = format
    }

    public var contentType: String {
        switch self {
        case .xlsx: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .csv: return "text/csv; charset=utf-8"
        }
    }

    public var fileExtension: String { rawValue }

    /// The table as a file of this format.
    public func write(_ table: ExportTable) throws -> Data {
        switch self {
        case .xlsx: return try XLSXWriter.write(table)
        case .csv: return CSVWriter.write(table)
        }
    }
}

extension Response {
    /// The table as a file download: `fileName` is the name without extension, such as
    /// `visit-tasks-2026-11-22`.
    ///
    /// ```swift
    /// router.get("visit-tasks/export") { request, context in
    ///     let format = try ExportFormat(request: request)
    ///     let tasks = try await store.visitTasks(matching: filter)
    ///     return try await Response.export(table(of: tasks), as: format, fileName: "visit-tasks-\(today)")
    /// }
    /// ```
    public static func export(_ table: ExportTable, as format: ExportFormat, fileName: String) async throws -> Response {
        // Writing 20,000 rows as .xlsx takes about a third of a second of CPU: done on a
        // Dispatch thread, it does not hold up one of Swift concurrency's few threads, which
        // every other request of the service is waiting for.
        let bytes = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, Error>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try format.write(table) })
            }
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: format.contentType,
                .contentDisposition: "attachment; filename=\"\(asciiFileName(fileName)).\(format.fileExtension)\"",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The name with only ASCII letters, digits, `-`, `_` and `.`, anything else becoming `-`:
    /// `filename=` has no portable way to carry other characters, and a quote or line break would
    /// break the header.
    static func asciiFileName(_ name: String) -> String {
        let safe = String(name.map { fileNameCharacters.contains($0) ? $0 : "-" })
        return safe.isEmpty ? "export" : safe
    }

    private static let fileNameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
}

/// How much one export may hold: every list's export is the whole filtered list, read as one
/// page of this size, and refused with a 422 beyond it — a workbook stays well inside Excel's
/// 1,048,576 rows and the service's memory.
public enum ExportLimit {
    public static let rows = 100_000

    /// The page an export reads: one more row than allowed, so that `check` can tell.
    public static var page: PageRequest { PageRequest(page: 1, pageSize: rows + 1) }

    /// A 422 naming `filters` when the filters match more rows than an export holds.
    public static func check(total: Int) throws {
        guard total <= rows else {
            throw ProblemDetails.validation([.init(field: "filters", message: "match \(total) rows; an export holds at most \(rows) — narrow them")])
        }
    }
}
