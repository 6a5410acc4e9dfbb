import Contracts
import Foundation
import ServiceKit

/// The length of a report's period (AS8): a store day (日报), a calendar month (月报) or a
/// calendar quarter (季报, Q1 = January–March).
enum ReportPeriodKind: String, Codable, Sendable, CaseIterable {
    case day
    case month
    case quarter

    /// The store's word for the report (日报, 月报, 季报), in exports.
    var label: String {
        switch self {
        case .day: "日报"
        case .month: "月报"
        case .quarter: "季报"
        }
    }
}

/// A report's period on the store's calendar (AS8), read from the query string:
///
/// - `period=day&date=2026-11-30` — that store day;
/// - `period=month&month=2026-11` — that calendar month;
/// - `period=quarter&quarter=2026-Q4` — that calendar quarter (Q1 January–March … Q4
///   October–December).
///
/// The period runs from 00:00 of `firstDay` to 00:00 of `endDay` (the day after its last day),
/// both on the store's clock (its time zone, `Asia/Shanghai` unless the store says otherwise):
/// `ReportStore` turns the days into instants in SQL, so an order opened at 23:59 on 31 March
/// belongs to March and Q1, and one at 00:00 on 1 April to April and Q2. Years run from 2000 to
/// 2099. Errors (422, naming the field): `period` missing or not day/month/quarter; the
/// period's own parameter (`date`, `month` or `quarter`) missing or malformed; a parameter of
/// another period sent with it.
struct ReportPeriod: Sendable, Equatable {
    var kind: ReportPeriodKind
    /// The period as asked for: `2026-11-30`, `2026-11` or `2026-Q4`.
    var label: String
    /// Its first store day, `yyyy-MM-dd`.
    var firstDay: String
    /// The store day after its last, `yyyy-MM-dd`: the period ends at 00:00 of it.
    var endDay: String

    static let years = 2000...2099

    /// The period of the query, or nil with the failures recorded in `check`.
    static func read(_ query: QueryReader, _ check: inout FieldValidator) -> ReportPeriod? {
        let parameters = [ReportPeriodKind.day: "date", .month: "month", .quarter: "quarter"]
        guard let given = query.given("period") else {
            check.fail("period", "is required, one of: day, month, quarter")
            return nil
        }
        guard let kind = ReportPeriodKind(rawValue: given) else {
            check.fail("period", "must be one of: day, month, quarter")
            return nil
        }
        for (other, name) in parameters where other != kind && query.given(name) != nil {
            check.fail(name, "is only for period=\(other.rawValue)")
        }
        let name = parameters[kind]!
        guard let text = query.given(name) else {
            check.fail(name, "is required with period=\(kind.rawValue)")
            return nil
        }
        let period: ReportPeriod? = switch kind {
        case .day: day(text)
        case .month: month(text)
        case .quarter: quarter(text)
        }
        guard let period else {
            let example = switch kind {
            case .day: "a store day, yyyy-MM-dd (2026-11-30)"
            case .month: "a month, yyyy-MM (2026-11)"
            case .quarter: "a quarter, yyyy-Qn (2026-Q4)"
            }
            check.fail(name, "must be \(example), in the years \(years.lowerBound)–\(years.upperBound)")
            return nil
        }
        return period
    }

    /// `2026-11-30`: a day that exists (`CalendarDate`), in `years`.
    static func day(_ text: String) -> ReportPeriod? {
        guard let day = CalendarDate.parse(text), let year = Int(day.prefix(4)), years.contains(year) else { return nil }
        return ReportPeriod(kind: .day, label: text, firstDay: day, endDay: ServiceClock.day(day, plus: 1))
    }

    /// `2026-11`.
    static func month(_ text: String) -> ReportPeriod? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, digits(parts[0], 4), digits(parts[1], 2),
              let year = Int(parts[0]), let month = Int(parts[1]), years.contains(year), (1...12).contains(month)
        else { return nil }
        let next = month < 12 ? (year, month + 1) : (year + 1, 1)
        return ReportPeriod(kind: .month, label: text, firstDay: format(year, month, 1), endDay: format(next.0, next.1, 1))
    }

    /// `2026-Q4`.
    static func quarter(_ text: String) -> ReportPeriod? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, digits(parts[0], 4), parts[1].count == 2, parts[1].first == "Q",
              let year = Int(parts[0]), let quarter = Int(parts[1].dropFirst()), years.contains(year), (1...4).contains(quarter)
        else { return nil }
        let firstMonth = (quarter - 1) * 3 + 1
        let next = quarter < 4 ? (year, firstMonth + 3) : (year + 1, 1)
        return ReportPeriod(kind: .quarter, label: text, firstDay: format(year, firstMonth, 1), endDay: format(next.0, next.1, 1))
    }

    private static func digits(_ text: Substring, _ count: Int) -> Bool {
        text.count == count && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func format(_ year: Int, _ month: Int, _ day: Int) -> String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }
}
