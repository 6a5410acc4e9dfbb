import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The store's coupon rules (C2): whether issuing tasks wait for a manager's approval.
struct StoreCouponSettings: Codable, Sendable, ResponseEncodable {
    /// On: a published task waits in `awaiting_approval` until someone with
    /// `coupons.task.approve` (not its author) approves it. Off by default.
    var taskApproval: Bool
}

/// The group's coupon rules: 优惠券审核开关 (seed §8.1) — "开启后，所有优惠券的删除，需经总部审核通过，才能生效".
struct GroupCouponSettings: Codable, Sendable, ResponseEncodable {
    /// On: a revocation waits for HQ (`coupons.revocation.approve`); the coupon cannot be
    /// redeemed meanwhile. Off by default: revocations take effect at once.
    var revocationApproval: Bool
}

/// The rules in `coupons.store_settings` and `coupons.group_settings`; a store or group that
/// never saved them has the defaults (both switches off).
struct CouponSettingsStore {
    let connection: PostgresConnection
    let logger: Logger

    func storeSettings(_ store: UUID) async throws -> StoreCouponSettings {
        let rows = try await connection.query(
            "SELECT task_approval FROM coupons.store_settings WHERE store_id = \(store)", logger: logger)
        return StoreCouponSettings(taskApproval: try await rows.decode(Bool.self).all().first ?? false)
    }

    func save(_ settings: StoreCouponSettings, store: UUID, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO coupons.store_settings (store_id, task_approval, updated_by) VALUES (\(store), \(settings.taskApproval), \(user))
            ON CONFLICT (store_id) DO UPDATE SET task_approval = excluded.task_approval, updated_by = excluded.updated_by, updated_at = now()
            """, logger: logger)
    }

    func groupSettings(_ group: UUID) async throws -> GroupCouponSettings {
        let rows = try await connection.query(
            "SELECT revocation_approval FROM coupons.group_settings WHERE group_id = \(group)", logger: logger)
        return GroupCouponSettings(revocationApproval: try await rows.decode(Bool.self).all().first ?? false)
    }

    func save(_ settings: GroupCouponSettings, group: UUID, by user: UUID) async throws {
        try await connection.query("""
            INSERT INTO coupons.group_settings (group_id, revocation_approval, updated_by) VALUES (\(group), \(settings.revocationApproval), \(user))
            ON CONFLICT (group_id) DO UPDATE SET revocation_approval = excluded.revocation_approval, updated_by = excluded.updated_by,
                updated_at = now()
            """, logger: logger)
    }
}

/// `/api/v1/coupons/settings` (the store's) and `/api/v1/coupons/group-settings` (the group's,
/// seed §8.1). Reading takes `coupons.read`; writing the store's approval switch
/// `coupons.task.approve` (managers), the group's `coupons.configure` with the group scope (HQ,
/// administrators).
struct CouponSettingsRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("coupons/settings", use: getStore)
        group.put("coupons/settings", use: putStore)
        group.get("coupons/group-settings", use: getGroup)
        group.put("coupons/group-settings", use: putGroup)
    }

    private func settings<Result: Sendable>(_ body: @escaping @Sendable (CouponSettingsStore) async throws -> Result) async throws -> Result {
        try await environment.database.withTransaction { connection in
            try await body(CouponSettingsStore(connection: connection, logger: environment.logger))
        }
    }

    @Sendable func getStore(_ request: Request, context: CRMRequestContext) async throws -> StoreCouponSettings {
        let principal = try context.require(.readCoupons)
        return try await settings { try await $0.storeSettings(principal.storeID) }
    }

    /// Switching task approval is for those who approve (managers): the people it checks —
    /// finance, who issue — may not switch it off.
    @Sendable func putStore(_ request: Request, context: CRMRequestContext) async throws -> StoreCouponSettings {
        let principal = try context.require(.approveCouponTasks)
        let body = try await request.decodeJSON(as: StoreCouponSettings.self, context: context)
        return try await settings { store in
            try await store.save(body, store: principal.storeID, by: principal.userID)
            return try await store.storeSettings(principal.storeID)
        }
    }

    @Sendable func getGroup(_ request: Request, context: CRMRequestContext) async throws -> GroupCouponSettings {
        let principal = try context.require(.readCoupons)
        return try await settings { try await $0.groupSettings(principal.groupID) }
    }

    @Sendable func putGroup(_ request: Request, context: CRMRequestContext) async throws -> GroupCouponSettings {
        let principal = try context.require(.configureCoupons)
        guard principal.scope == .group else {
            throw ProblemDetails(status: .forbidden, detail: "the group's approval switch (优惠券审核开关) is set by HQ: it needs the group scope")
        }
        let body = try await request.decodeJSON(as: GroupCouponSettings.self, context: context)
        return try await settings { store in
            try await store.save(body, group: principal.groupID, by: principal.userID)
            return try await store.groupSettings(principal.groupID)
        }
    }
}
