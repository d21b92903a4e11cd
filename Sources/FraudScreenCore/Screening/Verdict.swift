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
            var rank: Int {
                switch self {
                case .keyword: 0
                case .regex: 1
                case .entity: 2
                case .list: 3
                case .transaction: 4
                }
            }

            init(rank: Int) {
                switch rank {
                case 0: self = .keyword
                case 1: self = .regex
                case 2: self = .entity
                case 3: self = .list
                default: self = .transaction
                }
            }
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
        /// The rule's `ceiling`: while it fires, its category (every category for `"*"`) scores at most this.
        public var ceiling: Int? = nil
    }

    public struct FoundEntity: Sendable, Hashable {
        public var field: String
        public var entity: Entity
        public var span: TextSpan
    }

    /// Most entities an answer lists: a 64 KiB line of `a.cn a.cn …` holds 13,000 links, and listing them all made
    /// a megabyte answer out of each such request, a way for a client to grow the daemon's memory 17-fold.
    public static let maxListedEntities = 256

    public var decision: Decision
    public var score: Int
    public var entities: [FoundEntity]
    public var rulesVersion: String
    /// Some field was longer than the rule set's `max_text_scalars` and only its beginning was screened.
    public var truncated: Bool
    /// The document was a transaction (advice then prefers the category's payment wording).
    public var isTransaction = false
    /// The fired rules as the screener recorded them; nil when none fired.
    /// (`FiredRules` is immutable once made; `ManagedBuffer` itself cannot be declared Sendable.)
    nonisolated(unsafe) let fired: FiredRules?
    /// Hits a caller assigned; they replace the recorded ones.
    private var editedHits: [RuleHit]?

    init(decision: Decision, score: Int, entities: [FoundEntity], rulesVersion: String, truncated: Bool,
         isTransaction: Bool, fired: FiredRules?) {
        self.decision = decision
        self.score = score
        self.entities = entities
        self.rulesVersion = rulesVersion
        self.truncated = truncated
        self.isTransaction = isTransaction
        self.fired = fired
    }

    /// The highest-scoring category, when any category scored above zero.
    public var category: Category? {
        guard let fired, fired.categoryIndex >= 0 else { return nil }
        return fired.ruleText.categoryList[fired.categoryIndex]
    }

    /// Every category with a score above zero, highest first.
    public var categoryScores: [(category: String, score: Int)] {
        guard let fired else { return [] }
        var scores: [(category: String, score: Int)] = []
        fired.forEachCategoryScore { c, score in scores.append((fired.ruleText.categoryList[c].id, score)) }
        return scores
    }

    /// Every rule that fired with its evidence, highest score first (then by rule id). Built on each read from
    /// the compact record: read it once into a local when looking at it more than once.
    public var hits: [RuleHit] {
        get { editedHits ?? fired?.ruleHits ?? [] }
        set { editedHits = newValue }
    }

    /// Whether `hits` was assigned (answers are then written from it instead of the record).
    var hasEditedHits: Bool { editedHits != nil }

    /// What to tell the person (the category's 劝阻话术); nil when the decision is `allow`.
    public var advice: String? {
        guard decision != .allow, let category else { return nil }
        return isTransaction ? (category.paymentAdvice ?? category.advice) : category.advice
    }
}
