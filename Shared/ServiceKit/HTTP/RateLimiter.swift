import Foundation
import Synchronization

/// A token bucket per client key, in memory: what keeps one client from flooding the routes
/// open to anyone (`/api/v1/public/…`, see `ServiceIdentity.publicPathPrefix`).
///
/// Each key (a client's address, `ClientAddress`) has a bucket holding at most `burst` tokens;
/// it starts full and refills at `ratePerSecond` tokens a second. A request takes one token;
/// with none left it is refused, and `Decision.refused` says in how many whole seconds a token
/// will be there (at least 1: what `Retry-After` carries).
///
/// **Per process.** The buckets live in this process alone, so N gateway replicas let a client
/// through at up to N × the rate. That is what it is for: it stops floods (a script hammering
/// the coupon page) cheaply, without a shared store on every request; it is not a quota. Exact
/// rules — "2 coupons per mobile", "one registration per event" — are the services' own, kept
/// in their databases, where every replica sees the same rows.
///
/// **Bounded memory.** A bucket that has had time to refill completely is the same as no bucket,
/// so it is dropped: a request starts a sweep of the idle ones once the last sweep is
/// `burst / ratePerSecond` seconds old (1 s at least). Past `maximumKeys` busy keys at once (a
/// flood from many addresses), the least recently seen are dropped too, down to 90 % of the
/// bound; such a key starts again with a full bucket. Bounded memory is worth more here than
/// exactness.
///
/// Thread-safe: one `Mutex` around the buckets; a call does a dictionary look-up, and now and
/// then the sweep, under it.
public final class RateLimiter: Sendable {
    /// What `take(for:)` decided.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// No token left; one will be there in `retryAfterSeconds` (≥ 1, rounded up).
        case refused(retryAfterSeconds: Int)
    }

    /// Tokens added to a bucket per second (may be a fraction: 0.5 is one every 2 s).
    public let ratePerSecond: Double
    /// Tokens a full bucket holds: how many requests a client may send at once after a pause.
    public let burst: Int
    /// The most keys tracked at once.
    public let maximumKeys: Int

    private struct Bucket {
        var tokens: Double
        /// `now()` when `tokens` was last brought up to date, in seconds.
        var updated: Double
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var lastSweep: Double
    }

    private let state: Mutex<State>
    /// Monotonic seconds from an arbitrary origin; tests pass their own clock.
    private let now: @Sendable () -> Double
    /// How long an untouched bucket takes to be full again, from empty: then it can go.
    private let refillSeconds: Double

    /// - Parameters:
    ///   - ratePerSecond: tokens per second, > 0.
    ///   - burst: bucket size, ≥ 1.
    ///   - maximumKeys: keys tracked at once, ≥ 1; 100,000 buckets take a few MiB.
    ///   - now: monotonic time in seconds; by default the system's uptime, which a change of the
    ///     wall clock does not move.
    public init(
        ratePerSecond: Double, burst: Int, maximumKeys: Int = 100_000,
        now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        precondition(ratePerSecond > 0 && burst >= 1 && maximumKeys >= 1, "a rate limiter needs a positive rate, burst and key bound")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.maximumKeys = maximumKeys
        self.now = now
        self.refillSeconds = Double(burst) / ratePerSecond
        self.state = Mutex(State(lastSweep: now()))
    }

    /// Takes a token from `key`'s bucket if there is one.
    public func take(for key: String) -> Decision {
        let now = self.now()
        return state.withLock { state in
            if now - state.lastSweep >= max(refillSeconds, 1) { sweep(&state, now: now) }
            var bucket = state.buckets[key] ?? Bucket(tokens: Double(burst), updated: now)
            // A clock that went backwards (it should not) refills nothing rather than draining.
            let elapsed = max(0, now - bucket.updated)
            bucket.tokens = min(Double(burst), bucket.tokens + elapsed * ratePerSecond)
            bucket.updated = now
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                let wait = (1 - bucket.tokens) / ratePerSecond
                decision = .refused(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
            }
            let isNew = state.buckets.updateValue(bucket, forKey: key) == nil
            if isNew, state.buckets.count > maximumKeys { shed(&state, now: now, keeping: key) }
            return decision
        }
    }

    /// How many keys have a bucket now: what the memory bound is about. Idle ones go at the
    /// next sweep, which a request starts.
    public var trackedKeys: Int {
        state.withLock { $0.buckets.count }
    }

    /// Drops the buckets that are full again by `now`.
    private func sweep(_ state: inout State, now: Double) {
        state.lastSweep = now
        state.buckets = state.buckets.filter { _, bucket in
            bucket.tokens + max(0, now - bucket.updated) * ratePerSecond < Double(burst)
        }
    }

    /// Brings the number of keys under the bound: the idle ones first, then the least recently
    /// seen, down to 90 % of it so that this (sorting) work is not done on every new key.
    private func shed(_ state: inout State, now: Double, keeping key: String) {
        sweep(&state, now: now)
        guard state.buckets.count > maximumKeys else { return }
        let target = max(1, maximumKeys * 9 / 10)
        let oldestFirst = state.buckets.filter { $0.key != key }.sorted { $0.value.updated < $1.value.updated }
        for (oldKey, _) in oldestFirst.prefix(state.buckets.count - target) {
            state.buckets[oldKey] = nil
        }
    }
}
