import Foundation

/// A mainland-China licence plate (车牌号), as the vehicle file and repair orders keep it.
///
/// A plate is a province abbreviation, the letter of the issuing office and a serial:
///
/// - ordinary cars: 5 letters or digits — `鄂A81245`;
/// - new-energy cars (新能源): 6 — `鄂AD12345`, `鄂A12345F`;
/// - trailers, learner cars, police, Hong Kong and Macau cars: 4 and a closing
///   挂 / 学 / 警 / 港 / 澳 — `鄂A1234挂`, `粤Z1234港`.
///
/// Staff write plates as they appear on the car, `鄂A·81245` or `鄂a 81245`; every form is
/// stored the same way, so that a search by plate finds the car however it was typed. Other
/// countries' and military plates are not accepted.
public struct Plate: Hashable, Sendable, CustomStringConvertible {
    /// Normalised: no spaces or middle dot, letters in capitals.
    public let text: String

    public var description: String { text }

    public static let provinces: Set<Character> = Set("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
    public static let closingCharacters: Set<Character> = Set("挂学警港澳")

    /// Checks a plate that must be there.
    public init(_ input: String) throws(PlateError) {
        let plate = Array(Plate.normalise(input))
        guard let province = plate.first, Plate.provinces.contains(province) else { throw .noProvince }
        guard plate.count >= 2, plate[1].isASCIICapital else { throw .noOfficeLetter }
        let serial = plate.dropFirst(2)
        let isOrdinaryOrNewEnergy = (serial.count == 5 || serial.count == 6) && serial.allSatisfy(\.isASCIICapitalOrDigit)
        let isSpecial = serial.count == 5 && serial.prefix(4).allSatisfy(\.isASCIICapitalOrDigit)
            && Plate.closingCharacters.contains(serial.last!)
        guard isOrdinaryOrNewEnergy || isSpecial else { throw .wrongSerial }
        self.text = String(plate)
    }

    /// A plate that may be missing: nothing, or only spaces, is a car not registered yet (nil).
    public static func optional(_ input: String?) throws(PlateError) -> Plate? {
        guard let input, !normalise(input).isEmpty else { return nil }
        return try Plate(input)
    }

    /// `" 鄂a·81245 "` → `"鄂A81245"`: spaces and the middle dot removed, letters upper-cased.
    public static func normalise(_ input: String) -> String {
        String(input.filter { !$0.isWhitespace && $0 != "·" }).uppercased()
    }
}

/// What is wrong with a plate; `message` is what the 422 says.
public enum PlateError: Error, Equatable {
    case noProvince
    case noOfficeLetter
    case wrongSerial

    public var message: String {
        switch self {
        case .noProvince:
            return "must start with a province abbreviation such as 京, 粤 or 鄂"
        case .noOfficeLetter:
            return "must have a letter A–Z after the province, as in 鄂A81245"
        case .wrongSerial:
            return "must end in 5 letters or digits (鄂A81245), 6 for a new-energy car (鄂AD12345), or 4 and 挂, 学, 警, 港 or 澳 (粤Z1234港)"
        }
    }
}

extension Character {
    fileprivate var isASCIICapital: Bool { isASCII && isUppercase }
    fileprivate var isASCIICapitalOrDigit: Bool { isASCII && (isUppercase || isNumber) }
}
