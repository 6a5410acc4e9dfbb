import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/public/marketing/wheels/{id}` and `…/draws` (大转盘 / 线上抽奖, M4; the SCRM brochure's
/// 现场抽奖): what the customer-facing wheel page calls — no login; the gateway rate-limits the
/// public prefix.
///
/// A draw, by mobile:
/// 1. only while the wheel is online (已上架) and within its period, and only for its audience
///    (a registrant of its event, or a known customer, when it says so) — 409 otherwise;
/// 2. takes one of the mobile's draws for the period (`WheelStore.takeDraw`: per store day or for
///    the wheel) — 409 "No draws left" (抽奖次数已用完) past them, however many arrive at once;
/// 3. spins with the system's cryptographic generator (ServiceKit `PrizeDraw`, odds in basis
///    points); a prize out of stock is no prize — its stock is taken by one UPDATE whose WHERE is
///    `stock > 0`, so it never goes below 0;
/// 4. a prize won is announced (`marketing.prize.won.v1`); a coupon prize is first asked of
///    Coupons, keyed by the draw (`DrawSettling`): issued → won (the coupon is the mobile's; the
///    answer gives its last day, never its code); sold out
///    or otherwise refused → no prize, and the stock is given back. When Coupons does not answer,
///    the draw answers `issuing` and the settling pass finishes it; the page reads it again with
///    `GET …/draws/{drawId}?mobile=`.
struct PublicWheelRoutes: Sendable {
    let environment: ServiceEnvironment
    let prizes: CouponPrizes

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("wheels/:id", use: wheel)
        group.post("wheels/:id/draws", use: draw)
        group.get("wheels/:id/draws/:drawId", use: drawAgain)
    }

    /// The wheel page: a pending wheel is not published yet and is 404.
    @Sendable func wheel(_ request: Request, context: CRMRequestContext) async throws -> PublicWheelView {
        let id = try context.parameters.uuid("id")
        return try await environment.database.withTransaction { connection in
            let (wheel, _) = try await publishedWheel(id, on: connection)
            let periods = try await environment.directory.dictionary(
                DataDictionaries.wheelDrawPeriod, store: wheel.storeId, on: connection, logger: environment.logger)
            return PublicWheelView(
                id: wheel.id, name: wheel.name, rules: wheel.rules, startsAtLocal: wheel.startsAtLocal, endsAtLocal: wheel.endsAtLocal,
                drawsPerPerson: wheel.drawsPerPerson, drawPeriod: wheel.drawPeriod,
                drawPeriodLabel: periods.label(wheel.drawPeriod) ?? wheel.drawPeriod,
                prizes: wheel.prizes.map { PublicWheelView.Prize(position: $0.position, name: $0.name, kind: $0.kind) }, open: wheel.open)
        }
    }

    @Sendable func draw(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<DrawReceipt> {
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: DrawRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", body.mobile)
        let name = check.optionalText("name", body.name, maxLength: 30)
        try check.throwIfInvalid()
        let drawID = UUID()
        let (receipt, pending, outcomes) = try await environment.database.withTransaction { connection in
            let (wheel, day) = try await publishedWheel(id, on: connection)
            try await requireOpen(wheel, day: day, on: connection)
            let wheels = WheelStore(connection: connection, logger: environment.logger)
            try await requireAudience(wheel, mobile: mobile, wheels: wheels)
            let period = wheel.drawPeriod == WheelDrawPeriod.day.rawValue ? day.today : WheelDrawPeriod.wheel.rawValue
            guard let used = try await wheels.takeDraw(wheel: id, mobile: mobile, period: period, allowed: wheel.drawsPerPerson) else {
                var problem = ProblemDetails.conflict(
                    "抽奖次数已用完 (no draws left): \(mobile) has used all \(wheel.drawsPerPerson) draws " +
                    (wheel.drawPeriod == WheelDrawPeriod.day.rawValue ? "of today" : "of this wheel"))
                problem.title = "No draws left"
                throw problem
            }
            let spun = try PrizeDraw(wheel.prizes.map { PrizeDraw.Band(prize: $0, basisPoints: $0.basisPoints) }).spin()
            var outcome = WheelDrawOutcome.noPrize, note: String? = nil, prize: WheelPrizeView? = nil
            if let spun {
                if try await wheels.takePrize(spun.id) {
                    prize = spun
                    outcome = spun.kind == WheelPrizeKind.coupon.rawValue ? .issuing : .won
                } else {
                    note = "out_of_stock"
                }
            }
            try await DrawStore(connection: connection, logger: environment.logger, timeZone: day.timeZone).add(
                id: drawID, wheel: id, store: wheel.storeId, mobile: mobile, name: name, prize: prize?.id, outcome: outcome, note: note,
                at: day.now)
            if outcome == .won, let prize {
                try await environment.outbox.append(CloudEvent(
                    source: "/crm/marketing", subject: drawID.uuidString.lowercased(),
                    data: MarketingPrizeWon(
                        drawId: drawID, wheelId: id, wheelNumber: wheel.number, wheelName: wheel.name, storeId: wheel.storeId,
                        mobile: mobile, name: name, prizeId: prize.id, prizeName: prize.name, prizeKind: prize.kind, couponCode: nil,
                        couponLastDay: nil, wonAt: day.now),
                    storeid: wheel.storeId.uuidString.lowercased()), on: connection, logger: environment.logger)
            }
            let outcomes = try await environment.directory.dictionary(
                DataDictionaries.wheelDrawOutcome, store: wheel.storeId, on: connection, logger: environment.logger)
            let receipt = DrawReceipt(
                drawId: drawID, outcome: outcome.rawValue, outcomeLabel: outcomes.label(outcome.rawValue) ?? outcome.rawValue,
                prizeName: prize?.name, prizeKind: prize?.kind, couponLastDay: nil,
                drawsLeft: wheel.drawsPerPerson - used)
            let pending = outcome == .issuing ? prize.flatMap { prize in
                prize.couponDefinitionId.map {
                    DrawSettling.Pending(
                        draw: drawID, wheel: id, wheelNumber: wheel.number, wheelName: wheel.name, store: wheel.storeId, mobile: mobile,
                        name: name, prize: prize.id, prizeName: prize.name, couponDefinition: $0)
                }
            } : nil
            return (receipt, pending, outcomes)
        }
        // The coupon is asked for after the draw is committed: the draw, its stock and its key
        // are on record before Coupons acts, so nothing is lost or doubled whatever fails next.
        guard let pending, let answer = try await DrawSettling.settle(pending, prizes: prizes, environment: environment) else {
            return EditedResponse(status: .created, response: receipt)
        }
        var settled = receipt
        if answer.outcome == CouponPrizeIssueAnswer.issued {
            settled.outcome = WheelDrawOutcome.won.rawValue
            settled.couponLastDay = answer.lastDay
        } else {
            settled.outcome = WheelDrawOutcome.noPrize.rawValue
            settled.prizeName = nil
            settled.prizeKind = nil
        }
        settled.outcomeLabel = outcomes.label(settled.outcome) ?? settled.outcome
        return EditedResponse(status: .created, response: settled)
    }

    /// A draw read again by the page (after `issuing`): only with the mobile that drew it, so that
    /// a draw's id alone tells nobody else what it won.
    @Sendable func drawAgain(_ request: Request, context: CRMRequestContext) async throws -> DrawReceipt {
        let id = try context.parameters.uuid("id"), drawID = try context.parameters.uuid("drawId")
        var query = QueryReader(request)
        let mobile = query.mobile("mobile")
        if query.given("mobile") == nil {
            throw ProblemDetails.validation([.init(field: "mobile", message: "is required: the mobile the draw was made with")])
        }
        try query.throwIfInvalid()
        return try await environment.database.withConnection { connection in
            let (wheel, day) = try await publishedWheel(id, on: connection)
            guard let mobile, let draw = try await DrawStore(connection: connection, logger: environment.logger, timeZone: day.timeZone)
                .draw(drawID, wheel: id), draw.mobile == mobile
            else { throw ProblemDetails.notFound("draw") }
            let outcomes = try await environment.directory.dictionary(
                DataDictionaries.wheelDrawOutcome, store: wheel.storeId, on: connection, logger: environment.logger)
            let period = wheel.drawPeriod == WheelDrawPeriod.day.rawValue ? day.today : WheelDrawPeriod.wheel.rawValue
            let used = try await WheelStore(connection: connection, logger: environment.logger).drawsUsed(wheel: id, mobile: mobile, period: period)
            let won = draw.outcome != WheelDrawOutcome.noPrize.rawValue
            return DrawReceipt(
                drawId: draw.id, outcome: draw.outcome, outcomeLabel: outcomes.label(draw.outcome) ?? draw.outcome,
                prizeName: won ? draw.prizeName : nil, prizeKind: won ? draw.prizeKind : nil, couponLastDay: draw.couponLastDay, drawsLeft: max(0, wheel.drawsPerPerson - used))
        }
    }

    /// The wheel with its store's day; 404 for an unknown or pending (unpublished) wheel.
    private func publishedWheel(_ id: UUID, on connection: PostgresConnection) async throws -> (WheelView, StoreDay) {
        let wheels = WheelStore(connection: connection, logger: environment.logger)
        guard let store = try await wheels.store(of: id) else { throw ProblemDetails.notFound("wheel") }
        let day = try await environment.storeDay(store, on: connection)
        guard let wheel = try await wheels.wheel(id, store: store, timeZone: day.timeZone, now: day.now),
              wheel.state != EventState.pending.rawValue
        else { throw ProblemDetails.notFound("wheel") }
        return (wheel, day)
    }

    /// 409 unless the wheel takes draws now: online and within its period.
    private func requireOpen(_ wheel: WheelView, day: StoreDay, on connection: PostgresConnection) async throws {
        guard wheel.state == EventState.online.rawValue else {
            let states = try await environment.directory.dictionary(
                DataDictionaries.marketingEventState, store: wheel.storeId, on: connection, logger: environment.logger)
            var problem = ProblemDetails.conflict("\(wheel.name) is \(states.described(wheel.state)): it takes no draws")
            problem.title = "Not open"
            throw problem
        }
        guard day.now >= wheel.startsAt else {
            var problem = ProblemDetails.conflict("\(wheel.name) starts at \(wheel.startsAtLocal) (store time)")
            problem.title = "Not started"
            throw problem
        }
        guard day.now < wheel.endsAt else {
            var problem = ProblemDetails.conflict("\(wheel.name) ended at \(wheel.endsAtLocal) (store time): it takes no more draws")
            problem.title = "Ended"
            throw problem
        }
    }

    /// 409 "Not eligible" for a mobile outside the wheel's audience.
    private func requireAudience(_ wheel: WheelView, mobile: String, wheels: WheelStore) async throws {
        let eligible: Bool
        switch WheelAudience(rawValue: wheel.audience) {
        case .registrants:
            eligible = try await wheel.audienceEventId.asyncMap { try await wheels.isRegistrant(mobile, event: $0) } ?? false
        case .customers:
            eligible = try await wheels.isCustomer(mobile, store: wheel.storeId)
        case .anyone, nil:
            eligible = true
        }
        guard eligible else {
            var problem = ProblemDetails.conflict(
                wheel.audience == WheelAudience.registrants.rawValue
                    ? "\(wheel.name) is for the registrants of its event (仅限活动报名客户)"
                    : "\(wheel.name) is for the store's customers (仅限在册客户)")
            problem.title = "Not eligible"
            throw problem
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    fileprivate func asyncMap<Result>(_ transform: (Wrapped) async throws -> Result) async rethrows -> Result? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
