import Foundation

/// A day without a time (`2024-03-18`): the days on vehicle papers (purchase, registration,
/// insurance expiry), the days a follow-up is planned for, the days in the ERP's events.
///
/// Such days travel as `yyyy-MM-dd` text and are stored as Postgres `date`, never as an
/// instant: an instant would need a time zone, and the wrong one moves the day.
public enum CalendarDate {
    public static let years = 1900...2199

    /// `text` if it is a real day written `yyyy-MM-dd` (so not `2023-02-29`), else nil.
    public static func parse(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              years.contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return text
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let isLeapYear = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return isLeapYear ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
