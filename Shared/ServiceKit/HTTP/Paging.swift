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

    /// Reads `page` (default 1) and `pageSize` (default 20, at most 200); a bad value is a 422
    /// naming the parameter, never a silent default.
    public init(query: [String: String]) throws {
        var errors: [ProblemDetails.FieldError] = []
        func read(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
            guard let text = query[name] else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                errors.append(.init(field: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
                return fallback
            }
            return value
        }
        page = read("page", default: 1, range: 1...1_000_000)
        pageSize = read("pageSize", default: 20, range: 1...Self.maximumPageSize)
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
    }

    public init(request: Request) throws {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        try self.init(query: query)
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
