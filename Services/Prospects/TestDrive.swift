import Foundation
import Hummingbird
import ServiceKit

/// A test-drive route (试乘试驾路线) as the store configured it.
struct TestDriveRouteView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    var name: String
    var distanceKm: Decimal
    /// How long a drive on the route takes; a demonstration car is booked for this long.
    var minutes: Int
    var description: String?
    /// Inactive routes are kept for the drives that used them but take no new bookings.
    var active: Bool
}

/// A route's fields: all of them to create one, any of them to change one.
struct TestDriveRouteRequest: Decodable {
    var name: String?
    var distanceKm: Decimal?
    var minutes: Int?
    var description: String?
    var active: Bool?

    /// Checks what is given; `creating` also requires name, distance and minutes.
    func checked(creating: Bool) throws -> TestDriveRouteRequest {
        var check = FieldValidator()
        var checked = self
        if creating {
            if name == nil { check.fail("name", "is required") }
            if distanceKm == nil { check.fail("distanceKm", "is required") }
            if minutes == nil { check.fail("minutes", "is required") }
        }
        if let name { checked.name = check.text("name", name, maxLength: 50) }
        if let distanceKm {
            check.require(distanceKm > 0 && distanceKm <= 500 && distanceKm.rounded(toPlaces: 1) == distanceKm, "distanceKm", "must be more than 0 and at most 500, with one decimal at most")
        }
        if let minutes { check.range("minutes", minutes, 5...480) }
        checked.description = check.optionalText("description", description, maxLength: 500)
        try check.throwIfInvalid()
        return checked
    }
}

/// 试乘 (the customer rides along) or 试驾 (the customer drives, which needs a driving licence):
/// the dictionary `testDriveKind`, whose labels the store may change.
enum TestDriveKind: String, Codable, Sendable, CaseIterable, BodyCode {
    case ride, drive
}

/// The documents photographed for a test drive: the ID card and driving licence before it, the
/// signed agreement after it.
enum TestDrivePhotoKind: String, Codable, Sendable, CaseIterable {
    case idCard = "id_card"
    case licence
    case agreement

    var accepted: [UploadedFile.FileType] { self == .agreement ? [.jpeg, .png, .webp, .pdf] : [.jpeg, .png, .webp] }
}

/// A test drive (试乘试驾) as the API shows it: booked → started → finished, or cancelled.
struct TestDriveView: Codable, Sendable, ResponseEncodable {
    var id: UUID
    /// `SJ2611220001`: the first test drive of the store on 22 Nov 2026.
    var testDriveNo: String
    var storeId: UUID
    var prospectId: UUID
    var prospectName: String
    var prospectMobile: String
    var routeId: UUID
    var routeName: String
    var consultantId: UUID
    var consultantName: String?
    var kind: TestDriveKind
    var brand: String?
    var series: String?
    var model: String?
    var vehiclePlate: String?
    var vin: String?
    var driverName: String
    var driverMobile: String
    var idNumber: String?
    var licenceNumber: String?
    var driverAddress: String?
    var bookedFor: Date
    /// `booked`, `started`, `finished`, `cancelled` (the dictionary `testDriveState`).
    var state: String
    var startedAt: Date?
    var finishedAt: Date?
    var distanceKm: Decimal?
    var feedback: String?
    /// 1 (poor) to 5 (excellent), the customer's own rating of the drive.
    var rating: Int?
    var cancelReason: String?
    /// The photos on file, by kind.
    var photos: [TestDrivePhotoKind]
    /// True once the signed agreement is on file.
    var agreementSigned: Bool
    var createdAt: Date
}

/// Booking a test drive: the driver is the prospect unless named, the car the prospect's
/// intended one unless named.
struct NewTestDrive: Decodable {
    var prospectId: UUID
    var routeId: UUID
    /// A code of the store's `testDriveKind`: ride or drive.
    var kind: String
    var bookedFor: Date
    var brand: String?
    var series: String?
    var model: String?
    var vehiclePlate: String?
    var vin: String?
    var driverName: String?
    var driverMobile: String?
    var idNumber: String?
    var licenceNumber: String?
    var driverAddress: String?
}

/// A change to a booked drive: any of the booking's fields.
struct TestDriveChange: Decodable {
    var routeId: UUID?
    /// A code of the store's `testDriveKind`: ride or drive.
    var kind: String?
    var bookedFor: Date?
    var brand: String?
    var series: String?
    var model: String?
    var vehiclePlate: String?
    var vin: String?
    var driverName: String?
    var driverMobile: String?
    var idNumber: String?
    var licenceNumber: String?
    var driverAddress: String?
}

/// The fields of the driver and the car, which a booking and a change of it both carry.
protocol TestDriveDetailFields {
    var brand: String? { get }
    var series: String? { get }
    var model: String? { get }
    var vehiclePlate: String? { get }
    var vin: String? { get }
    var driverName: String? { get }
    var driverMobile: String? { get }
    var idNumber: String? { get }
    var licenceNumber: String? { get }
    var driverAddress: String? { get }
}

extension NewTestDrive: TestDriveDetailFields {}
extension TestDriveChange: TestDriveDetailFields {}

/// The driver's and car's fields of a booking, checked and normalised; `nil` is "not given".
struct TestDriveDetails: Sendable {
    var brand: String?
    var series: String?
    var model: String?
    var vehiclePlate: String?
    var vin: String?
    var driverName: String?
    var driverMobile: String?
    var idNumber: String?
    var licenceNumber: String?
    var driverAddress: String?

    /// Checks the fields into `check`, which the caller throws with its own.
    init(_ body: some TestDriveDetailFields, check: inout FieldValidator) {
        brand = check.optionalText("brand", body.brand, maxLength: 100)
        series = check.optionalText("series", body.series, maxLength: 100)
        model = check.optionalText("model", body.model, maxLength: 100)
        vehiclePlate = check.optionalPlate("vehiclePlate", body.vehiclePlate)
        if let vin = body.vin, !vin.trimmed.isEmpty { self.vin = check.vin("vin", vin) }
        driverName = check.optionalText("driverName", body.driverName, maxLength: 50)
        driverMobile = check.optionalMobile("driverMobile", body.driverMobile)
        idNumber = check.optionalIdentityNumber("idNumber", body.idNumber)
        licenceNumber = check.optionalIdentityNumber("licenceNumber", body.licenceNumber)
        driverAddress = check.optionalText("driverAddress", body.driverAddress, maxLength: 200)
    }
}

extension FieldValidator {
    /// A resident identity card number (居民身份证号码, GB 11643: 17 digits and a check character)
    /// or, for foreigners and visitors from Hong Kong, Macao and Taiwan, a passport or permit
    /// number (5–20 letters and digits). A Chinese driving licence's number is its holder's ID
    /// number. Upper-cased.
    mutating func optionalIdentityNumber(_ field: String, _ value: String?) -> String? {
        guard let text = optionalText(field, value, maxLength: 20)?.uppercased() else { return nil }
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }), (5...20).contains(text.count) else {
            fail(field, "must be an 18-character ID number or a passport or permit number of 5–20 letters and digits")
            return text
        }
        if text.count == 18, text.prefix(17).allSatisfy(\.isNumber) {
            let expected = ResidentIdentityNumber.checkCharacter(of: text)
            require(text.last == expected, field, "is not a valid ID number: its last character should be \(expected)")
        }
        return text
    }
}

/// The check character of an 18-character resident identity number (GB 11643-1999): the first
/// 17 digits weighted, summed, modulo 11, looked up in `1 0 X 9 8 7 6 5 4 3 2`.
enum ResidentIdentityNumber {
    static func checkCharacter(of number: String) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(number.prefix(17), weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
        return Array("10X98765432")[sum % 11]
    }
}
