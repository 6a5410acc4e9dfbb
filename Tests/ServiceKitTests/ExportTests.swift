import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ServiceKit
import XCTest

/// The `/export` files, read back the way a spreadsheet reads them rather than the way the
/// writers meant them: the .xlsx with Python's openpyxl, the CSV with Python's csv module.
final class ExportTests: XCTestCase {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    /// 2026-11-22 09:30:45 +08:00
    static let visitedAt = Date(timeIntervalSince1970: 1_795_311_045)

    static let table = ExportTable(
        sheetName: "回访任务",
        headers: ["客户", "车牌", "满意度", "回访次数", "回访时间", "备注"],
        rows: [
            [ExportCell("张三"), ExportCell("京A12345"), ExportCell(4.5), ExportCell(3),
             ExportCell(visitedAt, in: shanghai), ExportCell("客户满意度高, \"很好\"")],
            [ExportCell("李四"), ExportCell("沪B6789"), ExportCell(-2.0), ExportCell(Int?.none),
             ExportCell(nil, in: shanghai), ExportCell("=HYPERLINK(\"http://example.com\")")],
            [ExportCell("王五"), ExportCell("粤C00001"), ExportCell(0.0), ExportCell(1_234_567_890_123_456),
             ExportCell(visitedAt, in: TimeZone(identifier: "UTC")!), ExportCell("")],
        ])

    func testXLSXKeepsChineseTextNumbersAndEmptyCells() throws {
        try Python.requireOpenpyxl()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-test-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: file) }
        try XLSXWriter.write(Self.table).write(to: file)

        // Date cells come back as {"dateTime": "…"}, to tell them from text.
        let output = try Python.run("""
            import json, sys, openpyxl
            sheet = openpyxl.load_workbook(sys.argv[1]).active
            print(json.dumps({
                "sheetName": sheet.title,
                "frozenAt": sheet.freeze_panes,
                "boldHeaders": [cell.font.b for cell in sheet[1]],
                "rows": [[cell.value for cell in row] for row in sheet.iter_rows()],
            }, default=lambda date: {"dateTime": date.strftime("%Y-%m-%d %H:%M")}))
            """, arguments: [file.path])
        let workbook = try JSONDecoder().decode(ReadWorkbook.self, from: output)

        XCTAssertEqual(workbook.sheetName, "回访任务")
        XCTAssertEqual(workbook.frozenAt, "A2", "the header row stays in view")
        XCTAssertEqual(workbook.boldHeaders, Array(repeating: true, count: 6))
        XCTAssertEqual(workbook.rows.first, ["客户", "车牌", "满意度", "回访次数", "回访时间", "备注"].map(ReadCell.text))
        XCTAssertEqual(workbook.rows.dropFirst().first, [
            .text("张三"), .text("京A12345"), .number(4.5), .number(3), .dateTime("2026-11-22 09:30"), .text("客户满意度高, \"很好\""),
        ])
        XCTAssertEqual(workbook.rows.dropFirst(2).first, [
            .text("李四"), .text("沪B6789"), .number(-2), .empty, .empty, .text("=HYPERLINK(\"http://example.com\")"),
        ], "a formula-looking text is plain text in an .xlsx, not a formula")
        XCTAssertEqual(workbook.rows.dropFirst(3).first, [
            .text("王五"), .text("粤C00001"), .number(0), .text("1234567890123456"), .dateTime("2026-11-22 01:30"), .empty,
        ], "an integer longer than Excel's 15 digits is text, not rounded")
        XCTAssertEqual(workbook.rows.count, 4)
    }

    func testCSVKeepsChineseTextAndDefusesFormulas() throws {
        let csv = CSVWriter.write(Self.table)
        XCTAssertEqual(Array(csv.prefix(3)), [0xEF, 0xBB, 0xBF], "a UTF-8 byte order mark, for Excel")
        XCTAssertEqual(Array(csv.suffix(2)), Array("\r\n".utf8))

        try Python.requireCSV()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-test-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try csv.write(to: file)
        let output = try Python.run("""
            import csv, json, sys
            with open(sys.argv[1], encoding="utf-8-sig", newline="") as file:
                print(json.dumps(list(csv.reader(file))))
            """, arguments: [file.path])
        let rows = try JSONDecoder().decode([[String]].self, from: output)

        XCTAssertEqual(rows, [
            ["客户", "车牌", "满意度", "回访次数", "回访时间", "备注"],
            ["张三", "京A12345", "4.5", "3", "2026-11-22 09:30", "客户满意度高, \"很好\""],
            ["李四", "沪B6789", "-2", "", "", "'=HYPERLINK(\"http://example.com\")"],
            ["王五", "粤C00001", "0", "1234567890123456", "2026-11-22 01:30", ""],
        ])
    }

    func testCSVQuotingAndFormulaStarts() {
        XCTAssertEqual(CSVWriter.field(.text("a,b")), "\"a,b\"")
        XCTAssertEqual(CSVWriter.field(.text("say \"hi\"")), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVWriter.field(.text("two\nlines")), "\"two\nlines\"")
        XCTAssertEqual(CSVWriter.field(.text("+86 138 0000 0000")), "'+86 138 0000 0000")
        XCTAssertEqual(CSVWriter.field(.text("@SUM(A1)")), "'@SUM(A1)")
        XCTAssertEqual(CSVWriter.field(.text("-,")), "\"'-,\"")
        XCTAssertEqual(CSVWriter.field(.number(-5)), "-5", "a negative number is not a formula")
        XCTAssertEqual(CSVWriter.field(.integer(-5)), "-5")
        XCTAssertEqual(CSVWriter.field(.number(.nan)), "", "no spreadsheet holds NaN")
    }

    func testColumnWidthsCountChineseCharactersTwice() {
        XCTAssertEqual(XLSXWriter.displayWidth("京A12345"), 8)
        XCTAssertEqual(XLSXWriter.displayWidth("客户满意度"), 10)
    }

    func testSheetNamesAreMadeValidForExcel() {
        XCTAssertEqual(XLSXWriter.validSheetName("回访任务 11/22 [草稿]"), "回访任务 1122 草稿")
        XCTAssertEqual(XLSXWriter.validSheetName("'quoted'"), "quoted")
        XCTAssertEqual(XLSXWriter.validSheetName(String(repeating: "长", count: 40)), String(repeating: "长", count: 31))
        XCTAssertEqual(XLSXWriter.validSheetName("[]"), "Sheet1")
    }

    func testTextLongerThanACellHoldsIsAnError() {
        let table = ExportTable(sheetName: "x", headers: ["备注"], rows: [[ExportCell(String(repeating: "长", count: 40_000))]])
        XCTAssertThrowsError(try XLSXWriter.write(table)) { error in
            XCTAssertTrue("\(error)".contains("row 2, column 1"), "\(error)")
        }
    }

    func testExportRouteNamesTheFileAndRejectsAMissingOrUnknownFormat() async throws {
        let router = Router()
        router.get("visit-tasks/export") { request, _ -> Response in
            let format = try ExportFormat(request: request)
            return try await Response.export(Self.table, as: format, fileName: "visit tasks\"2026-11-22")
        }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/visit-tasks/export?format=xlsx", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                XCTAssertEqual(response.headers[.contentDisposition], "attachment; filename=\"visit-tasks-2026-11-22.xlsx\"")
                XCTAssertEqual(response.body.getBytes(at: 0, length: 2), Array("PK".utf8), "an .xlsx is a zip")
            }
            try await client.execute(uri: "/visit-tasks/export?format=csv", method: .get) { response in
                XCTAssertEqual(response.headers[.contentType], "text/csv; charset=utf-8")
                XCTAssertEqual(response.headers[.contentDisposition], "attachment; filename=\"visit-tasks-2026-11-22.csv\"")
                XCTAssertEqual(response.body.getBytes(at: 0, length: 3), [0xEF, 0xBB, 0xBF])
            }
            for uri in ["/visit-tasks/export", "/visit-tasks/export?format=pdf"] {
                try await client.execute(uri: uri, method: .get) { response in
                    XCTAssertEqual(response.status, .unprocessableContent, uri)
                    let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                    XCTAssertEqual(problem.errors?.map(\.field), ["format"], uri)
                    XCTAssertTrue(problem.errors?.first?.message.contains("xlsx, csv") == true, uri)
                }
            }
        }
    }
}

/// What the openpyxl script prints about a workbook.
private struct ReadWorkbook: Decodable {
    var sheetName: String
    var frozenAt: String?
    var boldHeaders: [Bool]
    var rows: [[ReadCell]]
}

/// A cell as openpyxl read it: a JSON number is a number cell, so `"3"` and `3` differ.
private enum ReadCell: Decodable, Equatable {
    case text(String)
    case number(Double)
    case dateTime(String)
    case empty

    init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .empty
        } else if let number = try? value.decode(Double.self) {
            self = .number(number)
        } else if let text = try? value.decode(String.self) {
            self = .text(text)
        } else {
            self = .dateTime(try value.decode([String: String].self)["dateTime"] ?? "")
        }
    }
}

/// Runs the Python checks of the exports.
private enum Python {
    /// Skips the test on a machine without python3 or openpyxl (`pip install openpyxl`).
    static func requireOpenpyxl() throws {
        guard (try? run("import openpyxl", quiet: true)) != nil else {
            throw XCTSkip("python3 with openpyxl is needed to read the .xlsx back (pip install openpyxl)")
        }
    }

    static func requireCSV() throws {
        guard (try? run("import csv", quiet: true)) != nil else {
            throw XCTSkip("python3 is needed to read the CSV back")
        }
    }

    /// Runs `python3 -c script arguments…` and returns what it printed. Standard output is read to
    /// its end before waiting for the exit, so that a large output cannot fill the pipe and leave
    /// both processes waiting on each other. Python's errors go to the test's own standard error,
    /// unless `quiet` (a probe whose failure only means "skip").
    static func run(_ script: String, arguments: [String] = [], quiet: Bool = false) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = quiet ? FileHandle.nullDevice : FileHandle.standardError
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailure(status: process.terminationStatus)
        }
        return printed
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var status: Int32
        var description: String { "python3 exited with status \(status); its error is in the test log" }
    }
}
