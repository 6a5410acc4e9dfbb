import Foundation
import Hummingbird

extension Parameters {
    /// The path parameter as a UUID; a malformed id is a 404, as for an id that does not exist.
    public func uuid(_ name: String) throws -> UUID {
        guard let text = self.get(name), let id = UUID(uuidString: text) else {
            throw ProblemDetails.notFound(self.get(name) ?? name)
        }
        return id
    }
}
