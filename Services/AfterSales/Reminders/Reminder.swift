import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The kinds of care reminder (关怀, SPEC AS7; seed 002), the codes of the closed dictionary
/// `reminderKind`. What each is generated from (`ReminderStore.generate`), on the store's clock:
///
/// - `maintenance` (定期保养) — the car's latest visit (repair order opened up to now): due
///   `ReminderSettings.maintenanceIntervalMonths` months after its day, or — when the store sets
///   `maintenanceIntervalKm` and the car has a mileage trend — on the day it will have driven
///   that many km more, whichever comes first. The trend is km per day between the car's first
///   and latest visits that recorded a mileage (more than 0 km), on different days, the latest
///   reading higher. One reminder per latest visit.
/// - `annualInspection` (年审) — the registration date's anniversaries that the store's
///   inspection rule names (`ReminderSettings`).
/// - `birthday` (生日关怀) — each person's birthday; 29 February falls on 28 February in a common
///   year (PostgreSQL's year arithmetic).
/// - `warrantyExpiry` (质保到期) — the vehicle's warranty end date.
/// - `licenceReview` (驾驶证审验) — each person's driving-licence expiry.
///
/// Birthdays and licences are per person — owner, user, driver — once per mobile: a user or
/// driver with the owner's mobile (or a driver with the user's) is the same person and gets no
/// second reminder. The other kinds are the owner's.
enum ReminderKind: String, Codable, Sendable, CaseIterable {
    case maintenance
    case annualInspection = "annual_inspection"
    case birthday
    case warrantyExpiry = "warranty_expiry"
    case licenceReview = "licence_review"
}

/// How to contact the customer (提醒方式, seed 002: 电话, 信件, 短信), the codes of the closed
/// dictionary `reminderContactMethod`. A new reminder takes the store's default (phone unless
/// the store chose another); staff record the one they used when they mark it done.
enum ReminderContactMethod: String, Codable, Sendable, CaseIterable {
    case phone
    case letter
    case sms
}

/// Whose reminder it is: the vehicle's owner (车主), user (使用者) or driver (驾驶员).
enum ReminderPerson: String, Codable, Sendable, CaseIterable {
    case owner
    case user
    case driver

    /// The person's title in exports.
    var label: String {
        switch self {
        case .owner: "车主"
        case .user: "使用者"
        case .driver: "驾驶员"
        }
    }
}

/// A care reminder as the API shows it. Days are `yyyy-MM-dd` on the store's calendar; times
/// are RFC 3339 UTC.
struct ReminderView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var storeId: UUID
    var kind: ReminderKind
    var vehicleId: UUID
    var vin: String
    var plate: String?
    /// Whose reminder it is, and how to reach them (name and mobile as the file had them when
    /// the reminder was generated).
    var personRole: ReminderPerson
    var personName: String
    var personMobile: String
    /// The day the reminder is about: the birthday, the inspection, the expiry, the maintenance.
    var dueOn: String
    /// The store day it was generated for and is listed on (`dueOn` less the kind's days ahead,
    /// or the day the switch took effect when that came later).
    var remindOn: String
    var contactMethod: ReminderContactMethod
    var done: Bool
    /// Who marked it done, and when; nil while not done.
    var doneBy: UUID?
    var doneAt: Date?
    var note: String?
    var createdAt: Date
    var updatedAt: Date
}

/// `PATCH /api/v1/after-sales/reminders/{id}`: done or not done, with the contact method used
/// and a note. `done` is required; a contact method not given keeps the reminder's; a note
/// not given keeps it, an empty one clears it.
struct ReminderHandling: Decodable, Sendable {
    var done: Bool
    var contactMethod: String?
    var note: String?

    /// The longest note, in characters.
    static let noteLength = 500

    /// What to write, or a 422 naming every bad field.
    func validated(methods: StoreDictionary) throws -> (done: Bool, contactMethod: ReminderContactMethod?, note: String?, clearsNote: Bool) {
        var check = FieldValidator()
        var method: ReminderContactMethod?
        if let contactMethod {
            if let code = check.requiredCode("contactMethod", contactMethod, in: methods) { method = ReminderContactMethod(rawValue: code) }
        }
        let note = check.optionalText("note", note, maxLength: Self.noteLength)
        try check.throwIfInvalid()
        return (done, method, note, self.note != nil && note == nil)
    }
}

/// The filters of the reminder list and its export: the store day the reminders are listed on
/// (`date`, default today on the store's clock), a kind, done or not done.
struct ReminderFilter: Sendable {
    var date: String
    var kind: ReminderKind?
    var done: Bool?

    /// The query's filters; bad ones are one 422 naming each (`date` must be `yyyy-MM-dd`,
    /// `kind` a code of `reminderKind`, `done` true or false).
    init(_ request: Request, today: String, kinds: StoreDictionary) throws {
        var query = QueryReader(request)
        let dateText = query.code("date")
        let kindCode = query.code("kind")
        done = query.bool("done")
        var check = FieldValidator()
        date = today
        if let dateText {
            if let day = CalendarDate.parse(dateText) { date = day } else { check.fail("date", "must be a day written yyyy-MM-dd (2026-11-22)") }
        }
        kind = check.filterCode("kind", kindCode, in: kinds).flatMap(ReminderKind.init(rawValue:))
        let errors = query.validator.errors + check.errors
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    /// ` AND …` for each filter; `m` is the reminder table.
    func apply(to sql: inout QueryBuilder) {
        sql.append(" AND m.remind_on = ", bind: date)
        sql.append("::date")
        if let kind { sql.append(" AND m.kind = ", bind: kind.rawValue) }
        if let done { sql.append(" AND m.done = ", bind: done) }
    }
}

/// The store's words for reminder codes (G5): kinds and contact methods.
struct ReminderDictionaries: Sendable {
    var kinds: StoreDictionary
    var methods: StoreDictionary

    static func of(_ store: UUID, in environment: ServiceEnvironment, on connection: PostgresConnection) async throws -> Self {
        let sets = try await environment.directory.dictionaries(
            [DataDictionaries.reminderKind, DataDictionaries.reminderContactMethod], store: store, on: connection, logger: environment.logger)
        return Self(kinds: sets[DataDictionaries.reminderKind], methods: sets[DataDictionaries.reminderContactMethod])
    }
}
