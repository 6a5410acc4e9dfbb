import Contracts
import Foundation
import Hummingbird

/// Collects what is wrong with a request's fields, so that one 422 names all of them at once.
///
/// ```swift
/// var check = FieldValidator()
/// let name = check.text("name", body.name, maxLength: 50)
/// check.mobile("mobile", body.mobile)
/// try check.throwIfInvalid()
/// ```
public struct FieldValidator: Sendable {
    public private(set) var errors: [ProblemDetails.FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(.init(field: field, message: message))
    }

    /// Records `message` for `field` unless `condition` holds.
    public mutating func require(_ condition: Bool, _ field: String, _ message: String) {
        if !condition { fail(field, message) }
    }

    /// Trims `value`; fails if it is empty or longer than `maxLength` characters. Returns the
    /// trimmed text (possibly invalid: only `throwIfInvalid` says whether it may be used).
    @discardableResult
    public mutating func text(_ field: String, _ value: String, maxLength: Int) -> String {
        let trimmed = value.trimmed
        if trimmed.isEmpty {
            fail(field, "must not be empty")
        } else if trimmed.count > maxLength {
            fail(field, "must be at most \(maxLength) characters")
        }
        return trimmed
    }

    /// Like `text`, for a field that may be left out; empty text counts as left out.
    @discardableResult
    public mutating func optionalText(_ field: String, _ value: String?, maxLength: Int) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmed
        if trimmed.isEmpty { return nil }
        if trimmed.count > maxLength { fail(field, "must be at most \(maxLength) characters") }
        return trimmed
    }

    /// An 11-digit mainland-China mobile number (`13871150099`); `+86`, spaces and dashes are
    /// removed first. Returns the normalised number.
    @discardableResult
    public mutating func mobile(_ field: String, _ value: String) -> String {
        guard let normalised = ChineseMobile.normalise(value) else {
            fail(field, "must be an 11-digit mobile number starting with 1, e.g. 13871150099")
            return value
        }
        return normalised
    }

    @discardableResult
    public mutating func optionalMobile(_ field: String, _ value: String?) -> String? {
        guard let value, !value.trimmed.isEmpty else { return nil }
        return mobile(field, value)
    }

    public mutating func range<Number: Comparable>(_ field: String, _ value: Number, _ range: ClosedRange<Number>) {
        require(range.contains(value), field, "must be from \(range.lowerBound) to \(range.upperBound)")
    }

    /// Throws a 422 naming every failed field, if any failed.
    public func throwIfInvalid() throws {
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }
}

/// Mainland-China mobile numbers, as staff type them and as they are stored.
public enum ChineseMobile {
    /// `+86 138-7115-0099` → `13871150099`; nil unless the result is 11 digits starting 1[3-9].
    public static func normalise(_ text: String) -> String? {
        var digits = text.filter { !$0.isWhitespace && $0 != "-" }
        if digits.hasPrefix("+86") { digits.removeFirst(3) } else if digits.hasPrefix("0086") { digits.removeFirst(4) }
        guard digits.count == 11, digits.allSatisfy(\.isASCIIDigit), digits.hasPrefix("1"),
              let second = digits.dropFirst().first, ("3"..."9").contains(second)
        else { return nil }
        return digits
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Reads query parameters with the same care as bodies: a bad value is a 422 naming it.
public struct QueryReader {
    public let values: [String: String]
    public private(set) var validator = FieldValidator()

    public init(_ request: Request) {
        var values: [String: String] = [:]
        // Hummingbird has percent-decoded them already.
        for (name, value) in request.uri.queryParameters { values[String(name)] = String(value) }
        self.values = values
    }

    public mutating func string(_ name: String, maxLength: Int = 100) -> String? {
        guard let value = values[name]?.trimmed, !value.isEmpty else { return nil }
        if value.contains("\0") { validator.fail(name, "must not contain the NUL character"); return nil }
        if value.count > maxLength { validator.fail(name, "must be at most \(maxLength) characters"); return nil }
        return value
    }

    public mutating func uuid(_ name: String) -> UUID? {
        guard let text = string(name) else { return nil }
        guard let id = UUID(uuidString: text) else { validator.fail(name, "must be a UUID"); return nil }
        return id
    }

    public mutating func oneOf<Value: RawRepresentable & CaseIterable>(_ name: String, _ type: Value.Type) -> Value? where Value.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            validator.fail(name, "must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A mobile to filter by: normalised like a body's (`+86 138-7115-0099` → `13871150099`),
    /// or as typed when it is no mobile, so that the filter simply finds nothing.
    public mutating func mobile(_ name: String) -> String? {
        string(name, maxLength: 20).map { ChineseMobile.normalise($0) ?? $0 }
    }

    /// `true`/`1` or `false`/`0`.
    public mutating func bool(_ name: String) -> Bool? {
        guard let text = string(name, maxLength: 5)?.lowercased() else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default:
            validator.fail(name, "must be true or false")
            return nil
        }
    }

    /// An RFC 3339 date-time or a plain date (`2026-11-22`, taken as midnight UTC).
    public mutating func date(_ name: String) -> Date? {
        guard let text = string(name) else { return nil }
        if let date = RFC3339.date(from: text) { return date }
        if let date = RFC3339.date(from: text + "T00:00:00Z") { return date }
        validator.fail(name, "must be a date (2026-11-22) or an RFC 3339 date-time")
        return nil
    }

    public func throwIfInvalid() throws {
        try validator.throwIfInvalid()
    }
}
