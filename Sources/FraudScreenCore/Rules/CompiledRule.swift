/// A rule ready for screening: keywords resolved to automaton keyword ids, regexes compiled, references
/// to lists, categories and other rules resolved to indices. A class so that reading a rule on the hot path
/// costs one reference count, not a copy of every array it holds.
public final class CompiledRule: Sendable {
    public let definition: RuleDefinition
    /// Index into `RuleSet.categories`, or nil for a `"*"` adjustment added to every category.
    public let categoryIndex: Int?
    let fields: Set<String>?
    let anyKeywords: [Int32]
    let allGroups: [[Int32]]
    let window: Int?
    let wholeWord: RuleDefinition.WholeWord
    let evasiveOnly: Bool
    let unlessKeywords: [Int32]
    let regexes: [CompiledRegex]
    /// For each regex, per top-level alternative, the keyword ids of its required literal sets — it runs only
    /// when, for some alternative, a literal of every set was seen (no alternatives: always run).
    let regexGates: [[[[Int32]]]]
    /// For each regex, the keyword ids every match starts with one of (it then runs anchored at their
    /// occurrences), or nil (it scans the text).
    let regexStarts: [[Int32]?]
    let regexOnCompact: Bool
    let entities: [RuleDefinition.EntityRequirement]
    /// Keyword ids of lists the rule's entities need one keyword of each (`EntityExtractor.keywordPrerequisites`).
    let entityGates: [[Int32]]
    /// Lists matched against entities of a text field.
    let lists: [(list: FraudList, entity: Entity.Kind)]
    /// Lists matched against the transaction's payee.
    let payeeLists: [(list: FraudList, target: RuleDefinition.ListTarget)]
    let transaction: TransactionCondition?
    let meta: CompiledMeta?

    init(definition: RuleDefinition, categoryIndex: Int?, fields: Set<String>?, anyKeywords: [Int32],
         allGroups: [[Int32]], window: Int?, wholeWord: RuleDefinition.WholeWord, evasiveOnly: Bool,
         unlessKeywords: [Int32], regexes: [CompiledRegex], regexGates: [[[[Int32]]]], regexStarts: [[Int32]?],
         regexOnCompact: Bool, entities: [RuleDefinition.EntityRequirement], entityGates: [[Int32]],
         lists: [(list: FraudList, entity: Entity.Kind)],
         payeeLists: [(list: FraudList, target: RuleDefinition.ListTarget)], transaction: TransactionCondition?, meta: CompiledMeta?) {
        self.definition = definition
        self.categoryIndex = categoryIndex
        self.fields = fields
        self.anyKeywords = anyKeywords
        self.allGroups = allGroups
        self.window = window
        self.wholeWord = wholeWord
        self.evasiveOnly = evasiveOnly
        self.unlessKeywords = unlessKeywords
        self.regexes = regexes
        self.regexGates = regexGates
        self.regexStarts = regexStarts
        self.regexOnCompact = regexOnCompact
        self.entities = entities
        self.entityGates = entityGates
        self.lists = lists
        self.payeeLists = payeeLists
        self.transaction = transaction
        self.meta = meta
    }

    public var id: String { definition.id }
    public var score: Int { definition.score }

    var hasKeywordCondition: Bool { !anyKeywords.isEmpty || !allGroups.isEmpty }

    /// Whether the rule has anything to check in a field (a pure meta rule has not).
    var hasFieldConditions: Bool {
        hasKeywordCondition || !regexes.isEmpty || !entities.isEmpty || !lists.isEmpty
    }

    /// Whether the rule has conditions on the document as a whole (its transaction).
    var hasDocumentConditions: Bool { transaction != nil || !payeeLists.isEmpty }

    func applies(to field: String) -> Bool { fields?.contains(field) ?? true }
}

final class CompiledMeta: Sendable {
    let all: [Int32]
    let any: [Int32]
    let none: [Int32]
    let atLeast: Int
    let of: [Int32]

    init(all: [Int32], any: [Int32], none: [Int32], atLeast: Int, of: [Int32]) {
        self.all = all
        self.any = any
        self.none = none
        self.atLeast = atLeast
        self.of = of
    }
}
