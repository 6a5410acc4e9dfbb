import Foundation

extension QueryBuilder {
    /// Narrows a query to the records `principal` may see: appends ` AND …` conditions on the
    /// store column and, for the "own" and "team" scopes, on the owner column.
    ///
    /// - Parameters:
    ///   - storeColumn: the record's `store_id` column, as SQL (`t.store_id`).
    ///   - ownerColumn: the column naming the user who owns the record (a task's assignee), or
    ///     nil for records nobody owns, which are then seen store-wide.
    ///   - directory: the schema holding the service's `Directory` tables (for teams and groups).
    public mutating func restrict(to principal: Principal, storeColumn: String, ownerColumn: String?, directory: SQLIdentifier) {
        switch principal.scope {
        case .group:
            append(" AND \(storeColumn) IN (SELECT id FROM \(directory.qualify("directory_store")) WHERE group_id = \(placeholder(for: principal.groupID)))")
        case .store, .team, .own:
            append(" AND \(storeColumn) = ", bind: principal.storeID)
        }
        guard let ownerColumn else { return }
        switch principal.scope {
        case .group, .store:
            break
        case .team:
            if let team = principal.teamID {
                append(" AND (\(ownerColumn) = \(placeholder(for: principal.userID)) OR \(ownerColumn) IN (SELECT id FROM \(directory.qualify("directory_user")) WHERE team_id = \(placeholder(for: team))))")
            } else {
                append(" AND \(ownerColumn) = ", bind: principal.userID)
            }
        case .own:
            append(" AND \(ownerColumn) = ", bind: principal.userID)
        }
    }
}
