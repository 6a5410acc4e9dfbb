import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// `/api/v1/marketing/channels` (推广二维码, M6): the marketing manager makes a QR code per
/// channel — a poster, a partner, a consultant's own code — downloads it as PNG or SVG, and
/// reads what arrived through each (`ChannelReportRoutes`). Writing takes
/// `marketing.channels.manage`, reading `marketing.read`; both see only the caller's store.
struct ChannelRoutes: Sendable {
    let environment: ServiceEnvironment

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.get("marketing/channels", use: list)
        group.post("marketing/channels", use: create)
        group.get("marketing/channels/:id", use: get)
        group.patch("marketing/channels/:id", use: update)
        group.get("marketing/channels/:id/qrcode", use: qrCode)
    }

    @Sendable func list(_ request: Request, context: CRMRequestContext) async throws -> Page<ChannelView> {
        let principal = try context.require(.readMarketing)
        let page = try PageRequest(request: request)
        var query = QueryReader(request)
        let kind = query.code("kind"), enabled = query.bool("enabled")
        return try await environment.database.withTransaction { connection in
            var check = FieldValidator()
            let kinds = try await environment.directory.dictionary(DataDictionaries.channelKind, store: principal.storeID, on: connection, logger: environment.logger)
            let kindCode = check.filterCode("kind", kind, in: kinds)
            let errors = query.validator.errors + check.errors
            if !errors.isEmpty { throw ProblemDetails.validation(errors) }
            return try await ChannelStore(connection: connection, logger: environment.logger).list(
                store: principal.storeID, kind: kindCode, enabled: enabled, page: page)
        }
    }

    @Sendable func get(_ request: Request, context: CRMRequestContext) async throws -> ChannelView {
        let principal = try context.require(.readMarketing)
        let id = try context.parameters.uuid("id")
        return try await environment.database.withConnection { connection in
            try await Self.require(id, store: principal.storeID, in: ChannelStore(connection: connection, logger: environment.logger))
        }
    }

    /// A new channel with a code of its own. A consultant's code (kind `consultant`) names a
    /// consultant of the store.
    @Sendable func create(_ request: Request, context: CRMRequestContext) async throws -> EditedResponse<ChannelView> {
        let principal = try context.require(.manageChannels)
        let draft = try await request.decodeJSON(as: ChannelDraft.self, context: context)
        let id = UUID()
        let channel = try await environment.database.withTransaction { connection in
            var check = FieldValidator()
            let kinds = try await environment.directory.dictionary(DataDictionaries.channelKind, store: principal.storeID, on: connection, logger: environment.logger)
            let name = check.text("name", draft.name, maxLength: 60)
            let kind = check.requiredCode("kind", draft.kind, in: kinds)
            let landing = ChannelRules.landingURL("landingUrl", draft.landingUrl, check: &check)
            if kind == "consultant", draft.consultantId == nil {
                check.fail("consultantId", "is required for a consultant's own code (\(kinds.label("consultant")))")
            }
            if let consultant = draft.consultantId,
               try await environment.directory.activeUser(consultant, inStore: principal.storeID, on: connection, logger: environment.logger) == nil {
                check.fail("consultantId", "is not an active user of the store")
            }
            try check.throwIfInvalid()
            let channels = ChannelStore(connection: connection, logger: environment.logger)
            _ = try await channels.create(
                id: id, store: principal.storeID, name: name, kind: kind!, consultant: draft.consultantId, landingURL: landing!,
                by: principal.userID)
            return try await channels.channel(id, store: principal.storeID)!
        }
        return EditedResponse(status: .created, response: channel)
    }

    /// Renames, re-points or disables a channel; its code stays (the posters are printed).
    @Sendable func update(_ request: Request, context: CRMRequestContext) async throws -> ChannelView {
        let principal = try context.require(.manageChannels)
        let id = try context.parameters.uuid("id")
        let change = try await request.decodeJSON(as: ChannelChange.self, context: context)
        var check = FieldValidator()
        let name = change.name.map { check.text("name", $0, maxLength: 60) }
        let landing = change.landingUrl.flatMap { ChannelRules.landingURL("landingUrl", $0, check: &check) }
        try check.throwIfInvalid()
        return try await environment.database.withTransaction { connection in
            let channels = ChannelStore(connection: connection, logger: environment.logger)
            _ = try await Self.require(id, store: principal.storeID, in: channels, forUpdate: true)
            try await channels.update(id, name: name, landingURL: landing, enabled: change.enabled)
            return try await channels.channel(id, store: principal.storeID)!
        }
    }

    /// The channel's QR code: `?format=png` (default; `size` pixels per module, 2–40, default 8)
    /// or `?format=svg` for print, as a download named after the code.
    @Sendable func qrCode(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readMarketing)
        let id = try context.parameters.uuid("id")
        var query = QueryReader(request)
        let format = query.oneOf("format", QRCodeFormat.self) ?? .png
        let size = query.integer("size", in: 2...40) ?? 8
        try query.throwIfInvalid()
        let channel = try await environment.database.withConnection { connection in
            try await Self.require(id, store: principal.storeID, in: ChannelStore(connection: connection, logger: environment.logger))
        }
        let code = try QRCodeImage(channel.url)
        let (bytes, contentType) = format == .svg ? (try code.svg(moduleSize: size), "image/svg+xml") : (try code.png(moduleSize: size), "image/png")
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentDisposition] = "attachment; filename=\"channel-\(channel.code).\(format.rawValue)\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The channel of the caller's store, or 404.
    static func require(_ id: UUID, store: UUID, in channels: ChannelStore, forUpdate: Bool = false) async throws -> ChannelView {
        guard let channel = try await channels.channel(id, store: store, forUpdate: forUpdate) else {
            throw ProblemDetails.notFound("channel \(id)")
        }
        return channel
    }
}

/// The files a channel's QR code comes as.
enum QRCodeFormat: String, CaseIterable, Sendable {
    case png, svg
}
