import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// What Marketing's lucky wheel (大转盘, M4) asks of Coupons, over the internal routes
/// (`/internal/v1/coupons/…`, the installation's internal token; ServiceKit `InternalRoutes`):
///
/// - `POST prize-issues` — one coupon of a definition for the customer who won it, issued the way
///   every coupon is (`CouponIssuer`: the definition's row locked first, never past its quantity
///   or the customer's limit) and announced as `coupons.coupon.issued.v1`. Idempotent by the
///   draw's key: asked again, it answers the first answer and issues nothing more. A refusal is
///   an answer too (`sold_out`, `disabled`, `limit_reached`, `validity_over`,
///   `unknown_definition`), given with 200, so that the wheel can turn the draw into "no prize".
/// - `GET definitions/{id}?store=` — the definition's number, name and what is left, for the
///   wheel's editor to check a prize (404 when the store has no such definition).
struct PrizeIssueRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.post("prize-issues", use: issue)
        group.get("definitions/:id", use: definition)
    }

    @Sendable func issue(_ request: Request, context: CRMRequestContext) async throws -> CouponPrizeIssueAnswer {
        let body = try await request.decodeJSON(as: CouponPrizeIssueRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", body.mobile)
        let name = check.optionalText("name", body.name, maxLength: 30)
        let source = check.text("source", body.source, maxLength: 100)
        try check.throwIfInvalid()
        var asked = body
        asked.mobile = mobile
        asked.name = name
        asked.source = source
        let request = asked
        return try await environment.database.withTransaction { connection in
            let prizes = PrizeIssueStore(connection: connection, logger: environment.logger)
            let day = try await environment.storeDay(request.storeId, on: connection)
            // The definition's row first, as every issuing path takes it; it also makes a second
            // ask with the same key wait for the first and find its answer.
            let definition = try await DefinitionStore(connection: connection, logger: environment.logger)
                .definition(request.definitionId, store: request.storeId, now: day.now, forUpdate: true)
            if let earlier = try await prizes.answer(for: request.key) { return earlier }
            var answer = CouponPrizeIssueAnswer(outcome: "unknown_definition")
            if let definition {
                do {
                    let outcome = try await CouponIssuer(connection: connection, logger: environment.logger, outbox: environment.outbox).issue(
                        CouponIssuer.Issue(definition: definition, perPerson: 1, taskID: nil, taskNumber: nil, issuedBy: nil, day: day),
                        to: [CouponRecipient(mobile: request.mobile, name: request.name)])
                    if let code = outcome.codes.first {
                        answer = CouponPrizeIssueAnswer(
                            outcome: CouponPrizeIssueAnswer.issued, couponId: try await prizes.couponID(code: code), code: code,
                            lastDay: outcome.lastDay)
                    } else {
                        answer = CouponPrizeIssueAnswer(outcome: "limit_reached")
                    }
                } catch let refusal as IssueRefusal {
                    switch refusal {
                    case .soldOut: answer = CouponPrizeIssueAnswer(outcome: "sold_out")
                    case .disabled: answer = CouponPrizeIssueAnswer(outcome: "disabled")
                    case .validityOver: answer = CouponPrizeIssueAnswer(outcome: "validity_over")
                    }
                }
            }
            try await prizes.record(request, answer: answer, at: day.now)
            if answer.outcome != CouponPrizeIssueAnswer.issued {
                environment.logger.info("a coupon prize was not issued", metadata: [
                    "key": "\(request.key)", "definition": "\(request.definitionId)", "outcome": "\(answer.outcome)",
                ])
            }
            return answer
        }
    }

    @Sendable func definition(_ request: Request, context: CRMRequestContext) async throws -> CouponDefinitionSummary {
        let id = try context.parameters.uuid("id")
        var query = QueryReader(request)
        let store = query.uuid("store")
        try query.throwIfInvalid()
        guard let store else { throw ProblemDetails.validation([.init(field: "store", message: "is required: the store's id")]) }
        return try await environment.database.withTransaction { connection in
            guard let definition = try await DefinitionStore(connection: connection, logger: environment.logger)
                .definition(id, store: store, now: environment.configuration.clock.now(), countingCoupons: false)
            else { throw ProblemDetails.notFound("coupon definition \(id)") }
            return CouponDefinitionSummary(
                id: definition.id, number: definition.number, name: definition.name, enabled: definition.enabled,
                available: definition.counts.available)
        }
    }
}

extension CouponPrizeIssueAnswer: ResponseEncodable {}
extension CouponDefinitionSummary: ResponseEncodable {}
