import Hummingbird

/// `page` and `pageSize` from a list request's query, checked.
public struct PageRequest: Sendable, Equatable {
    public static let maximumPageSize = 200

    /// 1-based.
    public var page: Int
    public var pageSize: Int

    public var offset: Int { (page - 1) * pageSize }

    public init(page: Int = 1, pageSize: Int = 20) {
        self.page = page
        self.pageSize = pageSize
    }

    /// Reads `page` (default 1) and `pageSize` (default 20, at most 200), as `QueryReader`
    /// reads every parameter: left out or sent empty (`?page=`) means the default; anything but
    /// decimal digits in range is a 422 naming the parameter, never a silent default.
    ///
    /// - Throws: `ProblemDetails.validation` naming `page` and/or `pageSize`.
    public init(query: [String: String]) throws {
        var reader = QueryReader(values: query)
        page = reader.integer("page", in: 1...1_000_000) ?? 1
        pageSize = reader.integer("pageSize", in: 1...Self.maximumPageSize) ?? 20
        try reader.throwIfInvalid()
    }

    /// `init(query:)` on the request's query string.
    ///
    /// - Throws: `ProblemDetails.validation` naming `page` and/or `pageSize`.
    public init(request: Request) throws {
        try self.init(query: QueryReader(request).values)
    }
}

/// One page of a list.
public struct Page<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    public var items: [Item]
    public var page: Int
    public var pageSize: Int
    public var total: Int

    public init(items: [Item], request: PageRequest, total: Int) {
        self.items = items
        self.page = request.page
        self.pageSize = request.pageSize
        self.total = total
    }

    /// A short list that is never paged (a store's templates, a group's stores) in the same
    /// shape as every other list.
    public static func all(_ items: [Item]) -> Page {
        Page(items: items, request: PageRequest(page: 1, pageSize: max(items.count, 1)), total: items.count)
    }
}
