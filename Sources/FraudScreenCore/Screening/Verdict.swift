/// The answer for one document: the decision, why, and what to tell the person.
public struct Verdict: Sendable {
    public enum Decision: String, Sendable, Comparable, CaseIterable {
        case allow, warn, block

        private var rank: Int { self == .allow ? 0 : self == .warn ? 1 : 2 }
        public static func < (a: Decision, b: Decision) -> Bool { a.rank < b.rank }
    }

    /// Where a rule's evidence is: a span of the ORIGINAL text of a field (Unicode scalars, half-open).
    public struct Evidence: Sendable, Hashable {
        public enum Source: String, Sendable, CaseIterable {
            case keyword, regex, entity, list, transaction

            /// Position in the declaration: the order evidence on one span is listed in.
            var rank: Int { Source.allCases.firstIndex(of: self)! }
        }
        public var field: String
        public var span: TextSpan
        public var text: String
        public var source: Source
        /// The match needed evasion folding (filler between characters, a variant spelling).
        public var evasive: Bool
    }

    public struct RuleHit: Sendable {
        public var ruleID: String
        /// A category id, or `"*"` for an adjustment to every category.
        public var category: String
        public var score: Int
        public var description: String
        public var evidence: [Evidence]
        /// The rule's index in the rule set that made the hit (-1 if none), for pre-encoded JSON.
        var ruleIndex: Int32 = -1
    }

    public struct FoundEntity: Sendable, Hashable {
        public var field: String
        public var entity: Entity
        public var span: TextSpan
    }

    public var decision: Decision
    /// The highest-scoring category, when any category scored above zero.
    public var category: Category?
    public var score: Int
    /// Every category with a score above zero, highest first.
    public var categoryScores: [(category: String, score: Int)]
    public var hits: [RuleHit]
    public var entities: [FoundEntity]
    public var rulesVersion: String
    /// Some field was longer than the rule set's `max_text_scalars` and only its beginning was screened.
    public var truncated: Bool
    /// The document was a transaction (advice then prefers the category's payment wording).
    public var isTransaction = false
    /// The rule set's pre-encoded texts and the category's index in it, when a screener made the verdict.
    var encodedRuleText: EncodedRuleText?
    var categoryIndex = -1

    /// What to tell the person (the category's 劝阻话术); nil when the decision is `allow`.
    public var advice: String? {
        guard decision != .allow, let category else { return nil }
        return isTransaction ? (category.paymentAdvice ?? category.advice) : category.advice
    }
}
