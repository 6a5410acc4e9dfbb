import Foundation
import Metrics

/// What a consumer holds and when it last got anywhere, for health and metrics (issue 11).
///
/// A delivery is "in hand" from the moment the consumer receives it until it is settled (acked
/// or handed back). The consumer is *stalled* while it holds deliveries and has settled none for
/// a while: `/health/ready` fails past `readyBound` (a load balancer stops sending it work) and
/// `/health/live` past `liveBound` (Kubernetes restarts it; the broker hands what it held to
/// another replica).
public final class ConsumerProgress: @unchecked Sendable {
    /// How long deliveries may sit without progress before `/health/ready` fails
    /// (`CRM_CONSUMER_STALL_SECONDS`, 30 by default).
    public let readyBound: Duration
    /// How long before `/health/live` fails, so that a restart cures it
    /// (`CRM_CONSUMER_STALL_LIVE_SECONDS`, 120 by default).
    public let liveBound: Duration

    private let lock = NSLock()
    /// When each delivery in hand was received, by (connection generation, delivery tag).
    private var inHand: [DeliveryKey: ContinuousClock.Instant] = [:]
    /// The last settlement, or the moment the consumer went from empty-handed to holding.
    private var lastProgress = ContinuousClock.now

    /// Whether the consumer's queue is declared, bound and consumed (set by the consumer).
    private var consumingCheck: (@Sendable () -> Bool)?

    private let inHandGauge: Gauge
    private let oldestGauge: Gauge

    struct DeliveryKey: Hashable {
        var generation: Int
        var tag: UInt64
    }

    public init(consumer: String, readyBound: Duration = .seconds(30), liveBound: Duration = .seconds(120)) {
        self.readyBound = readyBound
        self.liveBound = liveBound
        inHandGauge = Gauge(label: "crm_consumer_deliveries_in_hand", dimensions: [("consumer", consumer)])
        oldestGauge = Gauge(label: "crm_consumer_oldest_unacked_seconds", dimensions: [("consumer", consumer)])
    }

    /// Whether the queue exists with its bindings and deliveries flow: until then an event
    /// published to `crm.events` for this service would be returned unroutable, so the service
    /// is not ready (`/health/ready` names the check "queue").
    public var isConsuming: Bool {
        lock.lock()
        let check = consumingCheck
        lock.unlock()
        return check?() ?? false
    }

    func observeConsuming(_ check: @escaping @Sendable () -> Bool) {
        lock.lock()
        consumingCheck = check
        lock.unlock()
    }

    func received(_ deliveries: [ReceivedDelivery]) {
        let now = ContinuousClock.now
        lock.lock()
        if inHand.isEmpty { lastProgress = now }
        for delivery in deliveries { inHand[Self.key(delivery)] = now }
        lock.unlock()
    }

    func settled(_ delivery: ReceivedDelivery) {
        lock.lock()
        inHand[Self.key(delivery)] = nil
        lastProgress = .now
        lock.unlock()
    }

    private static func key(_ delivery: ReceivedDelivery) -> DeliveryKey {
        DeliveryKey(generation: delivery.connectionGeneration, tag: delivery.delivery.deliveryTag)
    }

    /// Deliveries received and not yet settled.
    public var deliveriesInHand: Int {
        lock.lock()
        defer { lock.unlock() }
        return inHand.count
    }

    /// How long the oldest delivery in hand has waited; zero when none.
    public var oldestUnacknowledged: Duration {
        lock.lock()
        defer { lock.unlock() }
        guard let oldest = inHand.values.min() else { return .zero }
        return ContinuousClock.now - oldest
    }

    /// How long the consumer has held deliveries without settling any; zero when it holds none.
    public var stalledFor: Duration {
        lock.lock()
        defer { lock.unlock() }
        return inHand.isEmpty ? .zero : ContinuousClock.now - lastProgress
    }

    /// For `/health/ready`.
    public var isMakingProgress: Bool { stalledFor <= readyBound }

    /// For `/health/live`.
    public var isAlive: Bool { stalledFor <= liveBound }

    /// Brings the gauges up to date (the metrics route calls it before each scrape).
    public func updateGauges() {
        inHandGauge.record(deliveriesInHand)
        oldestGauge.record(Double(oldestUnacknowledged.components.seconds))
    }
}
