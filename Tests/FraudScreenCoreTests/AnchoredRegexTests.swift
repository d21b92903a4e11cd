import Testing
@testable import FraudScreenCore

/// Regexes whose matches all start with known literals run anchored at the places the keyword automaton
/// found those literals, instead of scanning: the same first match, found by trying a few places.
@Suite("Anchored regexes")
struct AnchoredRegexTests {
    @Test("requiredPrefixes: the literals every match starts with, joined with adjacent plain groups and classes")
    func prefixes() {
        #expect(CompiledRegex.requiredPrefixes(of: #"(借我|先借)\d+"#) == ["借我", "先借"])
        #expect(CompiledRegex.requiredPrefixes(of: "(转|汇)(我|给我)") == ["转我", "转给我", "汇我", "汇给我"])
        #expect(CompiledRegex.requiredPrefixes(of: "[工农]行.{0,4}不会") == ["工行", "农行"])
        #expect(CompiledRegex.requiredPrefixes(of: "安全账户|国家账户") == ["安全账户", "国家账户"])
        #expect(CompiledRegex.requiredPrefixes(of: "刷单(返利)?") == ["刷单"])
        #expect(CompiledRegex.requiredPrefixes(of: "ab?c") == ["a"])
        // A match may start with something else: no prefixes.
        #expect(CompiledRegex.requiredPrefixes(of: #"\d+元"#) == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "(?<!不)转账") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "(安全)?账户") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "[a-z]+账户") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "[^转]账") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "转账|.汇款") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "(?i)转账") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "(?(1)转|汇)账") == nil)
        #expect(CompiledRegex.requiredPrefixes(of: "(*UTF)转账") == nil)
    }

    @Test("a plain class joins literals for gating too: [工农建]行 runs only on texts with 工行, 农行 or 建行")
    func plainClassGates() {
        #expect(CompiledRegex.requiredLiterals(of: "[工农建]行不会") == ["工行不会", "农行不会", "建行不会"])
        #expect(CompiledRegex.requiredLiterals(of: "[工农建]+行") == ["行"])
        #expect(CompiledRegex.requiredLiterals(of: "[0-9]行") == ["行"])
    }

    @Test("only regexes with usable prefixes get an anchored twin; literals folding would change are left to scanning")
    func whichRegexesAnchor() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("r.anchored", #"regex: '(借我|先借)\d+'"#),
            Fixture.rule("r.scan", #"regex: '\d+元'"#),
            Fixture.rule("r.traditional", "regex: '詐騙'"),
            Fixture.rule("r.fullwidth", "regex: 'ＶＸ'"),
        ])
        func starts(_ id: String) -> [Int32]?? { ruleSet.rules.first { $0.id == id }?.regexStarts.first }
        #expect(starts("r.anchored")??.count == 2)
        #expect(ruleSet.rules.first { $0.id == "r.anchored" }?.regexes.first?.anchoredCode != nil)
        #expect(starts("r.scan") == .some(nil))
        #expect(starts("r.traditional") == .some(nil))
        #expect(starts("r.fullwidth") == .some(nil))
        #expect(ruleSet.rules.first { $0.id == "r.scan" }?.regexes.first?.anchoredCode == nil)
    }

    @Test("the leftmost match wins, later places are tried when earlier ones fail, lookbehinds see the text before")
    func sameMatchesAsScanning() throws {
        let rules = [
            Fixture.rule("r.amount", #"regex: '(借我|先借)\d+'"#),
            Fixture.rule("r.negated", "regex: '(?<!不)转账到(安全|监管)账户'"),
            Fixture.rule("r.compact", "regex_on: compact\nregex: '(刷单|做单)返\\d+'"),
        ]
        let anchored = Screener(ruleSet: try RuleSetLoader.compile(files: files(rules), anchorsRegexes: true))
        let scanning = Screener(ruleSet: try RuleSetLoader.compile(files: files(rules), anchorsRegexes: false))
        #expect(anchored.ruleSet.rules.allSatisfy { $0.regexStarts.first! != nil || $0.id == "r.negated" })

        let texts = [
            "先借钱给我，借我500，先借300",  // 先借 first fails, 借我500 is the leftmost match
            "借我5，借我6",
            "不转账到安全账户，请转账到监管账户",  // the first place is refused by the lookbehind
            "刷 单 返 5 0，做单返80",  // compact: through the spaces
            "借 我500",  // folded text keeps the space: no match either way
            "没有任何一个前缀",
        ]
        for text in texts {
            #expect(anchored.screen(text).json == scanning.screen(text).json, "\(text)")
        }
        let verdict = anchored.screen(texts[0])
        #expect(verdict.hit("r.amount")?.evidence.first?.text == "借我500")
        #expect(anchored.screen(texts[2]).hit("r.negated")?.evidence.first?.text == "转账到监管账户")
        #expect(anchored.screen(texts[3]).hit("r.compact")?.evidence.first?.text == "刷 单 返 5 0")
        #expect(anchored.firedRules(texts[4]) == [])
    }

    @Test("a regex anchored at the start (^) runs only when a start keyword begins the text, with the same results")
    func startAnchored() throws {
        #expect(CompiledRegex.requiredPrefixes(of: "^小[王李]") == ["小王", "小李"])
        #expect(CompiledRegex.requiredPrefixes(of: "^(借我|先借)\\d+") == ["借我", "先借"])
        #expect(CompiledRegex.requiredPrefixes(of: "^小|老王") == nil)  // the second alternative is not anchored
        #expect(try CompiledRegex("^小[王李]").startsAtTextStart)
        #expect(try !CompiledRegex("^小|老王").startsAtTextStart)
        #expect(try !CompiledRegex("小[王李]").startsAtTextStart)
        #expect(try !CompiledRegex("(?:^)小").startsAtTextStart)  // left to scanning

        let rules = [
            Fixture.rule("r.compact", "regex_on: compact\nregex: '^小[王李]'"),
            Fixture.rule("r.folded", #"regex: '^(借我|先借)\d+'"#),
        ]
        let anchored = Screener(ruleSet: try RuleSetLoader.compile(files: files(rules), anchorsRegexes: true))
        let scanning = Screener(ruleSet: try RuleSetLoader.compile(files: files(rules), anchorsRegexes: false))
        #expect(anchored.ruleSet.rules.allSatisfy { $0.regexStarts.first! != nil && $0.regexes[0].startsAtTextStart })
        let texts = [
            "小王，这事你直接办", "你好小王", "【通知】小王", " 小 李，过来一下",  // compact: punctuation and spaces go
            "借我500", " 借我500", "先借钱，借我500", "小王借我500", "没有",
        ]
        for text in texts {
            #expect(anchored.screen(text).json == scanning.screen(text).json, "\(text)")
        }
        #expect(anchored.firedRules("小王，这事你直接办") == ["r.compact"])
        #expect(anchored.firedRules("【通知】小王") == [])  // 通知 comes first in the compact text too
        #expect(anchored.firedRules(" 小 李，过来一下") == ["r.compact"])
        #expect(anchored.firedRules("借我500") == ["r.folded"])
        #expect(anchored.firedRules(" 借我500") == [])  // the folded text starts with the space
    }

    private func files(_ rules: [String]) -> [String: String] {
        ["categories.yaml": Fixture.categories, "variants.yaml": Fixture.variants,
         "rules.d/test.yaml": "rules:\n" + rules.joined(separator: "\n") + "\n"]
    }
}
