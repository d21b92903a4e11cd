/// What a verdict takes from its rule set and that never changes between verdicts — each rule's id,
/// category, score and description, each category and its advice — kept once per rule set, and encoded as
/// JSON once. Answering then copies those bytes instead of escaping the same strings for every request (they
/// were most of an answer), and a verdict refers to rules and categories by index.
final class EncodedRuleText: Sendable {
    let ruleIDs: [String]
    /// Per rule: its category id, or `"*"`.
    let ruleCategories: [String]
    let descriptions: [String]
    /// Per rule: its `ceiling`, if it has one.
    let ceilings: [Int?]
    let categoryList: [Category]
    /// Per rule: `"rule":"…","category":"…","score":N,"description":"…"`, with `"ceiling":C` before the description
    /// for a rule that has one.
    private let hitMembers: EncodedTexts
    /// Per category: `"category":"…","category_name":"…"`.
    private let categoryMembers: EncodedTexts
    /// Per category: `"advice":"…"`, and the same with the payment advice (empty when it has none).
    private let adviceMembers: EncodedTexts
    private let paymentAdviceMembers: EncodedTexts

    init(rules: [CompiledRule], categories: [Category]) {
        func members(_ write: (inout JSONWriter) -> Void) -> [UInt8] {
            var json = JSONWriter(reservingCapacity: 256)
            json.beginObject()
            write(&json)
            json.endObject()
            return Array(json.bytes.dropFirst().dropLast())  // without the braces
        }
        let ids = rules.map(\.id), ruleCategories = rules.map { $0.categoryIndex.map { categories[$0].id } ?? "*" }
        let ruleDescriptions = rules.map(\.definition.description)
        hitMembers = EncodedTexts(rules.indices.map { r in
            members { json in
                Verdict.writeHitHeader(to: &json, ruleID: ids[r], category: ruleCategories[r], score: rules[r].score,
                                       description: ruleDescriptions[r], ceiling: rules[r].definition.ceiling)
            }
        })
        ruleIDs = ids
        self.ruleCategories = ruleCategories
        descriptions = ruleDescriptions
        ceilings = rules.map(\.definition.ceiling)
        categoryList = categories
        categoryMembers = EncodedTexts(categories.map { category in
            members { json in
                json.member("category", category.id)
                json.member("category_name", category.name)
            }
        })
        adviceMembers = EncodedTexts(categories.map { category in members { $0.member("advice", category.advice) } })
        paymentAdviceMembers = EncodedTexts(categories.map { category in
            category.paymentAdvice.map { advice in members { $0.member("advice", advice) } } ?? []
        })
    }

    /// The encoded members naming rule `r`'s hit (valid while this object lives).
    func hitMembers(rule r: Int) -> UnsafeBufferPointer<UInt8> { hitMembers[r] }

    /// The encoded `category` and `category_name` members of category `c`.
    func categoryMembers(category c: Int) -> UnsafeBufferPointer<UInt8> { categoryMembers[c] }

    /// The encoded `advice` member of category `c`: its payment advice for a transaction when it has one.
    func adviceMember(category c: Int, isTransaction: Bool) -> UnsafeBufferPointer<UInt8> {
        let payment = paymentAdviceMembers[c]
        return isTransaction && !payment.isEmpty ? payment : adviceMembers[c]
    }
}
