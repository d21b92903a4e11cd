/// Text from a screened message made safe to print on an operator's terminal.
///
/// The messages are written by fraudsters. Printed as they are, an escape sequence in one can move the cursor,
/// erase the verdict line and draw its own "ALLOW", or hide text; a carriage return overwrites a line; bidi
/// controls reorder what is shown. Every such character is shown as a visible `\u{…}` instead, so the operator
/// sees that it is there and nothing else changes.
public enum TerminalText {
    /// How evidence is marked when there is no colour. Not 【】: Chinese SMS begin with a 【sender】 signature,
    /// which would read as evidence.
    public static let plainMarks = (open: "[[", close: "]]")
    /// Bold red underlined, for a colour terminal.
    public static let colourMarks = (open: "\u{1B}[1;31;4m", close: "\u{1B}[0m")

    /// `text` with control characters (except newline and tab when `keepsLayout`), bidi controls and line
    /// separators written as `\u{HEX}`.
    public static func escaped(_ text: String, keepsLayout: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepsLayout: keepsLayout) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, keepsLayout: keepsLayout) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ s: Unicode.Scalar, keepsLayout: Bool) -> Bool {
        switch s.value {
        case 0x0A, 0x09: !keepsLayout
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1 (0x9B is a one-byte CSI on some terminals)
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidi marks, embeddings, isolates
        case 0x2028, 0x2029: true  // line and paragraph separators
        default: false
        }
    }
}
