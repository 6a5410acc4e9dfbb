/// Which records of a kind a user sees (数据权限): their own, their team's, their store's, or
/// every store of the dealer group.
///
/// "Own" and "team" narrow by a record's owner — the assignee of a task, the handler of a
/// complaint. Records without an owner (vehicles, repair orders, templates) are seen store-wide
/// by everyone allowed to read them at all.
public enum DataScope: String, Codable, Sendable, CaseIterable, Comparable, BodyCode {
    case own
    case team
    case store
    case group

    public static func < (lhs: DataScope, rhs: DataScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
