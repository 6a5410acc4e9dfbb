import Foundation

/// The dates and times of query strings (`?from=`, `?to=`), read exactly as `/openapi.yaml`
/// describes them: a `format: date` or a `format: date-time` of RFC 3339, nothing more lenient.
///
/// Foundation's ISO 8601 parsing, which `RFC3339.date(from:)` uses for bodies and events, also
/// takes `2026-02-30` (as 2 March), `T25:00:00Z`, `+08` and `+0800` — values the document calls
/// invalid, so a client could not tell from it what the server does with them.
public enum QueryDate {
    /// `2026-11-22` (midnight UTC), or `2026-11-22T09:30:00+08:00` with `Z` or an offset, any
    /// number of fractional digits, `t`/`z` in either case, and a leap second (`:60`) only at
    /// 23:59 UTC. Nil for anything else: an impossible day or time, an offset of ±24:00 or
    /// more, a missing offset, surrounding white space, digits other than ASCII ones.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let midnight = Double(daysSince1970(year: year, month: month, day: day)) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: midnight) }

        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
              hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let first = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > first else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = number(bytes, index + 1, 2), let minutes = number(bytes, index + 4, 2),
                  hours < 24, minutes < 60
            else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        // A leap second is the last second of a UTC day's last minute.
        if second == 60 {
            let utcMinute = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            guard utcMinute == 23 * 60 + 59 else { return nil }
        }
        let seconds = Double(hour * 3600 + minute * 60 + second - offsetMinutes * 60) + fraction
        return Date(timeIntervalSince1970: midnight + seconds)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// The decimal number of `count` ASCII digits at `start`, or nil.
    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard let digit = digit(byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 on the proleptic Gregorian calendar (which PostgreSQL uses too), for
    /// years 0000 to 9999 alike (Howard Hinnant's `days_from_civil`).
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
