/// A plain list of known-bad values (domains, phone numbers, accounts, names) from `lists/NAME.txt`: one
/// entry per line, `#` starts a comment. Entries are normalised on load the way entity values are, so a list
/// may be written as people write numbers (`+86 138-0013-8000`) and still match.
public struct FraudList: Sendable {
    public let name: String
    public private(set) var entries: Set<String>

    public init(name: String, contents: String) {
        self.name = name
        var entries = Set<String>()
        for line in contents.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let withoutComment = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let entry = FraudList.normalise(String(withoutComment))
            if !entry.isEmpty { entries.insert(entry) }
        }
        self.entries = entries
    }

    /// Lowercase, no spaces or dashes inside digit strings, no `+86`/`0086` country prefix, no scheme or
    /// trailing slash for links.
    public static func normalise(_ raw: String) -> String {
        var value = raw.trimmingSpaces().lowercased()
        for scheme in ["http://", "https://"] where value.hasPrefix(scheme) { value.removeFirst(scheme.count) }
        while value.hasSuffix("/") { value.removeLast() }
        let compact = value.filter { $0 != " " && $0 != "-" }
        if !compact.isEmpty, compact.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+") }) {
            var digits = Substring(compact)
            if digits.hasPrefix("+86") { digits = digits.dropFirst(3) }
            else if digits.hasPrefix("0086") { digits = digits.dropFirst(4) }
            return String(digits)
        }
        return value
    }

    public func contains(_ value: String) -> Bool { entries.contains(value) }

    /// Whether `host` or one of its parent domains is listed.
    public func containsDomain(_ host: String) -> Bool {
        var candidate = Substring(host)
        while true {
            if entries.contains(String(candidate)) { return true }
            guard let dot = candidate.firstIndex(of: ".") else { return false }
            candidate = candidate[candidate.index(after: dot)...]
            if !candidate.contains(".") { return false }
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
