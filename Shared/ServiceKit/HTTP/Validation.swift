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
///
/// One rule for the whole API, which `/openapi.yaml` states too: **a parameter sent empty
/// (`?to=` or `?to`) is the same as one left out** — every reader answers nil for it, and a
/// required one is then "is required". Free text (`string`, `mobile`) is trimmed, so text of
/// nothing but white space is left out too; its length limit counts the characters as sent.
/// Typed values — ids, dates, numbers, flags, codes from a list — are read exactly as sent
/// (no trimming, no other spelling), as the document's formats describe them.
///
/// ```swift
/// var query = QueryReader(request)
/// let consultantID = query.uuid("consultantId")   // nil if absent or empty
/// let to = query.date("to")
/// try query.throwIfInvalid()                      // one 422 naming every bad parameter
/// ```
public struct QueryReader {
    /// Every parameter as sent (decoded, untrimmed); of a repeated one, the last value.
    public let values: [String: String]
    public private(set) var validator = FieldValidator()

    /// The request's query string, read as `init(query:)` reads it.
    public init(_ request: Request) {
        self.init(query: request.uri.query)
    }

    /// Splits a query string as HTML forms, `URLSearchParams` and HTTP libraries write it
    /// (`application/x-www-form-urlencoded`): pairs at `&`, name and value at the first `=` (a
    /// name without one has the empty value), `+` a space and `%XX` a byte of UTF-8 — so a plus
    /// is written `%2B`. An escape that does not decode is kept as written. (Hummingbird's own
    /// `queryParameters` keeps `+` as a plus, and so read `?vin=+LFV` as `+LFV`.)
    public init(query: String?) {
        var values: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[Self.decode(parts[0])] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        self.values = values
    }

    /// Reads from already-split parameters (name → value as sent).
    public init(values: [String: String]) {
        self.values = values
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// The value as sent, or nil when the parameter is absent or empty: the one place that says
    /// an empty value is no value.
    public func given(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// Free text, trimmed; nil when absent, empty or only white space. Records a failure (and
    /// answers nil) when the text as sent is longer than `maxLength` characters or contains NUL.
    public mutating func string(_ name: String, maxLength: Int = 100) -> String? {
        guard let value = given(name) else { return nil }
        if value.contains("\0") { validator.fail(name, "must not contain the NUL character"); return nil }
        if value.count > maxLength { validator.fail(name, "must be at most \(maxLength) characters"); return nil }
        let trimmed = value.trimmed
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A code to filter by (a state, a level, a data dictionary's code), exactly as sent — not
    /// trimmed: only an empty value is no value, and ` ` or a tab is a value the filter's check
    /// refuses. Records a failure for a value over 50 characters or with NUL.
    public mutating func code(_ name: String) -> String? {
        guard let value = given(name) else { return nil }
        if value.contains("\0") { validator.fail(name, "must not contain the NUL character"); return nil }
        if value.count > 50 { validator.fail(name, "must be at most 50 characters"); return nil }
        return value
    }

    /// A UUID (`E3E70682-C209-1CAC-A29F-6FBED82C07CD`, either case); nil when absent or empty.
    /// Anything else records "must be a UUID".
    public mutating func uuid(_ name: String) -> UUID? {
        guard let text = given(name) else { return nil }
        guard let id = UUID(uuidString: text) else { validator.fail(name, "must be a UUID"); return nil }
        return id
    }

    /// Like `uuid`, for a parameter the operation cannot do without: absent or empty records
    /// "is required".
    public mutating func requiredUUID(_ name: String) -> UUID? {
        guard given(name) != nil else { validator.fail(name, "is required"); return nil }
        return uuid(name)
    }

    /// One of `Value`'s raw values, exactly (case and all); nil when absent or empty. Anything
    /// else records "must be one of: …".
    public mutating func oneOf<Value: RawRepresentable & CaseIterable>(_ name: String, _ type: Value.Type) -> Value? where Value.RawValue == String {
        guard let text = given(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            validator.fail(name, "must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A mobile to filter by: normalised like a body's (`+86 138-7115-0099` → `13871150099`),
    /// or as typed when it is no mobile, so that the filter simply finds nothing. Free text of
    /// at most 20 characters, like `string`.
    public mutating func mobile(_ name: String) -> String? {
        string(name, maxLength: 20).map { ChineseMobile.normalise($0) ?? $0 }
    }

    /// `true`/`1` or `false`/`0`, exactly; nil when absent or empty. Anything else records
    /// "must be true or false".
    public mutating func bool(_ name: String) -> Bool? {
        guard let text = given(name) else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default:
            validator.fail(name, "must be true or false")
            return nil
        }
    }

    /// A whole number in `range`, written in decimal digits; nil when absent or empty. Anything
    /// else (a sign, a space, a fraction, a number out of range) records "must be a whole number
    /// from … to …".
    public mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = given(name) else { return nil }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(text), range.contains(value)
        else {
            validator.fail(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A day (`2026-11-22`, taken as midnight UTC) or an RFC 3339 date-time
    /// (`2026-11-22T09:30:00+08:00`), read strictly by `QueryDate`; nil when absent or empty.
    /// Anything else — an impossible day, a missing offset, surrounding spaces — records "must be
    /// a date (2026-11-22) or an RFC 3339 date-time".
    public mutating func date(_ name: String) -> Date? {
        guard let text = given(name) else { return nil }
        if let date = QueryDate.parse(text) { return date }
        validator.fail(name, "must be a date (2026-11-22) or an RFC 3339 date-time")
        return nil
    }

    /// Throws one 422 naming every parameter that failed, if any did.
    public func throwIfInvalid() throws {
        try validator.throwIfInvalid()
    }
}
