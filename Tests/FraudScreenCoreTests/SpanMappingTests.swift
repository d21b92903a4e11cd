import Testing
@testable import FraudScreenCore

/// Matches on folded or compact text are reported as half-open spans of the ORIGINAL text in Unicode
/// scalars, and keyword evidence says whether the match needed evasion folding.
@Suite("Span mapping")
struct SpanMappingTests {
    let screener: Screener

    init() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("s.add", "keywords: {any: [加微信]}"),
            Fixture.rule("s.fraud", "keywords: {any: [诈骗]}"),
            Fixture.rule("s.vx", "keywords: {any: [vx]}"),
            Fixture.rule("s.regex", #"regex: '刷\s*单'"#),
            Fixture.rule("s.compact", "regex_on: compact\nregex: '返利(\\d+)元'"),
            Fixture.rule("s.phone", "entities: {phone: true}"),
        ])
        screener = Screener(ruleSet: ruleSet)
    }

    private func evidence(_ rule: String, in text: String) -> [Verdict.Evidence] {
        screener.screen(text).hit(rule)?.evidence ?? []
    }

    @Test("加 微 信 maps to the original span including the spaces")
    func spacesInside() throws {
        let text = "请加 微 信ab"
        let found = try #require(evidence("s.add", in: text).first)
        #expect(found.span == TextSpan(start: 1, end: 6))
        #expect(found.text == "加 微 信")
        #expect(scalars(of: text, found.span) == found.text)
        #expect(found.source == .keyword)
        #expect(found.field == "text")
        #expect(found.evasive)
    }

    @Test("spans count Unicode scalars, not UTF-16 units or grapheme clusters")
    func astralAndClusteredPrefix() throws {
        // 😀 is one scalar but two UTF-16 units; the family emoji is five scalars (ZWJ sequence) but one
        // Character. Before the hit: 😀(1) + 👨‍👩‍👧(5) + 请(1) = 7 scalars.
        let text = "😀👨‍👩‍👧请加微信吧"
        let found = try #require(evidence("s.add", in: text).first)
        #expect(found.span == TextSpan(start: 7, end: 10))
        #expect(found.text == "加微信")
        #expect(!found.evasive)
    }

    @Test("zero-width characters inside a hit are inside its span, and make it evasive")
    func zeroWidthInside() throws {
        let text = "x加\u{200B}微\u{200D}信"
        let found = try #require(evidence("s.add", in: text).first)
        #expect(found.span == TextSpan(start: 1, end: 6))
        #expect(found.text == "加\u{200B}微\u{200D}信")
        #expect(found.evasive)
    }

    @Test("a zero-width character just after a hit is not part of its span")
    func zeroWidthAfter() throws {
        let found = try #require(evidence("s.add", in: "加微信\u{200B}好").first)
        #expect(found.span == TextSpan(start: 0, end: 3))
        #expect(!found.evasive)
    }

    @Test("emoji between a hit's characters are inside its span")
    func emojiInside() throws {
        let text = "🎉加❤️微😀信"
        let found = try #require(evidence("s.add", in: text).first)
        // 🎉(0) 加(1) ❤(2) FE0F(3) 微(4) 😀(5) 信(6)
        #expect(found.span == TextSpan(start: 1, end: 7))
        #expect(found.text == "加❤️微😀信")
        #expect(found.evasive)
    }

    @Test("a character variant (薇) is evasive with no filler")
    func characterVariantIsEvasive() throws {
        let found = try #require(evidence("s.add", in: "加薇信").first)
        #expect(found.span == TextSpan(start: 0, end: 3))
        #expect(found.evasive)
    }

    @Test("a word variant (V信 for 微信) is evasive")
    func wordVariantIsEvasive() throws {
        let found = try #require(evidence("s.add", in: "请加V信").first)
        #expect(found.span == TextSpan(start: 1, end: 4))
        #expect(found.text == "加V信")
        #expect(found.evasive)
    }

    @Test("plain, traditional, full-width and upper-case matches are not evasive")
    func notEvasive() throws {
        let plain = try #require(evidence("s.add", in: "加微信").first)
        #expect(!plain.evasive)
        let traditional = try #require(evidence("s.fraud", in: "小心詐騙").first)
        #expect(traditional.span == TextSpan(start: 2, end: 4))
        #expect(traditional.text == "詐騙")
        #expect(!traditional.evasive)
        let fullWidth = try #require(evidence("s.vx", in: "加ｖｘ").first)
        #expect(fullWidth.span == TextSpan(start: 1, end: 3))
        #expect(!fullWidth.evasive)
        let upper = try #require(evidence("s.vx", in: "加VX").first)
        #expect(!upper.evasive)
    }

    @Test("every occurrence is reported, in text order")
    func severalOccurrences() {
        let text = "加微信，或者加 微信"
        let found = evidence("s.add", in: text)
        #expect(found.map(\.span) == [TextSpan(start: 0, end: 3), TextSpan(start: 6, end: 10)])
        #expect(found.map(\.evasive) == [false, true])
        for e in found { #expect(scalars(of: text, e.span) == e.text) }
    }

    @Test("regex matches on folded text map back through the ideographic space")
    func regexSpan() throws {
        let text = "😀帮忙刷\u{3000}单"
        let found = try #require(evidence("s.regex", in: text).first)
        #expect(found.source == .regex)
        #expect(found.span == TextSpan(start: 3, end: 6))
        #expect(found.text == "刷\u{3000}单")
    }

    @Test("regex matches on compact text map back over the skipped filler")
    func compactRegexSpan() throws {
        let text = "每单返 利 1 0 元哦"
        let found = try #require(evidence("s.compact", in: text).first)
        #expect(found.span == TextSpan(start: 2, end: 11))
        #expect(found.text == "返 利 1 0 元")
    }

    @Test("entity spans map back from full-width digits")
    func entitySpan() throws {
        let text = "😀电话：１３８ １２３４ ５６７８"
        let verdict = screener.screen(text)
        let phone = try #require(verdict.entities.first { $0.entity.kind == .phone })
        #expect(phone.entity.value == "13812345678")
        #expect(phone.span == TextSpan(start: 4, end: 17))
        #expect(scalars(of: text, phone.span) == "１３８ １２３４ ５６７８")
        let evidence = try #require(verdict.hit("s.phone")?.evidence.first)
        #expect(evidence.source == .entity)
        #expect(evidence.span == phone.span)
    }

    @Test("NormalizedText maps compact ranges to original spans directly")
    func directMapping() throws {
        let normalized = screener.ruleSet.normalize("a 😀Ｂ\u{200B}c")
        #expect(normalized.compactString == "abc")
        #expect(normalized.originalSpan(compactStart: 0, compactEnd: 3) == TextSpan(start: 0, end: 6))
        #expect(normalized.originalSpan(compactStart: 1, compactEnd: 2) == TextSpan(start: 3, end: 4))
        #expect(normalized.isEvasive(compactStart: 0, compactEnd: 2))
        #expect(!normalized.isEvasive(compactStart: 1, compactEnd: 2))
    }
}
