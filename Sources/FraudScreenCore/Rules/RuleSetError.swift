/// Why a rule set could not be loaded: names the file, the line and the rule, so the author can go straight
/// to it. Loading stops at the first error and the rule set is rejected whole.
public struct RuleSetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Path relative to the rule-set directory.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// The rule id, when the error is inside a rule.
    public var rule: String?
    public var message: String

    public init(file: String, line: Int? = nil, rule: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.rule = rule
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let rule { location += ": rule \(rule)" }
        return "\(location): \(message)"
    }
}
