import Testing
@testable import FraudScreenCore

/// Regex conditions: PCRE2 on folded (or compact) text, gating by required literal, and work limits.
@Suite("Regex rules")
struct RegexRuleTests {
    @Test("regexes run on folded text: traditional, full-width and upper-case input match simplified patterns")
    func foldedTarget() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.safe", "regex: '转入(安全|监管)账户'"),
            Fixture.rule("r.vx", #"regex: 'vx\d{6}'"#),
        ]))
        let verdict = screener.screen("請轉入監管賬戶")
        #expect(verdict.hit("r.safe")?.evidence.first?.text == "轉入監管賬戶")
        #expect(verdict.hit("r.safe")?.evidence.first?.source == .regex)
        #expect(screener.firedRules("加ＶＸ１２３４５６") == ["r.vx"])
        #expect(screener.firedRules("转入个人账户") == [])
    }

    @Test("folded text keeps spaces; regex_on: compact sees through them")
    func compactTarget() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.folded", "regex: '刷单返利'"),
            Fixture.rule("r.compact", "regex_on: compact\nregex: '刷单返利'"),
        ]))
        #expect(screener.firedRules("刷单返利") == ["r.folded", "r.compact"])
        #expect(screener.firedRules("刷 单，返 利") == ["r.compact"])
    }

    @Test("a pattern for the compact text that needs punctuation or a space is reported: it can never match there")
    func compactPatternNeedingPunctuation() throws {
        #expect(CompiledRegex.plainCharacters(of: #"(?:返还|退还)(?<!不)[,.]\d{1,4}(?i)x\+@(?P<n>y)"#) == ["返", "还", "退", "还", "x", "+", "@", "y"])
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("r.percent", "regex_on: compact\nregex: '返还\\d{3}%'"),
            Fixture.rule("r.plus", "regex_on: compact\nregex: ['本金(加|\\+)佣金', '@会计']"),
            Fixture.rule("r.syntax", "regex_on: compact\nregex: '(?:刷单|做单)(?<!不)[，,]?\\d{1,3}(?=元)'"),
            Fixture.rule("r.folded", "regex: '返还\\d{3}\\s*%'"),
        ])
        let warned = ruleSet.warnings.filter { $0.contains("compact text") }
        #expect(warned.count == 3)
        #expect(warned.contains { $0.contains("r.percent") && $0.contains("'%'") })
        #expect(warned.contains { $0.contains("r.plus") && $0.contains("'+'") })
        #expect(warned.contains { $0.contains("r.plus") && $0.contains("'@'") })
        #expect(!warned.contains { $0.contains("r.syntax") || $0.contains("r.folded") })
        // And indeed: the compact text holds no '%', the folded text does.
        let screener = Screener(ruleSet: ruleSet)
        #expect(screener.firedRules("返还120%") == ["r.folded"])
    }

    @Test("regex evidence spans count Unicode scalars of the original text, astral characters included")
    func astralSpans() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.anchored", #"regex: '转账\d+元'"#),  // starts with a keyword: tried where 转账 is
            Fixture.rule("r.scan", #"regex: '\d{3}元'"#),       // scans
            Fixture.rule("r.compact", "regex_on: compact\nregex: '解冻费'"),
        ]))
        // 😀0 𠀀1 请2 转3 账4 5₅ 0₆ 0₇ 元8 ，9 交10 😀11 解12 😀13 冻14 😀15 费16
        let verdict = screener.screen("😀𠀀请转账500元，交😀解😀冻😀费")
        #expect(verdict.hit("r.anchored")?.evidence.first?.span == TextSpan(start: 3, end: 9))
        #expect(verdict.hit("r.anchored")?.evidence.first?.text == "转账500元")
        #expect(verdict.hit("r.scan")?.evidence.first?.span == TextSpan(start: 5, end: 9))
        #expect(verdict.hit("r.compact")?.evidence.first?.span == TextSpan(start: 12, end: 17))
        #expect(verdict.hit("r.compact")?.evidence.first?.text == "解😀冻😀费")
    }

    @Test("a list of patterns fires when any of them matches")
    func patternList() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.list", #"regex: ['\b1[3-9]\d{9}\b', '(加|\+)\s*(微信|vx)']"#),
        ]))
        #expect(screener.firedRules("电话 13812345678") == ["r.list"])
        #expect(screener.firedRules("+ vx") == ["r.list"])
        #expect(screener.firedRules("电话 12345") == [])
    }

    @Test("requiredLiteral: the longest plain run outside groups, classes and quantified atoms")
    func requiredLiteral() {
        #expect(CompiledRegex.requiredLiteral(of: #"转账\d+元"#) == "转账")
        #expect(CompiledRegex.requiredLiteral(of: "账户.{0,2}(转入|转到|汇入)") == "账户")
        // Joined with the adjacent group, 账户 becomes a choice of three rarer literals.
        #expect(CompiledRegex.requiredLiteral(of: "(安全|监管|清查)账户.{0,2}(转入|转到|汇入)") == nil)
        #expect(CompiledRegex.requiredLiterals(of: "(安全|监管|清查)账户.{0,2}(转入|转到|汇入)") == ["安全账户", "监管账户", "清查账户"])
        #expect(CompiledRegex.requiredLiteral(of: "刷单(返利)?") == "刷单")
        #expect(CompiledRegex.requiredLiteral(of: "解冻费用?") == "解冻费")
        #expect(CompiledRegex.requiredLiteral(of: "ab?") == "a")  // one character still gates
        #expect(CompiledRegex.requiredLiteral(of: "a?b?") == nil)
        #expect(CompiledRegex.requiredLiteral(of: "刷单|返利") == nil)
        #expect(CompiledRegex.requiredLiteral(of: "[转账]+") == nil)
        #expect(CompiledRegex.requiredLiteral(of: #"\Q转账\E"#) == nil)
        #expect(CompiledRegex.requiredLiteral(of: "(转账|汇款)") == nil)
        #expect(CompiledRegex.requiredLiterals(of: "(转账|汇款)") == ["转账", "汇款"])
        #expect(CompiledRegex.requiredLiterals(of: "(先|快)(给我)?(转|汇|打)") == ["先", "快"])
        #expect(CompiledRegex.requiredLiterals(of: #"(转|\d)"#) == nil)
    }

    @Test("requiredLiteral: digits of a counted quantifier after a plain atom are not literal")
    func requiredLiteralCountedQuantifier() {
        #expect(CompiledRegex.requiredLiteral(of: "转账.{0,100}元") == "转账")
        #expect(CompiledRegex.requiredLiteral(of: "刷单.{0,20}返利") == "刷单")
        // The atom before {m,n} may occur zero times, so it is not required either.
        #expect(CompiledRegex.requiredLiteral(of: "解冻费{0,2}") == "解冻")
    }

    @Test("requiredLiteral: braces after an escape are not literal text")
    func requiredLiteralEscapeBraces() {
        // Braces after an escape (`\d{11}`, `\p{Han}`, `\x{5fae}`) hold no literal text.
        #expect(CompiledRegex.requiredLiteral(of: #"\d{11}"#) == nil)
        #expect(CompiledRegex.requiredLiteral(of: #"\p{Han}{2}银行"#) == "银行")
        #expect(CompiledRegex.requiredLiteral(of: #"\x{5fae}信号"#) == "信号")
        #expect(CompiledRegex.requiredLiteral(of: #"\d+转账"#) == "转账")
    }

    @Test("a regex with a counted quantifier fires on text that matches it")
    func countedQuantifierRegexFires() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.eleven", #"regex: '\d{11}'"#),
            Fixture.rule("r.window", "regex: '转账.{0,100}元'"),
            Fixture.rule("r.han", #"regex: '\p{Han}{2}银行'"#),
        ]))
        #expect(screener.firedRules("请转账500元") == ["r.window"])
        #expect(screener.firedRules("电话13812345678") == ["r.eleven"])
        #expect(screener.firedRules("中国银行") == ["r.han"])
    }

    @Test("a regex with a required literal only runs when the keyword automaton saw the literal")
    func gating() throws {
        // The catastrophic tail makes every run of the pattern hit the work limit, so the limit counter
        // shows whether PCRE2 ran at all.
        let ruleSet = try Fixture.ruleSet([Fixture.rule("r.gated", "regex: '转账(a+)+$'")])
        #expect(CompiledRegex.requiredLiteral(of: "转账(a+)+$") == "转账")
        let text = String(repeating: "a", count: 5_000) + "b"

        let withoutLiteral = Screener(ruleSet: ruleSet)
        #expect(withoutLiteral.firedRules(text) == [])
        #expect(withoutLiteral.regexLimitHits == 0)

        let withLiteral = Screener(ruleSet: ruleSet)
        #expect(withLiteral.firedRules("转账" + text) == [])
        #expect(withLiteral.regexLimitHits == 1)
    }

    @Test("a catastrophic pattern stops at the work limit, counts as no match, and is counted")
    func workLimit() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.evil", "regex: '(a+)+$'"),
            Fixture.rule("r.fine", "keywords: {any: [刷单]}"),
        ]))
        let text = "刷单" + String(repeating: "a", count: 50_000) + "b"
        let clock = ContinuousClock()
        var verdict: Verdict?
        let elapsed = clock.measure { verdict = screener.screen(text) }
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(verdict?.hits.map(\.ruleID) == ["r.fine"])
        #expect(screener.regexLimitHits > 0)
        // The same pattern still matches where it can.
        #expect(screener.firedRules("aaaa") == ["r.evil"])
    }

    @Test("a pattern under the limit at every position of a long text is still bounded as a whole search")
    func longTextBudget() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.nested", #"regex: '(a+)+(b|\d)'"#),
            Fixture.rule("r.gaps", "regex: '(先|需)[^。]{0,10}(交|付)[^。]{0,12}(钱|费)'"),
        ]))
        // Runs of 13: a few thousand steps to fail at each start, under the limit of 20,000, at 64,000 starts.
        // With the limit per position alone this took about a second and counted no limit hit.
        let unit = String(repeating: "a", count: 13) + "c"
        let evil = String(repeating: unit, count: 64_000 / unit.count) + "c1"
        let clock = ContinuousClock()
        var fired: Set<String> = []
        let elapsed = clock.measure { fired = screener.firedRules(evil) }
        #expect(fired == [])
        #expect(screener.regexLimitHits == 1, "took \(elapsed)")
        // A well-behaved pattern still matches deep into a long text, and on a message-sized text.
        let filler = String(repeating: "今天天气不错，我们去公园散步。", count: 4_000)
        #expect(screener.firedRules(filler + "对方说需要先交五百元手续费才能提现。") == ["r.gaps"])
        #expect(screener.firedRules("对方说需要先交五百元手续费才能提现。") == ["r.gaps"])
        #expect(screener.regexLimitHits == 1)
    }

    @Test("tighter limits from ruleset.yaml apply")
    func configuredLimits() throws {
        // Backtracks some thousand steps before matching the final xz: within the default limits, over a
        // match limit of 10.
        let rules = [Fixture.rule("r.nested", "regex: '(x+)+z'")]
        let text = String(repeating: "x", count: 10) + "yxz"
        let relaxed = Screener(ruleSet: try Fixture.ruleSet(rules))
        #expect(relaxed.firedRules(text) == ["r.nested"])
        #expect(relaxed.regexLimitHits == 0)
        let strict = Screener(ruleSet: try Fixture.ruleSet(rules, ruleset: "limits: {regex_match_limit: 10}"))
        #expect(strict.firedRules(text) == [])
        #expect(strict.regexLimitHits == 1)
    }

    @Test("PCRE2 runs caseless with Unicode properties")
    func caselessUnicode() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.props", #"regex: '[\p{Han}]{2}银行卡号'"#),
            Fixture.rule("r.case", "regex: 'ETC认证'"),
        ]))
        #expect(screener.firedRules("您的中国银行卡号") == ["r.props"])
        #expect(screener.firedRules("etc认证失效") == ["r.case"])
    }
}
