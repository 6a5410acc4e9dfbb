import Contracts
import Foundation
import ServiceKit

/// A person of a vehicle file — the owner (车主), the user (使用者) or the driver (驾驶员) — with
/// the profile the after-sales rules read (AS2): solicitation campaigns choose customers by
/// region, gender, source and birth date (AS4), care reminders fire on birthdays and
/// driving-licence expiry (AS7).
///
/// The vehicle file's own type, for the API and the `aftersales.vehicle` table; events carry
/// `Person` (name and mobile) alone, which `person` gives.
///
/// In a body, a person sent replaces the whole person: a profile field left out of it is empty
/// afterwards (the person may be someone else now; nothing of the former one's is kept).
struct VehiclePerson: Codable, Sendable, Equatable {
    var name: String
    /// 11 digits, stored normalised (`13871150099`).
    var mobile: String
    /// A code of the store's dictionary `gender` (`male`, `female`).
    var gender: String?
    /// `yyyy-MM-dd`, not after the store's today.
    var birthDate: String?
    /// 省 and 市 as staff write them (`湖北省`, `武汉市`), at most 20 characters each.
    var province: String?
    var city: String?
    /// How the customer came to the store: a code of the store's dictionary `customerSource`
    /// (an open set: `new_car_sale`, `referral`, `walk_in`, `online`, `insurance_referral`,
    /// `other` and the store's own).
    var source: String?
    /// 驾驶证到期: the day the driving licence must be renewed, `yyyy-MM-dd`.
    var licenceExpiry: String?

    init(
        name: String, mobile: String, gender: String? = nil, birthDate: String? = nil, province: String? = nil,
        city: String? = nil, source: String? = nil, licenceExpiry: String? = nil
    ) {
        self.name = name
        self.mobile = mobile
        self.gender = gender
        self.birthDate = birthDate
        self.province = province
        self.city = city
        self.source = source
        self.licenceExpiry = licenceExpiry
    }

    /// Name and mobile, as events carry a person.
    var person: Person { Person(name: name, mobile: mobile) }
}

extension FieldValidator {
    /// Longest province and city.
    static let regionLength = 20

    /// A vehicle file's person, checked and normalised, every bad field named under `field`
    /// (`owner.gender`, `driver.birthDate`); coded fields against the store's dictionaries.
    ///
    /// - Parameter today: the store's today (`yyyy-MM-dd`): nobody is born after it.
    mutating func vehiclePerson(_ field: String, _ value: VehiclePerson, dictionaries: VehicleDictionaries, today: String) -> VehiclePerson {
        let birthDate = optionalDate("\(field).birthDate", value.birthDate)
        // `yyyy-MM-dd` text compares as the days do.
        if let birthDate, birthDate > today {
            fail("\(field).birthDate", "must not be after today (\(today))")
        }
        return VehiclePerson(
            name: text("\(field).name", value.name, maxLength: Self.nameLength),
            mobile: mobile("\(field).mobile", value.mobile),
            gender: code("\(field).gender", value.gender, in: dictionaries.genders),
            birthDate: birthDate,
            province: optionalText("\(field).province", value.province, maxLength: Self.regionLength),
            city: optionalText("\(field).city", value.city, maxLength: Self.regionLength),
            source: code("\(field).source", value.source, in: dictionaries.sources),
            licenceExpiry: optionalDate("\(field).licenceExpiry", value.licenceExpiry))
    }
}
