/// Every event payload type Dealer CRM knows, in one list.
///
/// ContractsTests checks it against the channels of asyncapi.yaml in both directions, so a new
/// event type is added here, documented there, or the tests fail.
public enum EventCatalog {
    public static let all: [any EventPayload.Type] = [
        ERPRepairOrderOpened.self,
        ERPRepairOrderCompleted.self,
        ERPSalesOrderCreated.self,
        ERPVehicleDelivered.self,
        ERPInsurancePolicyIssued.self,
        RepairOrderCompleted.self,
        VehicleChanged.self,
        IdentityStoreChanged.self,
        IdentityUserChanged.self,
        IdentityDictionaryChanged.self,
        ComplaintOpened.self,
        PlatformLeadReceived.self,
        LeadChanged.self,
        LeadArrived.self,
        ProspectFollowUpRecorded.self,
        ProspectChanged.self,
        ProspectArrived.self,
        ProspectPurchased.self,
        CouponIssued.self,
        CouponRedeemed.self,
        CouponRevoked.self,
        MarketingRegistrationCreated.self,
        MarketingPrizeWon.self,
        MarketingSmsDelivered.self,
    ]

    /// The payload type for a CloudEvents `type` (= routing key), or nil for a type nobody here
    /// publishes or reads.
    public static func payloadType(for eventType: String) -> (any EventPayload.Type)? {
        all.first { $0.eventType == eventType }
    }
}
