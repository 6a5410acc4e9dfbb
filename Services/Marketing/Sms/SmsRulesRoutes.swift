import Foundation
import Hummingbird
import ServiceKit

/// The platform's rules a marketing manager sets (M5; seed §9.5 短信平台):
///
/// - `GET/PUT /api/v1/marketing/sms/settings` — the store's daily cap per mobile (每日上限,
///   `SmsSettings.dailyCap`, 1–50, default 3 marketing messages per store day);
/// - `GET/POST /api/v1/marketing/sms/opt-outs`, `DELETE /api/v1/marketing/sms/opt-outs?mobile=…` —
///   the opt-out list (退订名单, 回复TD退订): a mobile on it never receives a marketing message
///   from the store (its messages are logged `skipped`, 已退订). Customers join it themselves by
///   replying TD (`SmsCallbackRoutes`). Adding a mobile already listed answers 200 with the
///   entry as it was; removing one not listed is 404; a removal answers the entry as it was.
///
/// Every route takes `marketing.sms.manage` and sees only the caller's store.
struct SmsRulesRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/sms/settings", use: settings)
        group.put("marketing/sms/settings", use: saveSettings)
        group.get("marketing/sms/opt-outs", use: optOuts)
        group.post("marketing/sms/opt-outs", use: addOptOut)
        group.delete("marketing/sms/opt-outs", use: removeOptOut)
    }

    @Sendable func settings(_ request: Request, context: CRMRequestContext) async throws -> SmsSettings {
        let principal = try context.require(.manageSms)
        return try await environment.database.withConnection { connection in
            try await SmsRulesStore(connection: connection, logger: environment.logger).settings(store: principal.storeID)
        }
    }

    @Sendable func saveSettings(_ request: Request, context: CRMRequestContext) async throws -> SmsSettings {
        let principal = try context.require(.manageSms)
        let body = try await request.decodeJSON(as: SmsSettings.self, context: context)
        var check = FieldValidator()
        check.range("dailyCap", body.dailyCap, 1...50)
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let rules = SmsRulesStore(connection: connection, logger: environment.logger)
            try await rules.save(body, store: principal.storeID)
            return try await rules.settings(store: principal.storeID)
        }
    }

    @Sendable func optOuts(_ request: Request, context: CRMRequestContext) async throws -> Page<SmsOptOutView> {
        let principal = try context.require(.manageSms)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let mobile = query.mobile("mobile")
        try query.throwIfInvalid()
        return try await environment.database.withConnection { connection in
            try await SmsRulesStore(connection: connection, logger: environment.logger).list(store: principal.storeID, mobile: mobile, page: page)
        }
    }

    @Sendable func addOptOut(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<SmsOptOutView> {
        let principal = try context.require(.manageSms)
        let draft = try await request.decodeJSON(as: SmsOptOutDraft.self, context: context)
        var check = FieldValidator()
        let mobile = check.mobile("mobile", draft.mobile)
        let note = check.optionalText("note", draft.note, maxLength: 200)
        try check.throwIfInvalid()
        let now = environment.configuration.clock.now()
        return try await environment.database.withTransaction { connection in
            let rules = SmsRulesStore(connection: connection, logger: environment.logger)
            let added = try await rules.optOut(store: principal.storeID, mobile: mobile, source: "staff", note: note, at: now)
            let entry = try await rules.entry(store: principal.storeID, mobile: mobile)!
            return EditedResponse(status: added ? .created : .ok, response: entry)
        }
    }

    /// Takes the mobile off the list; answers the entry as it was.
    @Sendable func removeOptOut(_ request: Request, context: CRMRequestContext) async throws -> SmsOptOutView {
        let principal = try context.require(.manageSms)
        var query = QueryReader(request)
        let given = query.mobile("mobile")
        try query.throwIfInvalid()
        guard let mobile = given else { throw ProblemDetails.validation([.init(field: "mobile", message: "is required")]) }
        return try await environment.database.withTransaction { connection in
            let rules = SmsRulesStore(connection: connection, logger: environment.logger)
            guard let entry = try await rules.entry(store: principal.storeID, mobile: mobile),
                  try await rules.remove(store: principal.storeID, mobile: mobile)
            else { throw ProblemDetails.notFound("opt-out of \(mobile)") }
            return entry
        }
    }
}
