/// A rule as the author wrote it (after YAML parsing and validation, before compilation).
public struct RuleDefinition: Sendable {
    public struct Keywords: Sendable {
        public var any: [String] = []
        /// Each element is a list of alternatives; every element must occur.
        public var all: [[String]] = []
        public var window: Int?
        public var wholeWord = WholeWord.anywhere
        public var evasiveOnly = false
    }

    /// Where an occurrence may sit among its neighbours (`whole_word`).
    public enum WholeWord: Sendable, Equatable {
        /// Anywhere, inside longer words too (`false`, the default).
        case anywhere
        /// On ICU word boundaries, Chinese read with ICU's dictionary (`true`): 信用 inside 信用卡 does not
        /// count. Segmenting costs about 100 ns per character of the clause around each occurrence.
        case dictionary
        /// Not glued to ASCII letters or digits (`ascii`): qq inside weixin.qq.com or vx inside vxabc does not
        /// count, and a Chinese character always stands apart. No segmentation (see `ASCIIWordBoundary`).
        case ascii
    }

    public struct EntityRequirement: Sendable {
        public var kind: Entity.Kind
        public var subkinds: Set<String>?
        public var minimum: Double?
        public var maximum: Double?
    }

    public struct ListRequirement: Sendable {
        public var list: String
        public var target: ListTarget
    }

    /// What a list is matched against: an entity found in a text field, or a transaction's payee.
    public enum ListTarget: Sendable, Equatable {
        case entity(Entity.Kind)
        case payeeAccount
        case payeeName

        init?(_ name: String) {
            switch name {
            case "payee_account": self = .payeeAccount
            case "payee_name": self = .payeeName
            default:
                guard let kind = Entity.Kind(rawValue: name) else { return nil }
                self = .entity(kind)
            }
        }
    }

    public struct Meta: Sendable {
        public var all: [String] = []
        public var any: [String] = []
        public var none: [String] = []
        public var atLeast: Int?
        public var of: [String] = []
    }

    public enum RegexTarget: String, Sendable { case folded, compact }

    public var id: String
    /// A category id, or `"*"` for an adjustment added to every category.
    public var category: String
    public var score: Int
    public var description: String
    public var fields: [String]?
    public var keywords: Keywords?
    public var unless: [String] = []
    public var regexes: [String] = []
    public var regexTarget: RegexTarget = .folded
    public var entities: [EntityRequirement] = []
    public var lists: [ListRequirement] = []
    public var meta: Meta?
    public var transaction: TransactionCondition?
    /// When the rule fires, its category (every category for `"*"`) scores at most this much (`ceiling`), however
    /// many other rules fired: a conversation that ends by turning the scam down is not the scam, whatever it
    /// quoted on the way.
    public var ceiling: Int?
    /// The rule's keywords count only in the last this many turns (non-empty lines) of a field that has more
    /// lines than that (`turns: {last: N}`): what a conversation ends with, not what it passed through.
    public var closingTurns: Int?
    public var matchExamples: [Example] = []
    public var noMatchExamples: [Example] = []
    /// Where the rule is defined (relative file path and line).
    public var file: String
    public var line: Int
}

/// A rule's own example: a message text, or a transaction (for rules about memos, payees and amounts).
public enum Example: Sendable {
    case text(String)
    case transaction(Transaction)

    public var document: Document {
        switch self {
        case .text(let text): return .message(text)
        case .transaction(let transaction): return Document(transaction: transaction)
        }
    }

    public var summary: String {
        switch self {
        case .text(let text): return "\"\(text)\""
        case .transaction(let t):
            return "transaction {memo: \"\(t.memo)\", amount: \(t.amount), payee: \(t.payee.name ?? "-")/\(t.payee.type?.rawValue ?? "-")}"
        }
    }
}

/// A fraud category: what the verdict names and the advice people are shown.
public struct Category: Sendable, Hashable {
    public var id: String
    public var name: String
    public var advice: String
    public var thresholds: Thresholds?
    /// What a banking app shows before a payment of this kind (预警劝阻); transactions get it instead of
    /// `advice` when it is set.
    public var paymentAdvice: String? = nil
}

/// Scores at or above `warn` warn; at or above `block` block.
public struct Thresholds: Sendable, Hashable {
    public var warn: Int
    public var block: Int

    public init(warn: Int, block: Int) {
        self.warn = warn
        self.block = block
    }
}

/// Rule-set wide settings from `ruleset.yaml`.
public struct RuleSetSettings: Sendable {
    public var thresholds = Thresholds(warn: 40, block: 80)
    public var regexMatchLimit: UInt32 = 20_000
    public var regexDepthLimit: UInt32 = 500
    public var maxSpansPerRule = 8
    public var maxTextScalars = 1 << 20
    /// The zone transaction `local_time` conditions are read in, minutes east of UTC (default China, +08:00).
    public var localOffsetMinutes = 8 * 60
    /// The window of the per-payer velocity signal.
    public var velocityWindowMinutes = 30
}
