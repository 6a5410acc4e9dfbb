import Foundation
import ServiceKit
import ServiceLifecycle

/// The background work that settles coupon prizes left `issuing` — Coupons did not answer, or
/// the process stopped between the draw and the answer — by asking Coupons again with the draw's
/// key (`DrawSettling`). Every replica runs it: Coupons answers a key once and the draw's UPDATE
/// settles it once, so two replicas asking at the same moment change nothing twice.
///
/// It looks every `CRM_SCHEDULER_INTERVAL_MS` (default 5 s) for draws `issuing` for more than
/// 10 seconds (a draw settles itself well within that when Coupons answers).
struct DrawSettlingPass: Service {
    let environment: ServiceEnvironment
    let prizes: CouponPrizes

    static let settleAfterSeconds = 10

    func run() async throws {
        await BackgroundWork.repeatUntilShutdown(
            "settling coupon prizes of the lucky wheel", every: environment.configuration.schedulerInterval, deadline: .seconds(60),
            logger: environment.logger
        ) {
            let pending = try await environment.database.withConnection { connection in
                try await DrawStore(connection: connection, logger: environment.logger, timeZone: .gmt).issuing(forMoreThan: Self.settleAfterSeconds, limit: 100)
            }
            for draw in pending {
                _ = try await DrawSettling.settle(draw, prizes: prizes, environment: environment)
            }
        }
    }
}
