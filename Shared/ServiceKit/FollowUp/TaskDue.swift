import Foundation

/// Where a follow-up task stands on the store's clock (到期 / 过期 / 将来): due today, overdue,
/// or in the future. Leads' and prospects' task lists filter and label their tasks with it.
public enum TaskDue: String, Codable, Sendable, CaseIterable {
    case due, overdue, future

    /// The state of a task due on `dueOn` (`yyyy-MM-dd`) when it is `today` on the store's clock.
    public init(dueOn: String, today: String) {
        self = dueOn == today ? .due : dueOn < today ? .overdue : .future
    }

    /// Appends the condition for tasks in this state on `column` (a `date` column).
    public func restrict(_ sql: inout QueryBuilder, column: String, today: String) {
        let comparison: String
        switch self {
        case .due: comparison = "="
        case .overdue: comparison = "<"
        case .future: comparison = ">"
        }
        sql.append(" AND \(column) \(comparison) \(sql.placeholder(for: today))::date")
    }
}
