import Foundation
import Hummingbird
import ServiceKit

/// `/api/v1/marketing/news/{id}/cover` (封面, M1): the article's cover image, uploaded as the
/// request body itself with its `Content-Type`. Only PNG, JPEG and WebP are taken, and the
/// declared type must be what the first bytes say (ServiceKit's `UploadedFile`): a file that is
/// not the image it claims to be is a 422 naming `body`, another type a 415, more than
/// `maximumSize` a 413. A second upload replaces the first. Uploading takes
/// `marketing.content.manage`, reading `marketing.read`.
struct NewsCoverRoutes: Sendable {
    let environment: ServiceEnvironment

    /// A cover is shown small on a phone: 2 MiB is plenty.
    static let maximumSize = 2 << 20

    func addRoutes(to group: RouterGroup<CRMRequestContext>) {
        group.put("marketing/news/:id/cover", use: upload)
        group.get("marketing/news/:id/cover", use: cover)
    }

    @Sendable func upload(_ request: Request, context: CRMRequestContext) async throws -> NewsArticleView {
        let principal = try context.require(.manageMarketingContent)
        let id = try context.parameters.uuid("id")
        let file = try await UploadedFile(request: request, accepting: [.png, .jpeg, .webp], maximumSize: Self.maximumSize)
        return try await environment.database.withTransaction { connection in
            let news = NewsStore(connection: connection, logger: environment.logger)
            _ = try await NewsRoutes.require(id, store: principal.storeID, in: news, forUpdate: true)
            try await news.saveCover(file, of: id)
            return try await news.article(id, store: principal.storeID)!
        }
    }

    @Sendable func cover(_ request: Request, context: CRMRequestContext) async throws -> Response {
        let principal = try context.require(.readMarketing)
        let id = try context.parameters.uuid("id")
        let cover = try await environment.database.withTransaction { connection in
            let news = NewsStore(connection: connection, logger: environment.logger)
            _ = try await NewsRoutes.require(id, store: principal.storeID, in: news)
            return try await news.cover(of: id)
        }
        guard let cover else { throw ProblemDetails.notFound("cover of news article \(id)") }
        return Response.file(cover.bytes, contentType: cover.contentType, fileName: "news-\(id.uuidString.lowercased())-cover")
    }
}
