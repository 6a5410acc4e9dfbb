import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import ServiceKit
import Synchronization
import XCTest

/// The public prefix's rate limit: the token bucket on a clock the test moves, which key a
/// request counts against, and the 429 the gateway answers past the limit.
final class RateLimiterTests: XCTestCase {
    /// Monotonic seconds that move only when the test says so.
    final class TestClock: Sendable {
        private let seconds = Mutex<Double>(1_000)
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
        var read: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    }

    func testAFullBucketLetsTheBurstThroughThenRefusesWithTheSecondsUntilTheNextToken() {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 2, burst: 3, now: clock.read)
        XCTAssertEqual((1...3).map { _ in limiter.take(for: "203.0.113.7") }, [.allowed, .allowed, .allowed])
        // Empty: the next token is 0.5 s away, sent as a whole second.
        XCTAssertEqual(limiter.take(for: "203.0.113.7"), .refused(retryAfterSeconds: 1))
        // A refused request takes nothing: 0.5 s later exactly one token is there.
        clock.advance(0.5)
        XCTAssertEqual(limiter.take(for: "203.0.113.7"), .allowed)
        XCTAssertEqual(limiter.take(for: "203.0.113.7"), .refused(retryAfterSeconds: 1))
    }

    func testTheBucketRefillsAtTheRateAndNeverBeyondTheBurst() {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 2, burst: 3, now: clock.read)
        for _ in 1...3 { _ = limiter.take(for: "a") }
        clock.advance(1)  // 2 tokens
        XCTAssertEqual((1...3).map { _ in limiter.take(for: "a") }, [.allowed, .allowed, .refused(retryAfterSeconds: 1)])
        clock.advance(60)  // would be 120 tokens; the bucket holds 3
        XCTAssertEqual((1...4).map { _ in limiter.take(for: "a") }, [.allowed, .allowed, .allowed, .refused(retryAfterSeconds: 1)])
    }

    func testRetryAfterIsTheWholeSecondsUntilTheNextTokenAtASlowRate() {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 0.1, burst: 1, now: clock.read)
        XCTAssertEqual(limiter.take(for: "a"), .allowed)
        XCTAssertEqual(limiter.take(for: "a"), .refused(retryAfterSeconds: 10))
        clock.advance(2.5)  // 0.25 of a token: 7.5 s to go
        XCTAssertEqual(limiter.take(for: "a"), .refused(retryAfterSeconds: 8))
        clock.advance(7.5)
        XCTAssertEqual(limiter.take(for: "a"), .allowed)
    }

    func testEachKeyHasItsOwnBucket() {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 2, now: clock.read)
        XCTAssertEqual([limiter.take(for: "a"), limiter.take(for: "a"), limiter.take(for: "a")], [.allowed, .allowed, .refused(retryAfterSeconds: 1)])
        XCTAssertEqual([limiter.take(for: "b"), limiter.take(for: "b"), limiter.take(for: "b")], [.allowed, .allowed, .refused(retryAfterSeconds: 1)])
        XCTAssertEqual(limiter.take(for: "a"), .refused(retryAfterSeconds: 1))
    }

    func testKeysAreForgottenOnceTheirBucketsAreFullAgainAtTheNextSweep() {
        let clock = TestClock()
        // Empty to full takes 4 s: the sweep runs at most that often, started by a request.
        let limiter = RateLimiter(ratePerSecond: 1, burst: 4, now: clock.read)
        for index in 0..<50 { _ = limiter.take(for: "198.51.100.\(index)") }
        XCTAssertEqual(limiter.trackedKeys, 50)
        clock.advance(3)
        _ = limiter.take(for: "busy")
        _ = limiter.take(for: "busy")
        // The 50 have been full again for 2 s, but no sweep was due yet.
        XCTAssertEqual(limiter.trackedKeys, 51)
        clock.advance(1)
        _ = limiter.take(for: "newcomer")
        // The sweep dropped the 50; `busy` (2 of 4 tokens, 1 refilled) is still being used.
        XCTAssertEqual(limiter.trackedKeys, 2)
        // Forgetting a full bucket changes nothing: a forgotten key starts full, as it would have been.
        clock.advance(10)
        _ = limiter.take(for: "newcomer")
        XCTAssertEqual(limiter.trackedKeys, 1)
        XCTAssertEqual((1...5).map { _ in limiter.take(for: "busy") }, [.allowed, .allowed, .allowed, .allowed, .refused(retryAfterSeconds: 1)])
    }

    func testPastTheKeyBoundTheLeastRecentlySeenAreDroppedAndTheNewestKept() {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 0.001, burst: 2, maximumKeys: 100, now: clock.read)
        for index in 0..<1_000 {
            clock.advance(0.001)
            _ = limiter.take(for: "key-\(index)")
        }
        XCTAssertLessThanOrEqual(limiter.trackedKeys, 100)
        XCTAssertGreaterThanOrEqual(limiter.trackedKeys, 90)
        // The newest key kept its bucket (one token used of two); the oldest starts afresh.
        XCTAssertEqual(limiter.take(for: "key-999"), .allowed)
        XCTAssertEqual(limiter.take(for: "key-999"), .refused(retryAfterSeconds: 1000))
        XCTAssertEqual(limiter.take(for: "key-0"), .allowed)
        XCTAssertEqual(limiter.take(for: "key-0"), .allowed)
    }

    func testConcurrentTakesNeverLetMoreThanTheBurstThrough() async {
        let clock = TestClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 50, now: clock.read)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<400 { group.addTask { limiter.take(for: "same") == .allowed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(allowed, 50)
    }

    // MARK: ClientAddress

    func testWithoutTrustedProxiesTheSocketAddressIsTheClientAndXForwardedForIsIgnored() throws {
        let socket = try SocketAddress(ipAddress: "192.0.2.10", port: 51_234)
        let headers: HTTPFields = [ClientAddress.forwardedFor: "203.0.113.5"]
        XCTAssertEqual(ClientAddress(trustedProxyHops: 0).key(headers: headers, remoteAddress: socket), "192.0.2.10")
        XCTAssertEqual(ClientAddress(trustedProxyHops: 0).key(headers: [:], remoteAddress: nil), "unknown")
    }

    func testWithTrustedProxiesTheClientIsCountedFromTheRight() throws {
        let proxy = try SocketAddress(ipAddress: "10.1.0.2", port: 443)
        // The client wrote the first entry itself; the dealer's proxy appended the address it
        // saw, then the ingress appended the dealer's proxy.
        var headers = HTTPFields()
        headers[values: ClientAddress.forwardedFor] = ["1.2.3.4, 203.0.113.5", " 10.1.0.1 "]
        XCTAssertEqual(ClientAddress(trustedProxyHops: 1).key(headers: headers, remoteAddress: proxy), "10.1.0.1")
        XCTAssertEqual(ClientAddress(trustedProxyHops: 2).key(headers: headers, remoteAddress: proxy), "203.0.113.5")
        // More hops than entries: the leftmost entry is the furthest address known.
        XCTAssertEqual(ClientAddress(trustedProxyHops: 5).key(headers: headers, remoteAddress: proxy), "1.2.3.4")
        // No header (a request that did not come through the proxy): the socket's address.
        XCTAssertEqual(ClientAddress(trustedProxyHops: 1).key(headers: [:], remoteAddress: proxy), "10.1.0.2")
        XCTAssertEqual(ClientAddress(trustedProxyHops: 1).key(headers: [ClientAddress.forwardedFor: " , "], remoteAddress: proxy), "10.1.0.2")
        // IPv6 as written; an absurd entry is cut short.
        XCTAssertEqual(ClientAddress(trustedProxyHops: 1).key(headers: [ClientAddress.forwardedFor: "2001:db8::1"], remoteAddress: proxy), "2001:db8::1")
        let long = String(repeating: "x", count: 500)
        XCTAssertEqual(ClientAddress(trustedProxyHops: 1).key(headers: [ClientAddress.forwardedFor: long], remoteAddress: proxy).count, 64)
    }

    // MARK: RateLimitMiddleware

    func testPastTheLimitTheAnswerIsA429ProblemWithRetryAfterInWholeSeconds() async throws {
        let clock = TestClock()
        let router = Router(context: CRMRequestContext.self)
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(ProblemMiddleware())
        router.group("api/v1/public")
            .add(middleware: RateLimitMiddleware(
                limiter: RateLimiter(ratePerSecond: 0.5, burst: 2, now: clock.read), clientAddress: ClientAddress(trustedProxyHops: 1)))
            .get("coupons/news") { _, _ in "news" }
        let app = Application(router: router)
        try await app.test(.router) { client in
            func get(from address: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/v1/public/coupons/news", method: .get, headers: [ClientAddress.forwardedFor: address])
            }
            let first = try await get(from: "203.0.113.5")
            let second = try await get(from: "203.0.113.5")
            XCTAssertEqual([first.status, second.status], [.ok, .ok])
            let refused = try await get(from: "203.0.113.5")
            XCTAssertEqual(refused.status, .tooManyRequests)
            XCTAssertEqual(refused.headers[.contentType], "application/problem+json")
            XCTAssertEqual(refused.headers[.retryAfter], "2")
            let problem = try JSONDecoder().decode(ProblemDetails.self, from: refused.body)
            XCTAssertEqual(problem.statusCode, 429)
            XCTAssertEqual(problem.type, "https://dealer-crm.dev/problems/too-many-requests")
            XCTAssertEqual(problem.title, "Too many requests")
            XCTAssertEqual(problem.detail, "too many requests from your network in a short time; wait 2 seconds and try again")
            XCTAssertEqual(problem.instance, "/api/v1/public/coupons/news")
            // Another client behind the same proxy has its own bucket.
            let other = try await get(from: "203.0.113.6")
            XCTAssertEqual(other.status, .ok)
            clock.advance(2)
            let later = try await get(from: "203.0.113.5")
            XCTAssertEqual(later.status, .ok)
        }
    }
}
