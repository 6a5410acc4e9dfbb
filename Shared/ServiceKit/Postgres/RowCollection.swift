extension AsyncSequence {
    /// Every element, in order: for decoded query results, which are small lists here.
    public func all() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
