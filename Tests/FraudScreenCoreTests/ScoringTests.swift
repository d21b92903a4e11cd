import Testing
@testable import FraudScreenCore

/// Scores per category, "*" adjustments, thresholds (rule-set wide and per category) and the verdict.
@Suite("Scoring and verdicts")
struct ScoringTests {
    /// brushing uses ruleset.yaml thresholds (warn 30, block 60); investment its own (warn 10, block 20).
    let ruleSet: RuleSet
    let screener: Screener

    init() throws {
        ruleSet = try Fixture.ruleSet(
            [
                Fixture.rule("b.brush", category: "brushing", score: 25, "keywords: {any: [刷单]}"),
                Fixture.rule("b.commission", category: "brushing", score: 20, "keywords: {any: [佣金]}"),
                Fixture.rule("b.advance", category: "brushing", score: 30, "keywords: {any: [垫付]}"),
                Fixture.rule("i.tutor", category: "investment", score: 15, "keywords: {any: [导师带单]}"),
                Fixture.rule("i.profit", category: "investment", score: 10, "keywords: {any: [稳赚不赔]}"),
                Fixture.rule("i.legit", category: "investment", score: -10, "keywords: {any: [持牌机构]}"),
                Fixture.rule("g.warning", category: "*", score: -30, "keywords: {any: [谨防诈骗]}"),
                Fixture.rule("g.urgent", category: "*", score: 5, "keywords: {any: [马上]}"),
            ],
            ruleset: "thresholds: {warn: 30, block: 60}")
        screener = Screener(ruleSet: ruleSet)
    }

    @Test("nothing fired: allow, no category, no advice")
    func nothing() {
        let verdict = screener.screen("明天一起吃饭吧")
        #expect(verdict.decision == .allow)
        #expect(verdict.category == nil)
        #expect(verdict.score == 0)
        #expect(verdict.categoryScores.isEmpty)
        #expect(verdict.hits.isEmpty)
        #expect(verdict.advice == nil)
        #expect(verdict.rulesVersion == ruleSet.version)
    }

    @Test("scores of a category's fired rules add up")
    func scoresAdd() {
        let verdict = screener.screen("刷单赚佣金")
        #expect(verdict.score == 45)
        #expect(verdict.category?.id == "brushing")
        #expect(verdict.decision == .warn)
        let all = screener.screen("刷单赚佣金，先垫付")
        #expect(all.score == 75)
        #expect(all.decision == .block)
    }

    @Test("thresholds are inclusive: score == warn warns")
    func thresholdBoundaries() {
        #expect(screener.screen("刷单").decision == .allow)  // 25 < 30
        #expect(screener.screen("垫付").decision == .warn)   // 30 == warn
        #expect(screener.screen("刷单，马上垫付").score == 60)
        #expect(screener.screen("刷单，马上垫付").decision == .block)  // 25 + 30 + 5 == block
    }

    @Test("a category's own thresholds override ruleset.yaml")
    func categoryThresholds() throws {
        let warn = screener.screen("导师带单")
        #expect(warn.score == 15)
        #expect(warn.category?.id == "investment")
        #expect(warn.decision == .warn)  // 15 ≥ investment warn 10, though < ruleset warn 30
        let block = screener.screen("导师带单，稳赚不赔")
        #expect(block.score == 25)
        #expect(block.decision == .block)  // ≥ investment block 20
    }

    @Test("negative rules lower their category's score")
    func negativeCategoryRule() {
        let verdict = screener.screen("导师带单，稳赚不赔，持牌机构")
        #expect(verdict.score == 15)
        #expect(verdict.decision == .warn)
    }

    @Test("a negative \"*\" rule lowers every category that scored")
    func negativeAdjustment() throws {
        let verdict = screener.screen("刷单赚佣金，先垫付。导师带单。谨防诈骗")
        #expect(verdict.score == 45)  // 75 - 30
        #expect(verdict.decision == .warn)
        let scores = Dictionary(uniqueKeysWithValues: verdict.categoryScores.map { ($0.category, $0.score) })
        #expect(scores["brushing"] == 45)
        #expect(scores["investment"] == nil)  // 15 - 30 < 0: floored to 0 and not listed
        let adjustment = try #require(verdict.hit("g.warning"))
        #expect(adjustment.category == "*")
        #expect(adjustment.score == -30)
    }

    @Test("a category score never goes below 0")
    func floorAtZero() {
        let verdict = screener.screen("刷单。谨防诈骗")
        #expect(verdict.score == 0)
        #expect(verdict.decision == .allow)
        #expect(verdict.category == nil)
        #expect(verdict.categoryScores.isEmpty)
        #expect(verdict.advice == nil)
        // The hits are still reported.
        #expect(Set(verdict.hits.map(\.ruleID)) == ["b.brush", "g.warning"])
    }

    @Test("the verdict names the highest-scoring category, with its name and advice")
    func highestCategory() throws {
        let verdict = screener.screen("导师带单，稳赚不赔，刷单赚佣金")
        #expect(verdict.categoryScores.map(\.category) == ["brushing", "investment"])
        #expect(verdict.categoryScores.map(\.score) == [45, 25])
        #expect(verdict.category?.id == "brushing")
        #expect(verdict.category?.name == "刷单返利")
        #expect(verdict.score == 45)
        // The decision uses the verdict category's thresholds (brushing: 45 warns), not investment's block.
        #expect(verdict.decision == .warn)
        #expect(verdict.advice == "所有刷单都是诈骗！")
    }

    @Test("hits are listed highest score first, with their category and description")
    func hitsOrder() throws {
        let verdict = screener.screen("刷单赚佣金，先垫付，导师带单")
        #expect(verdict.hits.map(\.ruleID) == ["b.advance", "b.brush", "b.commission", "i.tutor"])
        let hit = try #require(verdict.hit("i.tutor"))
        #expect(hit.category == "investment")
        #expect(hit.score == 15)
        #expect(hit.description == "test rule i.tutor")
    }

    @Test("a rule fires once per document however many times its keywords occur")
    func firesOnce() {
        let verdict = screener.screen("刷单刷单刷单刷单")
        #expect(verdict.score == 25)
        #expect(verdict.hit("b.brush")?.evidence.count == 4)
    }

    @Test("evidence per rule is capped at max_spans_per_rule")
    func spanCap() throws {
        let capped = try Fixture.ruleSet(
            [Fixture.rule("b.brush", "keywords: {any: [刷单]}")], ruleset: "limits: {max_spans_per_rule: 2}")
        let verdict = Screener(ruleSet: capped).screen("刷单刷单刷单刷单")
        #expect(verdict.hit("b.brush")?.evidence.count == 2)
    }
}
