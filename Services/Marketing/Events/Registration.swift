import Foundation
import Hummingbird
import ServiceKit

/// A registration as staff see it (报名, M3): who registered for the event, from which channel,
/// and whether they came (签到). Times are UTC instants; `…Local` the same on the store's clock.
struct RegistrationView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var eventId: UUID
    var mobile: String
    var name: String
    /// The channel code the registration page passed on (推广二维码, M6), as it was sent.
    var channelCode: String?
    var registeredAt: Date
    var registeredAtLocal: String
    var checkedIn: Bool
    var checkedInAt: Date?
    var checkedInAtLocal: String?
}

/// What the public registration page sends (`POST /api/v1/public/marketing/events/{id}/registrations`).
struct RegistrationRequest: Decodable, Sendable {
    /// A mainland-China mobile (11 digits; `+86`, spaces and dashes are removed).
    var mobile: String
    var name: String
    /// The channel the page was opened from (a poster's or a consultant's QR code), if any.
    var channelCode: String?
}

/// What the public page gets back: the registration's id and the event, never the name on file —
/// a repeat registration of a mobile answers the first one (200) without saying who made it.
struct RegistrationReceipt: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var eventId: UUID
    var eventName: String
    var mobile: String
    /// When the event begins and ends on the store's clock, `yyyy-MM-dd HH:mm`.
    var startsAtLocal: String
    var endsAtLocal: String
    var registeredAt: Date
    /// True when this mobile had registered before: this is that registration.
    var alreadyRegistered: Bool
}

/// A check-in at the event (`POST /api/v1/marketing/events/{id}/check-ins`): by the
/// registration's id or by the mobile it was made with — exactly one of them.
struct CheckInRequest: Decodable, Sendable {
    var registrationId: UUID?
    var mobile: String?
}

/// What a check-in did: checked the registrant in now, or — the second time — nothing, saying
/// when they were checked in.
struct CheckInResult: Codable, Sendable, ResponseEncodable {
    var registration: RegistrationView
    var alreadyCheckedIn: Bool
    /// For the person at the door: "checked in" or "already checked in at 2026-12-20 09:12 (store time)".
    var message: String
}

/// The event as the customer-facing page shows it (`GET /api/v1/public/marketing/events/{id}`).
struct PublicEventView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var theme: String?
    var startsAtLocal: String
    var endsAtLocal: String
    var startsAt: Date
    var endsAt: Date
    /// `free`, `fee` or `deposit`, with the store's word for it and the amount in yuan.
    var charge: String
    var chargeLabel: String
    var amount: Decimal?
    var content: String
    var rules: String?
    var shareTitle: String?
    var shareText: String?
    /// Places left; 0 is full (报名已满).
    var remaining: Int
    /// Whether the page takes registrations now: online (已上架) and not ended.
    var open: Bool
}
