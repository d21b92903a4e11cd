/// A rule ready for screening: keywords resolved to automaton keyword ids, regexes compiled, references
/// to lists, categories and other rules resolved to indices.
public struct CompiledRule: Sendable {
    public let definition: RuleDefinition
    /// Index into `RuleSet.categories`, or nil for a `"*"` adjustment added to every category.
    public let categoryIndex: Int?
    let fields: Set<String>?
    let anyKeywords: [Int32]
    let allGroups: [[Int32]]
    let window: Int?
    let wholeWord: Bool
    let evasiveOnly: Bool
    let unlessKeywords: [Int32]
    let regexes: [CompiledRegex]
    /// For each regex, the keyword id of its required literal (nil: always run).
    let regexGates: [Int32?]
    let regexOnCompact: Bool
    let entities: [RuleDefinition.EntityRequirement]
    let lists: [(list: FraudList, entity: Entity.Kind)]
    let meta: CompiledMeta?

    public var id: String { definition.id }
    public var score: Int { definition.score }

    var hasKeywordCondition: Bool { !anyKeywords.isEmpty || !allGroups.isEmpty }

    /// Whether the rule has anything to check in a field (a pure meta rule has not).
    var hasFieldConditions: Bool {
        hasKeywordCondition || !regexes.isEmpty || !entities.isEmpty || !lists.isEmpty
    }

    func applies(to field: String) -> Bool { fields?.contains(field) ?? true }
}

struct CompiledMeta: Sendable {
    let all: [Int32]
    let any: [Int32]
    let none: [Int32]
    let atLeast: Int
    let of: [Int32]
}
