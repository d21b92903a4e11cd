import Testing
@testable import FraudScreenCore

/// Keyword conditions: any, all (with and without window), whole_word, evasive-only, unless.
@Suite("Keyword rules")
struct KeywordRuleTests {
    @Test("any: one of the keywords is enough, through evasion too")
    func any() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.any", "keywords: {any: [刷单, 刷信誉, 做任务返佣]}"),
        ]))
        #expect(screener.firedRules("兼职刷单日结") == ["k.any"])
        #expect(screener.firedRules("帮店铺刷信誉") == ["k.any"])
        #expect(screener.firedRules("刷 。单") == ["k.any"])
        #expect(screener.firedRules("今天天气不错") == [])
        #expect(screener.firedRules("刷牙单车") == [])
    }

    @Test("all without window: every element, anywhere in the field, alternatives allowed")
    func allWithoutWindow() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.all", "keywords: {all: [[刷单, 做任务], [佣金, 返利]]}"),
        ]))
        let filler = String(repeating: "今天天气很好", count: 30)
        #expect(screener.firedRules("做任务" + filler + "返利") == ["k.all"])
        #expect(screener.firedRules("佣金在前，刷单在后") == ["k.all"])
        #expect(screener.firedRules("刷单做任务") == [])
        #expect(screener.firedRules("佣金返利") == [])
        let evidence = try #require(screener.screen("刷单赚佣金").hit("k.all")?.evidence)
        #expect(evidence.map(\.text) == ["刷单", "佣金"])
    }

    @Test("evidence does not depend on the order a rule lists its keywords")
    func evidenceIndependentOfListOrder() throws {
        // all: of two occurrences starting together the longer is the evidence (社保卡, not 社保).
        for group in ["[社保, 社保卡]", "[社保卡, 社保]"] {
            let screener = Screener(ruleSet: try Fixture.ruleSet([
                Fixture.rule("k.card", "keywords: {all: [\(group), [停用]]}"),
            ]))
            let evidence = try #require(screener.screen("您的社保卡将被停用").hit("k.card")?.evidence, "\(group)")
            #expect(evidence.map(\.text) == ["社保卡", "停用"], "\(group)")
        }
        // any: 扣扣 listed as a keyword of its own is a plain match, though it is also a spelling of qq.
        for list in ["[qq, 扣扣]", "[扣扣, qq]"] {
            let screener = Screener(ruleSet: try Fixture.ruleSet([
                Fixture.rule("k.qq", "keywords: {any: \(list)}"),
            ]))
            let evidence = try #require(screener.screen("加扣扣聊").hit("k.qq")?.evidence, "\(list)")
            #expect(evidence.map(\.text) == ["扣扣"] && evidence.map(\.evasive) == [false], "\(list)")
        }
        // Listed only as qq, 扣扣 is the evasive spelling.
        let qqOnly = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("k.qq", "keywords: {any: [qq]}")]))
        #expect(try #require(qqOnly.screen("加扣扣聊").hit("k.qq")).evidence.map(\.evasive) == [true])
    }

    @Test("a keyword found more often than max_spans_per_rule lists its first occurrences, in text order")
    func evidenceIsTheFirstOccurrences() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.many", "keywords: {any: [转账, 汇款]}"),
        ]))
        // Twelve: 汇款 first, then 转账 eleven times (each "xx，" is three scalars).
        let text = "汇款，" + String(repeating: "转账，", count: 11)
        let evidence = try #require(screener.screen(text).hit("k.many")?.evidence)
        #expect(evidence.count == 8)
        #expect(evidence.map(\.span.start) == Array(stride(from: 0, to: 24, by: 3)))
        #expect(evidence.first?.text == "汇款")
    }

    @Test("all with window: all within N compact characters from first start to last end")
    func allWithWindow() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.window", "keywords: {all: [刷单, 佣金], window: 10}"),
        ]))
        // 刷单 + 6 characters + 佣金 = 10 compact characters: inside.
        #expect(screener.firedRules("刷单一二三四五六佣金") == ["k.window"])
        // One more character: 11, outside.
        #expect(screener.firedRules("刷单一二三四五六七佣金") == [])
        // Spaces and punctuation do not count: the window is measured in compact characters.
        #expect(screener.firedRules("刷单" + String(repeating: " ，", count: 30) + "佣金") == ["k.window"])
        // Order does not matter, and a far pair does not hide a near one.
        #expect(screener.firedRules("佣金" + String(repeating: "好", count: 20) + "刷单赚佣金") == ["k.window"])
        #expect(screener.firedRules("佣金在这" + String(repeating: "好", count: 20) + "刷单") == [])
    }

    @Test("whole_word: ICU word boundaries decide whether a keyword inside a longer word counts")
    func wholeWord() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("k.whole", "keywords: {any: [信用, vx], whole_word: true}"),
            Fixture.rule("k.part", "keywords: {any: [信用, vx]}"),
        ])
        let screener = Screener(ruleSet: ruleSet)
        // ICU's dictionary reads 信用卡 as one word, so 信用 inside it is not a whole word ...
        #expect(screener.firedRules("办理信用卡") == ["k.part"])
        // ... while in 个人信用 it stands alone.
        #expect(screener.firedRules("个人信用") == ["k.whole", "k.part"])
        // Latin letters: vx inside vxabc is not a word, vx before a space is.
        #expect(screener.firedRules("vxabc") == ["k.part"])
        #expect(screener.firedRules("vx abc") == ["k.whole", "k.part"])
        #expect(screener.firedRules("加vx") == ["k.whole", "k.part"])
        // Only the stretch around the keyword is segmented; punctuation that sits inside a word (vx.com) keeps
        // it in one run, while CJK punctuation and spaces end runs.
        #expect(screener.firedRules("请访问vx.com") == ["k.part"])
        #expect(screener.firedRules("今天天气很好，办理信用卡，个人信用") == ["k.whole", "k.part"])
        #expect(screener.firedRules("今天天气很好，办理信用卡") == ["k.part"])
    }

    @Test("whole_word: ascii keeps spellings inside links, ids and Latin words from counting, without segmenting")
    func wholeWordASCII() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("k.ascii", "keywords: {any: [qq, vx, 信用], whole_word: ascii}"),
            Fixture.rule("k.part", "keywords: {any: [qq, vx, 信用]}"),
        ])
        let screener = Screener(ruleSet: ruleSet)
        // Inside a domain, an e-mail address or a longer Latin word: not a word of its own.
        #expect(screener.firedRules("请访问weixin.qq.com") == ["k.part"])
        #expect(screener.firedRules("发到abc@qq.com") == ["k.part"])
        #expect(screener.firedRules("vxabc") == ["k.part"])
        #expect(screener.firedRules("qq12345678") == ["k.part"])
        #expect(screener.firedRules("my_vx") == ["k.part"])
        // Beside Chinese, spaces, punctuation that joins nothing here, or a colon before digits: a word.
        #expect(screener.firedRules("加vx") == ["k.ascii", "k.part"])
        #expect(screener.firedRules("vx abc") == ["k.ascii", "k.part"])
        #expect(screener.firedRules("加qq:12345678") == ["k.ascii", "k.part"])
        #expect(screener.firedRules("vx-abc") == ["k.ascii", "k.part"])
        #expect(screener.firedRules("加vx。") == ["k.ascii", "k.part"])
        // Full-width letters fold to ASCII first.
        #expect(screener.firedRules("ｖｘａｂｃ") == ["k.part"])
        // A Chinese character always stands apart: no dictionary, unlike `whole_word: true` (信用卡).
        #expect(screener.firedRules("办理信用卡") == ["k.ascii", "k.part"])
        // Spellings with filler inside are judged at their outer ends: w.x inside www.xy is glued to the w before.
        let evasive = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.wx", "keywords: {any: [微信], evasive: true, whole_word: ascii}"),
        ]))
        #expect(evasive.firedRules("www.xy-danbao.com") == [])
        #expect(evasive.firedRules("加w.x：12345") == ["k.wx"])
    }

    @Test("ASCII word boundaries are ICU's wherever an ASCII character is on either side")
    func asciiBoundariesAgreeWithICU() throws {
        let ruleSet = try Fixture.ruleSet([Fixture.rule("k.any", "keywords: {any: [刷单]}")])
        let alphabet: [Unicode.Scalar] = ["a", "b", "z", "0", "7", ".", ":", ",", ";", "'", "_", "-", "@", "/", " ", "中", "文", "。"]
        var random = SplitMix64(seed: 29)
        var compared = 0
        for _ in 0..<400 {
            var string = ""
            for _ in 0..<Int.random(in: 1...12, using: &random) { string.unicodeScalars.append(alphabet.randomElement(using: &random)!) }
            let text = ruleSet.normalize(string)
            let folded = text.foldedBuffer
            let icu = WordBoundaries()
            for i in 0...folded.count {
                // Between two Chinese characters ICU consults its dictionary; `ascii` always breaks there.
                if i > 0, i < folded.count, !folded[i - 1].isASCII, !folded[i].isASCII { continue }
                #expect(ASCIIWordBoundary.isBoundary(i, in: folded) == icu.isBoundary(i, in: text), "\(string) at \(i)")
                compared += 1
            }
        }
        #expect(compared > 3_000)
    }

    @Test("evasive: only evasive occurrences count")
    func evasiveOnly() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.evasive", "keywords: {any: [微信], evasive: true}"),
        ]))
        #expect(screener.firedRules("加我微信") == [])
        #expect(screener.firedRules("加我薇信") == ["k.evasive"])
        #expect(screener.firedRules("加我微 信") == ["k.evasive"])
        #expect(screener.firedRules("加我V信") == ["k.evasive"])
        #expect(screener.firedRules("加我微\u{200B}信") == ["k.evasive"])
        let evidence = try #require(screener.screen("微信或者薇信").hit("k.evasive")?.evidence)
        #expect(evidence.map(\.text) == ["薇信"])
    }

    @Test("unless: any of its keywords, anywhere in the field, stops the rule")
    func unless() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.unless", "keywords: {any: [刷单]}\nunless: [谨防, 不会要求]"),
        ]))
        #expect(screener.firedRules("刷单返利日结") == ["k.unless"])
        #expect(screener.firedRules("谨防刷单诈骗") == [])
        #expect(screener.firedRules("刷单诈骗，谨 防上当") == [])
        #expect(screener.firedRules("平台不会要求刷单") == [])
    }

    @Test("any and all together must both hold")
    func anyAndAll() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.both", "keywords: {any: [兼职], all: [[刷单], [佣金]]}"),
        ]))
        #expect(screener.firedRules("兼职刷单赚佣金") == ["k.both"])
        #expect(screener.firedRules("刷单赚佣金") == [])
        #expect(screener.firedRules("兼职刷单") == [])
    }

    @Test("a keyword named under both any and all is one piece of evidence, not two")
    func noDuplicateEvidence() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.overlap", "keywords: {any: [刷单], all: [[刷单], [佣金]]}"),
        ]))
        let evidence = try #require(screener.screen("刷单赚佣金").hit("k.overlap")?.evidence)
        #expect(evidence.map(\.text).contains("刷单"))
        #expect(evidence.map(\.text).contains("佣金"))
        #expect(evidence.count == 2)
        #expect(Set(evidence).count == evidence.count)
    }

    @Test("every condition counts however many there are: any, unless and up to four all elements")
    func manyConditions() throws {
        // The screener tests a rule's first two `all` elements, `any` and `unless` together, without a branch
        // per condition, and the other elements after: each must still decide on its own, in either part.
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.two", "keywords: {all: [[刷单], [佣金]]}"),
            Fixture.rule("k.four", "keywords: {any: [兼职], all: [[刷单], [佣金], [垫付], [返利]]}\nunless: [谨防]"),
        ]))
        #expect(screener.firedRules("兼职刷单佣金垫付返利") == ["k.four", "k.two"])
        for missing in ["兼职", "刷单", "佣金", "垫付", "返利"] {
            let text = "兼职刷单佣金垫付返利".replacingOccurrences(of: missing, with: "")
            #expect(!screener.firedRules(text).contains("k.four"), "without \(missing)")
        }
        #expect(screener.firedRules("谨防兼职刷单佣金垫付返利") == ["k.two"])
        #expect(screener.firedRules("刷单") == [])
    }

    @Test("a keyword that many rules and keyword lists share makes a candidate of every rule")
    func keywordSharedByManyRules() throws {
        // The screener handles a keyword's first four links in straight-line code and the others in a loop:
        // rules past the fourth link, and lists as well as rules, must all count.
        let rules = (0..<7).map { i in
            Fixture.rule("k.r\(i)", i % 2 == 0 ? "keywords: {any: [保证金, 词\(i)]}" : "keywords: {all: [[保证金], [解冻\(i), 解冻]]}")
        }
        let screener = Screener(ruleSet: try Fixture.ruleSet(rules))
        #expect(screener.firedRules("缴纳保证金") == ["k.r0", "k.r2", "k.r4", "k.r6"])
        #expect(screener.firedRules("缴纳保证金才能解冻") == Set((0..<7).map { "k.r\($0)" }))
        #expect(screener.firedRules("解冻") == [])
    }

    @Test("what a field saw is forgotten through the wrap of the screener's 16-bit field count")
    func stampsAcrossGenerationWrap() throws {
        // Keywords, keyword sets and candidate rules are marked with a per-field count that wraps after 65,535
        // fields. A mark left from before the wrap must not read as current when the count comes round to it
        // again: field j and field j + 65,535 have the same count, so what the first saw must not count for
        // the second.
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.both", "keywords: {all: [[返利], [佣金]]}"),
            Fixture.rule("k.unless", "keywords: {any: [刷单]}\nunless: [谨防]"),
        ]), reportsEntities: false)
        let cycle = 65_535
        var wrong: [Int] = []
        for i in 0..<(cycle + 40) {
            let j = i % cycle, afterWrap = i >= cycle
            let (text, fires): (String, Int) = switch j {
            case 10..<20: afterWrap ? ("返利", 0) : ("佣金", 0)
            case 20..<30: afterWrap ? ("佣金", 0) : ("返利", 0)
            case 30..<40: afterWrap ? ("刷单", 1) : ("谨防", 0)
            default: ("今天天气不错", 0)
            }
            if screener.screen(text).hits.count != fires { wrong.append(i) }
        }
        #expect(wrong.isEmpty)
    }

    @Test("rules sharing a keyword list (any, unless, an all element, in any order) each read it right")
    func sharedKeywordLists() throws {
        // The three lists below are one keyword set to the engine: each rule must still see it as its own kind
        // of condition.
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("k.any", "keywords: {any: [刷单, 返利]}"),
            Fixture.rule("k.unless", "keywords: {any: [佣金]}\nunless: [返利, 刷单]"),
            Fixture.rule("k.group", "keywords: {all: [[返利, 刷单, 返利], [佣金]]}"),
        ]))
        #expect(screener.firedRules("刷单赚佣金") == ["k.any", "k.group"])
        #expect(screener.firedRules("佣金") == ["k.unless"])
        #expect(screener.firedRules("返利") == ["k.any"])
        #expect(screener.firedRules("返利佣金") == ["k.any", "k.group"])
    }

    @Test("keywords written unfolded still match, and the set warns about them")
    func unfoldedKeywordWarning() throws {
        let ruleSet = try Fixture.ruleSet([Fixture.rule("k.upper", "keywords: {any: [VX, 帳戶]}")])
        #expect(Screener(ruleSet: ruleSet).firedRules("加vx") == ["k.upper"])
        #expect(ruleSet.warnings.contains { $0.contains("k.upper") && $0.contains("VX") })
    }
}
