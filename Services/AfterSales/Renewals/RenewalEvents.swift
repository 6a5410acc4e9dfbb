import Contracts
import Foundation
import ServiceKit

/// What AfterSales does with the ERP's `erp.insurance_policy.issued.v1` (SPEC AS6): the
/// renewal of a car's insurance, received instead of entered by hand.
///
/// The car is the store's file with the event's VIN (store code → `StoreID.forStoreCode`); a
/// car without a file is skipped and logged, since a file needs an owner the policy does not
/// carry. The policy is recorded once per store, insurer and policy number — the ERP sending it
/// again, under any event id, changes nothing (the inbox already skips a redelivered event). It
/// succeeds the car's renewal task whose policy it follows: the open task — or one the pass
/// failed because the event came late — whose expiry is on or after the day the policy was
/// issued (`issuedAt` on the store's clock) and before the new policy's `expiresOn`. Whether or
/// not it saved a task, a later `expiresOn` becomes the car's insurance expiry and starts the
/// next cycle.
enum RenewalEvents {
    static func add(to handlers: inout EventHandlers) {
        handlers.on(ERPInsurancePolicyIssued.self) { event, context in
            let issued = event.data
            let storeID = StoreID.forStoreCode(issued.storeCode)
            let store = RenewalStore(connection: context.connection, logger: context.logger)
            let vin = VIN.normalise(issued.vin)
            guard let vehicle = try await store.lockedVehicle(vin: vin, store: storeID) else {
                context.logger.warning("an insurance policy for a car the store has no file for; skipped", metadata: [
                    "store": "\(issued.storeCode)", "vin": "\(vin)", "policy": "\(issued.policyNo)", "event": "\(event.id)",
                ])
                return
            }
            let timeZone = try await context.directory.timeZone(of: storeID, on: context.connection, logger: context.logger)
            let issuedOn = ServiceClock.day(of: issued.issuedAt, in: timeZone)
            let task = try await store.lockedTaskSaved(byPolicyIssuedOn: issuedOn, expiring: issued.expiresOn, vehicle: vehicle.id)
            let policy = InsurancePolicy(
                insurer: issued.insurer.trimmed, policyNo: issued.policyNo.trimmed, premium: issued.premium, newExpiry: issued.expiresOn)
            let now = context.clock.now()
            guard try await store.recordPolicy(
                policy, store: storeID, vehicle: vehicle.id, vin: vin, task: task?.id, issuedOn: issuedOn, source: "erp", by: nil, at: now)
            else {
                context.logger.info("an insurance policy the store has already; nothing changes", metadata: [
                    "store": "\(issued.storeCode)", "policy": "\(issued.policyNo)", "event": "\(event.id)",
                ])
                return
            }
            if let task { try await store.markRenewed(task.id, at: now) }
            try await store.extendInsurance(ofVehicle: vehicle.id, to: issued.expiresOn)
            try await VehicleStore(connection: context.connection, logger: context.logger).announceChanges(of: [vehicle.id], to: context.outbox)
        }
    }
}
