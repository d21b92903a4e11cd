import Testing
@testable import FraudScreenCore

/// Every evasion trick folds to what keywords are written as: the folded text (regexes, entities) and the
/// compact text (keywords) are checked separately.
@Suite("Normalization")
struct NormalizationTests {
    let ruleSet: RuleSet

    init() throws {
        ruleSet = try Fixture.ruleSet([Fixture.rule("n.any", "keywords: {any: [微信]}")])
    }

    private func fold(_ text: String) -> (folded: String, compact: String) {
        let normalized = ruleSet.normalize(text)
        return (normalized.foldedString, normalized.compactString)
    }

    @Test("Latin letters are case-folded: V信 → v信, VX → vx")
    func caseFoldingOfLatinEvasions() {
        #expect(fold("V信").compact == "v信")
        #expect(fold("VX").compact == "vx")
        #expect(fold("WeChat").folded == "wechat")
        #expect(fold("ＡＢＣabc").folded == "abcabc")
    }

    @Test("a character variant with an emoji between: 薇❤信 → compact 微信, flagged as variant")
    func characterVariantWithEmoji() {
        let normalized = ruleSet.normalize("薇❤信")
        #expect(normalized.foldedString == "微❤信")
        #expect(normalized.compactString == "微信")
        #expect(normalized.foldedIsVariant == [true, false, false])
        // Without variants.yaml the same text keeps its 薇.
        let plain = try? Fixture.ruleSet([Fixture.rule("n.any", "keywords: {any: [微信]}")], variants: nil)
        #expect(plain?.normalize("薇❤信").compactString == "薇信")
    }

    @Test("normalising gives each compact character the automaton's scan word, whatever the character folded from")
    func scanWords() throws {
        // Keywords with a traditional-folded character, a variant target, a character beyond the fold table,
        // a full-width letter's folding, and one from a multi-character folding (㈱ → (株)).
        let far = "\u{2A6D6}"
        let ruleSet = try Fixture.ruleSet([Fixture.rule("n.words", "keywords: {any: [微信, 诈骗, \(far)钱, abc, 株]}")])
        for text in ["加薇❤信", "詐騙\(far)钱", "ＡＢＣ", "㈱会社", "无关的文字 123", ""] {
            let normalized = ruleSet.normalize(text)
            let words = normalized.compactEntries.map { UInt32(truncatingIfNeeded: $0) }
            #expect(words == normalized.compactScalars.map(ruleSet.automaton.scanWord(for:)), "text \(text)")
            #expect(normalized.compactEntries.map { Int32(truncatingIfNeeded: $0 >> 32) } == normalized.compactToFolded)
        }
        // Characters of some keyword have non-zero words, the rest zero.
        let normalized = ruleSet.normalize("詐騙\(far)钱 ㈱ 的")
        #expect(normalized.compactEntries.map { UInt32(truncatingIfNeeded: $0) != 0 } == [true, true, true, true, true, false])
    }

    @Test("spaces between characters are kept in folded text and skipped in compact text")
    func asciiSpaces() {
        let (folded, compact) = fold("加 微 信")
        #expect(folded == "加 微 信")
        #expect(compact == "加微信")
    }

    @Test("the ideographic space U+3000 folds to a space and is skipped")
    func ideographicSpace() {
        let (folded, compact) = fold("刷\u{3000}单")
        #expect(folded == "刷 单")
        #expect(compact == "刷单")
    }

    @Test("punctuation between characters is skipped: 返.利 → 返利")
    func punctuation() {
        #expect(fold("返.利").compact == "返利")
        #expect(fold("刷-单！").compact == "刷单")
    }

    @Test("traditional characters fold to simplified: 詐騙 → 诈骗, 戶 → 户")
    func traditionalToSimplified() {
        #expect(fold("詐騙").compact == "诈骗")
        #expect(fold("戶").compact == "户")
        #expect(fold("轉賬").compact == "转账")
        // Folding a single traditional character is not a variant.
        #expect(ruleSet.normalize("詐騙").foldedIsVariant == [false, false])
    }

    @Test("the 帐 → 账 variant folds")
    func accountVariant() {
        let normalized = ruleSet.normalize("帐户")
        #expect(normalized.compactString == "账户")
        #expect(normalized.foldedIsVariant == [true, false])
    }

    @Test("traditional 詐騙帳戶 folds all the way to 诈骗账户 (帳 → 帐 → 账 through the variant)")
    func traditionalThroughVariant() {
        // RULES.md: folded text is traditional → simplified, THEN single-character variants (帐 → 账).
        // 帳 simplifies to 帐, which the rule set's variants fold on to 账, so a keyword 账户 sees 帳戶.
        #expect(fold("詐騙帳戶").compact == "诈骗账户")
    }

    @Test("full-width digits and letters fold to half-width: １３８ → 138")
    func fullWidth() {
        #expect(fold("１３８").compact == "138")
        #expect(fold("ｖｘ").compact == "vx")
        #expect(fold("￥２０００").folded == "¥2000")
    }

    @Test("zero-width space and joiner are removed from folded text altogether")
    func zeroWidth() {
        let normalized = ruleSet.normalize("加\u{200B}微\u{200D}信")
        #expect(normalized.original.count == 5)
        #expect(normalized.foldedString == "加微信")
        #expect(normalized.compactString == "加微信")
        // Each folded character still points at the original character it came from.
        #expect(normalized.foldedOrigin == [0, 2, 4])
    }

    @Test("emoji between characters stay in folded text and are skipped in compact text")
    func emoji() {
        let (folded, compact) = fold("加😀微🎉信")
        #expect(folded == "加😀微🎉信")
        #expect(compact == "加微信")
        // The emoji variation selector is dropped with its emoji kept: ❤️ → ❤.
        #expect(fold("❤\u{FE0F}").folded == "❤")
    }

    @Test("enclosed and circled numbers fold to digits: ①②③ → 123")
    func circledNumbers() {
        #expect(fold("①②③").compact == "123")
        #expect(fold("⑴⒉").compact.contains("1"))
    }

    @Test("characters outside planes 0 and 1 pass through: 𠀀")
    func astralHan() {
        #expect(fold("𠀀好").compact == "𠀀好")
    }

    @Test("FoldTable.fold on keywords agrees with text normalisation")
    func keywordFoldingAgrees() {
        for text in ["詐騙", "ＶＸ", "加 微 信", "①②③"] {
            #expect(FoldTable.base.fold(text, compact: true) == fold(text).compact)
        }
    }

    @Test("a text longer than max_text_scalars is cut and the verdict says so")
    func truncation() throws {
        let ruleSet = try Fixture.ruleSet(
            [Fixture.rule("n.any", "keywords: {any: [微信]}")], ruleset: "limits: {max_text_scalars: 5}")
        let normalized = ruleSet.normalize("1234567890")
        #expect(normalized.truncated)
        #expect(normalized.original.count == 5)
        let screener = Screener(ruleSet: ruleSet)
        let cut = screener.screen("12345加微信")
        #expect(cut.truncated)
        #expect(cut.hits.isEmpty)
        let whole = screener.screen("加微信")
        #expect(!whole.truncated)
        #expect(whole.hit("n.any") != nil)
    }

    @Test("characters that fold to many keep every output and its origin, however many there are in a row")
    func longExpansions() throws {
        // ﷺ folds to a phrase of 18 characters, ㍿ to 4: far more output than input bytes.
        let text = String(repeating: "ﷺ㍿a", count: 500)
        let normalized = NormalizedText()
        // Reused: a short text first, so the buffers start small and have to grow mid-text.
        normalized.reset("x", table: FoldTable.base)
        normalized.reset(text, table: FoldTable.base)
        #expect(normalized.foldedString == FoldTable.base.fold(text, compact: false))
        #expect(normalized.compactString == FoldTable.base.fold(text, compact: true))
        let origin = normalized.foldedOrigin
        #expect(origin.count == normalized.folded.count)
        #expect(origin.last == Int32(text.unicodeScalars.count - 1))
        #expect(zip(origin, origin.dropFirst()).allSatisfy { $0 <= $1 })
        // Cut in the middle of the run: only whole characters, and only as many as allowed.
        normalized.reset(text, table: FoldTable.base, maxScalars: 301)
        #expect(normalized.truncated)
        #expect(normalized.original.count == 301)
        #expect(normalized.foldedOrigin.last == 300)
    }
}
