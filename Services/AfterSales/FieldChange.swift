/// One field of a PATCH body, which says three different things:
///
/// - left out: leave the field as it is (`.keep`);
/// - `null`: remove the value, for fields that may be empty (`.remove`);
/// - a value: replace it (`.replace`).
///
/// Plain optionals cannot tell the first two apart, so PATCH bodies decode their fields with
/// `KeyedDecodingContainer.change(_:forKey:)`.
enum FieldChange<Value> {
    case keep
    case remove
    case replace(Value)

    var isRemove: Bool {
        if case .remove = self { return true }
        return false
    }

    /// The field's new value: `current` if kept, nil if removed, and if replaced, what
    /// `validate` makes of the value sent (nil for an empty one).
    func resolve(_ current: Value?, _ validate: (Value) -> Value?) -> Value? {
        switch self {
        case .keep: return current
        case .remove: return nil
        case .replace(let value): return validate(value)
        }
    }
}

extension KeyedDecodingContainer {
    /// Reads `key` as a `FieldChange`: `.keep` if absent, `.remove` if `null`.
    func change<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> FieldChange<Value> {
        guard contains(key) else { return .keep }
        if try decodeNil(forKey: key) { return .remove }
        return .replace(try decode(Value.self, forKey: key))
    }
}
