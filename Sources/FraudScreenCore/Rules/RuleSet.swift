/// A compiled, immutable rule set: safe to share between threads and to swap atomically on reload.
///
/// Compilation turns every keyword of every rule (and every regex's required literal) into one Aho-Corasick
/// automaton, so screening costs one pass over the text whatever the number of rules; rules are indexed by
/// the keywords they cannot fire without, so only rules whose anchor was seen are evaluated.
public final class RuleSet: Sendable {
    /// Content hash of every file of the set (first 16 hex digits of SHA-256).
    public let version: String
    public let settings: RuleSetSettings
    public let categories: [Category]
    public let rules: [CompiledRule]
    /// Problems that do not stop loading (a keyword written in a form folding changes, …).
    public let warnings: [String]

    let categoryIndex: [String: Int]
    let ruleIndex: [String: Int]
    let foldTable: FoldTable
    /// Every keyword of every rule, in one automaton (its matches report the screener's keyword links).
    public let automaton: AhoCorasick
    let keywordTexts: [String]
    /// Rules with field conditions but no keyword anchor: evaluated on every field they apply to.
    let unanchoredRules: [Int32]
    /// Rules with only transaction conditions: evaluated once per document that has a transaction.
    let documentRules: [Int32]
    /// Meta rules in dependency order.
    let metaOrder: [Int32]
    /// Meta rules with conditions on the transaction and none on fields: a transaction can fire them without
    /// any other rule firing first. (Those with field conditions start when these hold.)
    let documentStartingMeta: [Int32]
    let entityExtractor: EntityExtractor
    /// The rules' hot-path conditions, packed (see `RuleTable`).
    let table: RuleTable
    let encodedText: EncodedRuleText

    init(version: String, settings: RuleSetSettings, categories: [Category], rules: [CompiledRule], warnings: [String],
         foldTable: FoldTable, automaton: AhoCorasick, patternKeywords: [PatternKeyword],
         keywordTexts: [String], keywordAnchors: [[Int32]], unanchoredRules: [Int32], documentRules: [Int32], metaOrder: [Int32],
         entityExtractor: EntityExtractor) {
        self.version = version
        self.settings = settings
        self.categories = categories
        self.rules = rules
        self.warnings = warnings
        self.categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1.id, $0) })
        self.ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        self.keywordTexts = keywordTexts
        self.unanchoredRules = unanchoredRules
        self.documentRules = documentRules
        self.metaOrder = metaOrder
        var dependents = [[Int32]](repeating: [], count: rules.count)
        for index in metaOrder {
            guard let meta = rules[Int(index)].meta else { continue }
            for dependency in Set(meta.all + meta.any + meta.of) { dependents[Int(dependency)].append(index) }
        }
        self.documentStartingMeta = metaOrder.filter { rules[Int($0)].hasDocumentConditions && !rules[Int($0)].hasFieldConditions }
        self.entityExtractor = entityExtractor
        // `patternKeywords`: for each automaton pattern, the keyword it stands for and whether it is a word variant.
        self.table = RuleTable(rules: rules, categoryList: categories, defaultThresholds: settings.thresholds,
                               keywordCount: keywordTexts.count, patternKeywords: patternKeywords,
                               keywordAnchors: keywordAnchors, metaDependents: dependents, metaOrder: metaOrder)
        // Matches carry their pattern's keyword and rule links (`RuleTable.patternLinks`).
        self.automaton = automaton.reporting(table.patternLinks.map(\.value))
        // Normalising a text gives its compact characters' scan words for this automaton.
        self.foldTable = foldTable.annotated(by: self.automaton)
        self.encodedText = EncodedRuleText(rules: rules, categories: categories)
    }

    public func category(id: String) -> Category? { categoryIndex[id].map { categories[$0] } }
    public func rule(id: String) -> CompiledRule? { ruleIndex[id].map { rules[$0] } }

    /// Number of distinct keywords (after folding) in the automaton, regex literals included.
    public var keywordCount: Int { keywordTexts.count }
    public var regexCount: Int { rules.reduce(0) { $0 + $1.regexes.count } }

    /// The keywords whose first occurrence in a field makes rule `id` a candidate (its anchor set), or nil when
    /// the rule is not anchored (evaluated on every field). For tests and diagnostics: screening reads the
    /// same links from `table`.
    func anchorKeywords(ofRule id: String) -> [String]? {
        guard let index = ruleIndex[id].map(Int32.init), !unanchoredRules.contains(index) else { return nil }
        return keywordTexts.indices.filter { table.anchoredRules(of: $0).contains(index) }.map { keywordTexts[$0] }.sorted()
    }

    /// Normalises a text the way screening does (for tools and tests).
    public func normalize(_ text: String) -> NormalizedText {
        let normalized = NormalizedText()
        normalized.reset(text, table: foldTable, maxScalars: settings.maxTextScalars)
        return normalized
    }
}
