import Foundation
import ServiceKit

extension FieldValidator {
    /// A time staff write on the store's clock — `2026-12-20 09:00` (also `2026/12/20 09:00`,
    /// `2026年12月20日 09:00`, or RFC 3339 with its offset) — as a UTC instant: when an event or a
    /// wheel starts and ends (M3, M4). Nil, and `field` failed, when it is empty or unreadable.
    mutating func storeTime(_ field: String, _ text: String, timeZone: TimeZone) -> Date? {
        guard !text.trimmed.isEmpty else {
            fail(field, "is required: a time on the store's clock, e.g. 2026-12-20 09:00")
            return nil
        }
        guard let date = ImportFile.dateTime(text.trimmed, in: timeZone) else {
            fail(field, "must be a time on the store's clock written 2026-12-20 09:00, or RFC 3339 with its offset")
            return nil
        }
        return date
    }
}

extension EventState {
    /// 409 naming the state in the store's words (`marketingEventState`), for an event or a wheel
    /// that is not in a state to be `action`: "DZ2612010001 is 已上架 (online): it cannot be edited".
    static func refusal(_ number: String, is state: String, cannot action: String, words: StoreDictionary) -> ProblemDetails {
        ProblemDetails.conflict("\(number) is \(words.described(state)): it cannot be \(action)")
    }
}
