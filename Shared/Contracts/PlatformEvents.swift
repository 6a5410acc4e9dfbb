import Foundation

// Events published by car-lead platforms (汽车之家 Autohome, 易车 Yiche, 懂车帝 Dongchedi …)
// or by the dealer's integration that collects their leads.

/// The platform a lead came from.
public enum LeadPlatform: String, Codable, Sendable, CaseIterable {
    /// 汽车之家
    case autohome
    /// 易车
    case yiche
    /// 懂车帝
    case dongchedi
    case other
}

/// A platform received a sales lead for one of the dealer's stores (L3). Leads creates the lead
/// — or, for a mobile the store already has, records a duplicate and brings its follow-up to
/// today.
public struct PlatformLeadReceived: EventPayload, Equatable {
    public static let eventType = "platform.lead.received.v1"

    public var platform: LeadPlatform
    /// The platform's own id of the lead; the same id sent again is the same lead.
    public var platformLeadId: String
    /// The ERP's code of the store the lead is for (`HX000001`).
    public var storeCode: String
    public var name: String
    /// As the platform has it; Leads removes `+86`, spaces and dashes.
    public var mobile: String
    public var province: String?
    public var city: String?
    public var brand: String?
    public var series: String?
    public var model: String?
    public var note: String?
    public var receivedAt: Date
    /// The code of the store's channel QR code (推广二维码, M6) the customer came through, when
    /// the page that took the lead was opened from one (its URL's `channel` parameter).
    /// Marketing attributes the lead to that channel; Leads ignores it.
    public var channelCode: String?

    public init(
        platform: LeadPlatform, platformLeadId: String, storeCode: String, name: String, mobile: String,
        province: String? = nil, city: String? = nil, brand: String? = nil, series: String? = nil, model: String? = nil,
        note: String? = nil, receivedAt: Date, channelCode: String? = nil
    ) {
        self.platform = platform
        self.platformLeadId = platformLeadId
        self.storeCode = storeCode
        self.name = name
        self.mobile = mobile
        self.province = province
        self.city = city
        self.brand = brand
        self.series = series
        self.model = model
        self.note = note
        self.receivedAt = receivedAt
        self.channelCode = channelCode
    }
}
