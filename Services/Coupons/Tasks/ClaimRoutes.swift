import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/public/coupons/claims/{token}` (领券, C2): what a WeChat H5 page calls — no login;
/// the gateway rate-limits the public prefix. The token is the secret of a claim task's link.
///
/// A claim gives the task's coupons-per-person to one mobile, and may be repeated until the
/// customer holds the definition's per-customer limit. A task that lists customers (quick,
/// imported) accepts only their mobiles; a conditional claim task accepts anyone.
struct ClaimRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("claims/:token", use: offer)
        group.post("claims/:token", use: claim)
    }

    /// What the claim page shows.
    struct Offer: Codable, Sendable, ResponseEncodable {
        var taskName: String
        var couponName: String
        var kind: String
        var kindLabel: String
        var faceValue: Decimal?
        var covers: String?
        var minimumSpend: Decimal?
        /// The last day on the store's calendar for fixed dates; else the days from claiming.
        var validUntil: String?
        var validDays: Int?
        var perPerson: Int
        /// Coupons left to claim; 0 is sold out (已领完).
        var available: Int
        /// Whether the link still takes claims.
        var open: Bool
        var description: String
    }

    struct ClaimRequest: Decodable, Sendable {
        var mobile: String
        var name: String?
    }

    /// The coupons one claim gave.
    struct Claimed: Codable, Sendable, ResponseEncodable {
        var coupons: [ClaimedCoupon]
    }

    struct ClaimedCoupon: Codable, Sendable {
        /// The code grouped for reading: `5191 5250 4840 2813`.
        var code: String
        var name: String
        var faceValue: Decimal?
        var lastDay: String
    }

    @Sendable func offer(_ request: Request, context: CRMRequestContext) async throws -> Offer {
        let token = try context.parameters.require("token")
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            let tasks = IssueTaskStore(connection: connection, logger: environment.logger)
            guard let task = try await tasks.task(claimToken: token) else { throw Self.unknownLink }
            let storeID = task.storeID
            guard let definition = try await DefinitionStore(connection: connection, logger: environment.logger)
                .definition(task.definitionID, store: storeID, now: now, countingCoupons: false) else { throw Self.unknownLink }
            let kinds = try await environment.directory.dictionary(DataDictionaries.couponKind, store: storeID, on: connection, logger: environment.logger)
            return Offer(
                taskName: task.name, couponName: definition.name, kind: definition.kind, kindLabel: kinds.label(definition.kind) ?? definition.kind,
                faceValue: definition.faceValue, covers: definition.covers, minimumSpend: definition.minimumSpend,
                validUntil: definition.validUntil, validDays: definition.validDays, perPerson: task.perPerson,
                available: definition.enabled ? definition.counts.available : 0,
                open: task.state == IssueTaskState.claiming.rawValue && definition.enabled, description: definition.description)
        }
    }

    @Sendable func claim(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<Claimed> {
        let token = try context.parameters.require("token")
        let body = try await request.decodeJSON(as: ClaimRequest.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", body.mobile)
        let name = check.optionalText("name", body.name, maxLength: 30)
        try check.throwIfInvalid()
        let claimed = try await environment.database.withTransaction { connection in
            let tasks = IssueTaskStore(connection: connection, logger: environment.logger)
            // The task is locked for share: claims run side by side, closing the link waits for them.
            guard let task = try await tasks.task(claimToken: token) else { throw Self.unknownLink }
            let storeID = task.storeID
            guard task.state == IssueTaskState.claiming.rawValue else {
                throw ProblemDetails.conflict("this claim link is closed (已结束)")
            }
            if task.kind != IssueTaskKind.conditional.rawValue {
                guard try await tasks.lists(mobile, task: task.id) else {
                    throw ProblemDetails(status: .forbidden, detail: "this coupon is for the customers it was sent to; \(mobile) is not one of them")
                }
            } else if !task.conditions.isEmpty {
                let matches = try await CustomerStore(connection: connection, logger: environment.logger)
                    .customers(of: storeID, matching: task.conditions, mobile: mobile)
                guard !matches.isEmpty else {
                    throw ProblemDetails(status: .forbidden, detail: "this coupon is for the store's customers it was meant for; \(mobile) is not one of them")
                }
            }
            let day = try await environment.storeDay(storeID, on: connection)
            guard let definition = try await DefinitionStore(connection: connection, logger: environment.logger)
                .definition(task.definitionID, store: storeID, now: day.now, forUpdate: true) else { throw Self.unknownLink }
            let issuer = CouponIssuer(connection: connection, logger: environment.logger, outbox: environment.outbox)
            let outcome: IssueOutcome
            do {
                outcome = try await issuer.issue(
                    CouponIssuer.Issue(
                        definition: definition, perPerson: task.perPerson, taskID: task.id, taskNumber: task.number,
                        issuedBy: nil, day: day),
                    to: [CouponRecipient(mobile: mobile, name: name)])
            } catch IssueRefusal.soldOut {
                var problem = ProblemDetails.conflict("sold out (已领完): no coupons of \(definition.name) are left")
                problem.title = "Sold out"
                throw problem
            } catch let refusal as IssueRefusal {
                throw refusal.problem
            }
            guard outcome.couponsIssued > 0 else {
                var problem = ProblemDetails.conflict(
                    "\(task.perPerson) more coupons of \(definition.name) would give \(mobile) more than \(definition.perCustomerLimit), the most one customer may hold")
                problem.title = "Limit reached"
                throw problem
            }
            return Claimed(coupons: outcome.codes.map {
                ClaimedCoupon(code: CouponCode.grouped($0), name: definition.name, faceValue: definition.faceValue, lastDay: outcome.lastDay ?? "")
            })
        }
        return EditedResponse(status: .created, response: claimed)
    }

    private static let unknownLink = ProblemDetails.notFound("claim link")
}
