import Contracts
import Foundation
import ServiceKit

/// The referral rule at work (老带新, C6; seed §8.4): a referred prospect arrives
/// (`prospects.prospect.arrived.v1`) or buys (`prospects.prospect.purchased.v1`); when that is
/// the store's trigger, the old customer and/or the new one get the rule's coupons.
///
/// Once per referred customer (by mobile), trigger and recipient — `referral_award`'s primary
/// key holds it across redelivered events, repeated arrivals and replicas. A self-referral (the
/// referrer's mobile is the customer's own) gives nothing to anyone. An award that cannot be
/// issued (sold out, disabled, the customer's limit) is recorded with why, logged, and not
/// retried: the event is handled.
enum ReferralEvents {
    static func add(to handlers: inout EventHandlers) {
        handlers.on(ProspectArrived.self) { event, context in
            let arrival = event.data
            try await award(
                trigger: .arrival, store: arrival.storeId, prospect: arrival.prospectId, refereeMobile: arrival.mobile,
                refereeName: arrival.name, referrerMobile: arrival.referrerMobile, event: event.id, context: context)
        }
        handlers.on(ProspectPurchased.self) { event, context in
            let purchase = event.data
            try await award(
                trigger: .purchase, store: purchase.storeId, prospect: purchase.prospectId, refereeMobile: purchase.mobile,
                refereeName: purchase.name, referrerMobile: purchase.referrerMobile, event: event.id, context: context)
        }
    }

    private static func award(
        trigger: ReferralTrigger, store: UUID, prospect: UUID, refereeMobile: String, refereeName: String, referrerMobile: String?,
        event: String, context: EventContext
    ) async throws {
        guard let referrerMobile else { return }
        let referrals = ReferralStore(connection: context.connection, logger: context.logger)
        let rule = try await referrals.rule(of: store)
        guard rule.enabled, rule.trigger == trigger else { return }
        guard referrerMobile != refereeMobile else {
            context.logger.info("a self-referral earns no coupons", metadata: ["store": "\(store)", "prospect": "\(prospect)", "event": "\(event)"])
            return
        }
        let day = StoreDay(now: context.clock.now(), timeZone: try await context.directory.timeZone(of: store, on: context.connection, logger: context.logger))
        let awards: [(recipient: String, mobile: String, name: String?, definition: UUID?, coupons: Int)] = [
            ("referrer", referrerMobile, nil, rule.referrerDefinitionId, rule.referrerCoupons ?? 1),
            ("referee", refereeMobile, refereeName, rule.refereeDefinitionId, rule.refereeCoupons ?? 1),
        ]
        for award in awards {
            guard let definitionID = award.definition else { continue }
            // The definition's row first, as every issuing path takes it: the award's foreign key
            // would otherwise share-lock it before this asks to update it, and two replicas
            // handling two arrivals would deadlock.
            let definition = try await DefinitionStore(connection: context.connection, logger: context.logger)
                .definition(definitionID, store: store, now: day.now, forUpdate: true)
            guard try await referrals.claimAward(
                store: store, refereeMobile: refereeMobile, trigger: trigger, recipient: award.recipient, recipientMobile: award.mobile,
                prospect: prospect, definition: definitionID, event: event, at: day.now)
            else { continue }
            var outcome = "issued", issued = 0
            if let definition {
                do {
                    let result = try await CouponIssuer(connection: context.connection, logger: context.logger, outbox: context.outbox).issue(
                        CouponIssuer.Issue(
                            definition: definition, perPerson: award.coupons, taskID: nil, taskNumber: nil, issuedBy: nil, day: day,
                            referralOf: refereeMobile),
                        to: [CouponRecipient(mobile: award.mobile, name: award.name)])
                    issued = result.couponsIssued
                    if issued == 0 { outcome = "limit_reached" }
                } catch let refusal as IssueRefusal {
                    switch refusal {
                    case .soldOut: outcome = "sold_out"
                    case .disabled: outcome = "disabled"
                    case .validityOver: outcome = "validity_over"
                    }
                }
            } else {
                outcome = "disabled"
            }
            if issued == 0 {
                context.logger.warning("a referral award could not be issued", metadata: [
                    "store": "\(store)", "recipient": "\(award.recipient)", "outcome": "\(outcome)", "event": "\(event)",
                ])
            }
            try await referrals.recordOutcome(
                store: store, refereeMobile: refereeMobile, trigger: trigger, recipient: award.recipient, outcome: outcome, coupons: issued)
        }
    }
}
