import Foundation

/// Turning what staff type into a search box into SQL `LIKE` patterns, bound as values.
public enum SearchText {
    /// `%text%`, with `\`, `%` and `_` in `text` matching only themselves.
    public static func containing(_ text: String) -> String {
        "%" + escaped(text) + "%"
    }

    /// `%text`: values that end with `text` (a VIN's last six characters, 车架号后六位).
    public static func endingWith(_ text: String) -> String {
        "%" + escaped(text)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
