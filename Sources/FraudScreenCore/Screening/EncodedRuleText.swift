/// The JSON a verdict writes about its rule set that never changes between verdicts — each hit's rule id,
/// category, score and description, each category's advice — encoded once per rule set. Answering then
/// copies those bytes instead of escaping the same strings for every request (they were most of an answer).
final class EncodedRuleText: Sendable {
    private let ruleIDs: [String]
    private let categories: [String]
    private let scores: [Int]
    private let descriptions: [String]
    /// Per rule: `"rule":"…","category":"…","score":N,"description":"…"`.
    private let hitMembers: [[UInt8]]
    private let adviceTexts: [String]
    /// Per category: `"advice":"…"`.
    private let adviceMembers: [[UInt8]]
    private let paymentAdviceTexts: [String?]
    private let paymentAdviceMembers: [[UInt8]?]

    init(rules: [CompiledRule], categories: [Category]) {
        func members(_ write: (inout JSONWriter) -> Void) -> [UInt8] {
            var json = JSONWriter(reservingCapacity: 256)
            json.beginObject()
            write(&json)
            json.endObject()
            return Array(json.bytes.dropFirst().dropLast())  // without the braces
        }
        let ids = rules.map(\.id), ruleCategories = rules.map { $0.categoryIndex.map { categories[$0].id } ?? "*" }
        let ruleScores = rules.map(\.score), ruleDescriptions = rules.map(\.definition.description)
        hitMembers = rules.indices.map { r in
            members { json in
                Verdict.writeHitHeader(to: &json, ruleID: ids[r], category: ruleCategories[r], score: ruleScores[r],
                                       description: ruleDescriptions[r])
            }
        }
        ruleIDs = ids
        self.categories = ruleCategories
        scores = ruleScores
        descriptions = ruleDescriptions
        adviceTexts = categories.map(\.advice)
        adviceMembers = categories.map { category in members { $0.member("advice", category.advice) } }
        paymentAdviceTexts = categories.map(\.paymentAdvice)
        paymentAdviceMembers = categories.map { category in
            category.paymentAdvice.map { advice in members { $0.member("advice", advice) } }
        }
    }

    /// The encoded members of rule `r`'s hit, if `hit` still says what the rule set says (a caller may have
    /// edited it; comparing strings that share storage is a pointer check).
    func hitMembers(_ hit: Verdict.RuleHit, rule r: Int) -> [UInt8]? {
        guard r >= 0, r < ruleIDs.count, hit.score == scores[r], hit.ruleID == ruleIDs[r], hit.category == categories[r],
              hit.description == descriptions[r] else { return nil }
        return hitMembers[r]
    }

    /// The encoded `advice` member for `advice` shown for category `c`, if it is the category's own text.
    func adviceMember(_ advice: String, category c: Int) -> [UInt8]? {
        guard c >= 0, c < adviceTexts.count else { return nil }
        if advice == adviceTexts[c] { return adviceMembers[c] }
        if let payment = paymentAdviceTexts[c], advice == payment { return paymentAdviceMembers[c] }
        return nil
    }
}
