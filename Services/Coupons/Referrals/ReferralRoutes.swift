import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/coupons/referral-rule` (营销规则配置 · 老带新, C6; seed §8.4): the store's rule.
/// Reading takes `coupons.read`, writing `coupons.configure`.
struct ReferralRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/referral-rule", use: get)
        group.put("coupons/referral-rule", use: put)
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> ReferralRule {
        let principal = try context.require(.readCoupons)
        return try await environment.database.withTransaction { connection in
            try await ReferralStore(connection: connection, logger: environment.logger).rule(of: principal.storeID)
        }
    }

    @Sendable func put(_ request: Request, context: CRMRequestContext) async throws -> ReferralRule {
        let principal = try context.require(.configureCoupons)
        let rule = try await request.decodeJSON(as: ReferralRule.self, context: context)
        return try await environment.database.withTransaction { connection in
            var check = FieldValidator()
            let definitions = DefinitionStore(connection: connection, logger: environment.logger)
            let now = environment.configuration.clock.now()
            for (field, id, countField, count) in [
                ("referrerDefinitionId", rule.referrerDefinitionId, "referrerCoupons", rule.referrerCoupons ?? 1),
                ("refereeDefinitionId", rule.refereeDefinitionId, "refereeCoupons", rule.refereeCoupons ?? 1),
            ] {
                check.range(countField, count, 1...10)
                guard let id else { continue }
                if let definition = try await definitions.definition(id, store: principal.storeID, now: now) {
                    check.require(definition.enabled, field, "\(definition.number) is disabled (已禁用); enable it first")
                    check.require(
                        count <= definition.perCustomerLimit, countField,
                        "must be at most \(definition.perCustomerLimit), the most coupons of \(definition.number) one customer may hold")
                } else {
                    check.fail(field, "is not a coupon definition of this store")
                }
            }
            if rule.enabled, rule.referrerDefinitionId == nil, rule.refereeDefinitionId == nil {
                check.fail("referrerDefinitionId", "an enabled rule gives coupons to the old customer, the new one or both: choose a definition")
            }
            try check.throwIfInvalid()
            let store = ReferralStore(connection: connection, logger: environment.logger)
            try await store.save(rule, store: principal.storeID, by: principal.userID)
            return try await store.rule(of: principal.storeID)
        }
    }
}
