import Testing
@testable import FraudScreenCore

/// A rule is evaluated on a field only when a keyword of its anchor set occurred there. Any set the rule cannot
/// fire without is a correct anchor; the rarest one makes fewest candidates.
@Suite("Rule anchors")
struct AnchorTests {
    @Test("a set of words many rules use is passed over for one of the same length that few rules use")
    func popularWordsAreNotChosen() throws {
        let ruleSet = try Fixture.ruleSet([
            // 平台 and 账户 in several rules: common words of these texts.
            Fixture.rule("r.one", "keywords: {any: [平台, 账户]}"),
            Fixture.rule("r.two", "keywords: {all: [[平台], [提现]]}"),
            Fixture.rule("r.three", "keywords: {all: [[账户], [冻结]]}"),
            // Fewer keywords in the popular set, so the set size alone would pick it.
            Fixture.rule("r.mentor", "keywords: {all: [[导师, 带单, 分析师], [平台, 账户]]}"),
        ])
        #expect(ruleSet.anchorKeywords(ofRule: "r.mentor") == ["分析师", "导师", "带单"])
        // Longer keywords still come first: a set whose shortest keyword is longer is rarer whatever its use.
        let longer = try Fixture.ruleSet([
            Fixture.rule("r.one", "keywords: {any: [平台账户]}"),
            Fixture.rule("r.two", "keywords: {all: [[平台账户], [冻结]]}"),
            Fixture.rule("r.rule", "keywords: {all: [[导师, 带单], [平台账户]]}"),
        ])
        #expect(longer.anchorKeywords(ofRule: "r.rule") == ["平台账户"])
    }

    @Test("the anchor changes which rules are tried, never what fires")
    func anchorsDoNotChangeVerdicts() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("r.one", "keywords: {any: [平台, 账户]}"),
            Fixture.rule("r.mentor", "keywords: {all: [[导师, 带单], [平台, 账户]]}"),
        ])
        let screener = Screener(ruleSet: ruleSet)
        #expect(screener.firedRules("导师带单，在平台充值") == ["r.one", "r.mentor"])
        #expect(screener.firedRules("平台充值") == ["r.one"])
        #expect(screener.firedRules("跟着导师学习") == [])
    }
}
