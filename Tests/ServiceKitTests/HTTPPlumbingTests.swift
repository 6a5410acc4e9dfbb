import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ServiceKit
import XCTest

/// Problem+json errors, request ids and paging, through a real Hummingbird router.
final class HTTPPlumbingTests: XCTestCase {
    struct NewThing: Decodable {
        var name: String
        var count: Int
        var owner: Owner
        var due: Date?
        struct Owner: Decodable { var mobile: String }
    }

    func makeRouter() -> Router<CRMRequestContext> {
        let router = Router(context: CRMRequestContext.self)
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(ProblemMiddleware())
        router.post("things") { request, context -> HTTPResponse.Status in
            _ = try await request.decodeJSON(as: NewThing.self, context: context)
            return .created
        }
        router.get("things") { request, _ -> Page<String> in
            let page = try PageRequest(request: request)
            return Page(items: ["a"], request: page, total: 1)
        }
        router.get("boom") { _, _ -> String in
            struct SecretFailure: Error {}
            throw SecretFailure()
        }
        return router
    }

    func testBadBodiesAreProblemsNamingTheField() async throws {
        let app = Application(router: makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/things", method: .post, body: ByteBuffer(string: "{not json")) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.headers[.contentType], "application/problem+json")
            }
            try await client.execute(uri: "/things", method: .post, body: ByteBuffer(string: #"{"name":"a","count":"x","owner":{"mobile":"1"}}"#)) { response in
                XCTAssertEqual(response.status, .unprocessableContent)
                let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                XCTAssertEqual(problem.errors, [.init(field: "count", message: "must be a whole number")])
                XCTAssertEqual(problem.statusCode, 422)
            }
            // A body's date-time is RFC 3339 exactly: no impossible day, no missing offset, no date alone.
            for due in ["2026-02-30T10:00:00+08:00", "2026-11-22T10:00:00", "2026-11-22", "2026-11-22T25:00:00Z"] {
                try await client.execute(uri: "/things", method: .post, body: ByteBuffer(string: #"{"name":"a","count":1,"owner":{"mobile":"1"},"due":"\#(due)"}"#)) { response in
                    XCTAssertEqual(response.status, .unprocessableContent, due)
                    let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                    XCTAssertEqual(problem.errors?.map(\.field), ["due"], due)
                }
            }
            try await client.execute(uri: "/things", method: .post, body: ByteBuffer(string: #"{"name":"a","count":1,"owner":{"mobile":"1"},"due":"2026-11-22T10:00:00.5+08:00"}"#)) { response in
                XCTAssertEqual(response.status, .created)
            }
            try await client.execute(uri: "/things", method: .post, body: ByteBuffer(string: #"{"name":"a","count":1,"owner":{}}"#)) { response in
                let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                XCTAssertEqual(problem.errors?.first?.field, "owner.mobile")
                XCTAssertEqual(problem.errors?.first?.message, "is required")
            }
        }
    }

    func testUnexpectedErrorsAre500ProblemsWithoutInternalsAndCarryTheRequestID() async throws {
        let app = Application(router: makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/boom", method: .get, headers: [.requestID: "req-123"]) { response in
                XCTAssertEqual(response.status, .internalServerError)
                XCTAssertEqual(response.headers[.requestID], "req-123")
                let text = String(buffer: response.body)
                XCTAssertFalse(text.contains("SecretFailure"), text)
                let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                XCTAssertEqual(problem.requestId, "req-123")
            }
        }
    }

    func testPagingIsBoundedAndBadValuesAreNamed() async throws {
        let app = Application(router: makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/things?page=2&pageSize=50", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let page = try JSONDecoder().decode(Page<String>.self, from: response.body)
                XCTAssertEqual(page.page, 2)
                XCTAssertEqual(page.pageSize, 50)
            }
            try await client.execute(uri: "/things?page=0&pageSize=5000", method: .get) { response in
                XCTAssertEqual(response.status, .unprocessableContent)
                let problem = try JSONDecoder().decode(ProblemDetails.self, from: response.body)
                XCTAssertEqual(problem.errors?.map(\.field), ["page", "pageSize"])
            }
        }
    }
}
