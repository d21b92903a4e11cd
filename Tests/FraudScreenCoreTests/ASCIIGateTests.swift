import Testing
@testable import FraudScreenCore

/// Regexes and entity rules skip texts that lack an ASCII character every match needs; the gate must never
/// change what fires.
@Suite("ASCII gates")
struct ASCIIGateTests {
    private func set(_ characters: String) -> ASCIISet {
        var set = ASCIISet()
        for byte in characters.utf8 { set.insertCaseless(byte) }
        return set
    }

    @Test("required sets: literals, escaped punctuation, \\d, ASCII classes; optional atoms and lookarounds need nothing")
    func requiredSets() {
        #expect(ASCIISet.required(by: #"[a-z0-9]+-[a-z0-9]+\.(?:com|cn)"#) == [set("abcdefghijklmnopqrstuvwxyz0123456789"), set("-"), set("abcdefghijklmnopqrstuvwxyz0123456789"), set("."), set("c")])
        #expect(ASCIISet.required(by: #"\d{3}"#) == [.digits])
        #expect(ASCIISet.required(by: #"(?<![\d])转账"#) == [])
        #expect(ASCIISet.required(by: "a?b*c{0,2}") == [])
        #expect(ASCIISet.required(by: #"\s\w\p{Han}.\x41\k<name>"#) == [])
        #expect(ASCIISet.required(by: "[^a]") == [])
        #expect(ASCIISet.required(by: "[a-c转]") == [])
    }

    /// Each pattern matches its text (PCRE2 says so); a gate derived from syntax the analyses misread kept
    /// some of them from ever running.
    static let unusualSyntax: [(pattern: String, text: String)] = [
        (#"电话[[:digit:]]{11}"#, "电话13812345678"),           // POSIX class: its first `]` does not end the class
        (#"加[[:alnum:]]+好友"#, "加abc好友"),
        (#"[^[:space:]]到安全账户"#, "转到安全账户"),
        ("(?x) 安全 账户", "请转到安全账户"),                       // extended mode: spaces are not text
        ("(?x)安全账户 # note", "请转到安全账户"),                  // … and `#` starts a comment
        ("(?x: a b )c转账", "abc转账"),
        (#"(?<w>转账|汇款)到(?P>w)"#, "转账到汇款"),               // subroutine call: matches text of its own
        ("(*UCP)安全账户", "请转到安全账户"),                       // option start, not a group
        (#"\Q1+1\E=2转账"#, "1+1=2转账"),                         // quoted run
        (#"[[:]x|y:]]z"#, "编号[x号"),                             // `[:` with a `]` before any `:]` is a plain `[`
        (#"[[:]:][]xy]"#, "编号[:]]号"),
        (#"[\Q]x\E]"#, "编号]号"),                                  // quoting inside a class
    ]

    @Test("syntax the gate analyses cannot read gates nothing: each such regex fires on a text it matches",
          arguments: ASCIIGateTests.unusualSyntax)
    func unusualSyntaxIsNotGated(_ example: (pattern: String, text: String)) throws {
        let regex = try CompiledRegex(example.pattern)
        let scalars = Array(example.text.unicodeScalars)
        let direct = scalars.withUnsafeBufferPointer { RegexMatcher(matchLimit: 100_000, depthLimit: 1_000).firstMatch(regex, in: $0) }
        guard case .match = direct else { Issue.record("PCRE2 itself does not match: the example is wrong"); return }
        let quoted = example.pattern.replacingOccurrences(of: "'", with: "''")
        let screener = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("r.unusual", "regex: '\(quoted)'")]))
        #expect(screener.firedRules(example.text) == ["r.unusual"], "\(example.pattern)")
        #expect(screener.firedRules("你好") == [])
    }

    @Test("the analyses read POSIX classes whole and give up on extended mode, quoting, verbs and named calls")
    func analysesOfUnusualSyntax() throws {
        #expect(ASCIISet.required(by: #"[[:digit:]]x"#) == [set("x")])
        #expect(CompiledRegex.requiredLiterals(of: #"电话[[:digit:]]{11}"#) == ["电话"])
        for pattern in ["(?x)安全账户 # note", "(?x: a )b", #"(?<w>转账)(?P>w)"#, "(*UCP)安全", #"\Q安全\E"#] {
            #expect(ASCIISet.required(by: pattern) == [], "\(pattern)")
            #expect(CompiledRegex.requiredLiterals(of: pattern) == nil, "\(pattern)")
            #expect(CompiledRegex.requiredPrefixes(of: pattern) == nil, "\(pattern)")
        }
        // Whether a pattern matches empty text is PCRE2's answer, not its minimum length (which skips lookarounds).
        let optional = try CompiledRegex("x?"), repeated = try CompiledRegex("(刷单)*"), lookaheads = try CompiledRegex("(?=.*刷单)(?=.*返利)")
        #expect(optional.matchesEmptyText && repeated.matchesEmptyText && !lookaheads.matchesEmptyText)
        // Named groups and inline options without x keep their analysis.
        #expect(CompiledRegex.requiredLiterals(of: "(?i)(?P<box>安全)账户") == ["安全账户"])
    }

    @Test("an alternation needs one character from the union of its alternatives' narrowest sets")
    func alternation() {
        #expect(ASCIISet.required(by: #"(?:\+\d|0\d)"#) == [set("+0")])
        #expect(ASCIISet.required(by: "(?:a|转)") == [])
    }

    @Test("\\d also admits digits outside ASCII, which folding keeps and PCRE2 matches")
    func nonASCIIDigits() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("r.digits", #"regex: 'code\d{3}'"#)]))
        #expect(screener.firedRules("code٣٣٣") == ["r.digits"])
        #expect(screener.firedRules("code123") == ["r.digits"])
        #expect(screener.firedRules("code") == [])
    }

    @Test("a regex with no literal fires exactly when its ASCII characters are there")
    func gatedRegex() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.hyphen", #"regex: '[a-z0-9]+-[a-z0-9]+\.(?:com|cn)'"#),
        ]))
        #expect(screener.firedRules("登录 icbc-vip.com 领取") == ["r.hyphen"])
        #expect(screener.firedRules("登录 ICBC-VIP.COM 领取") == ["r.hyphen"])
        #expect(screener.firedRules("登录 icbcvip.com 领取") == [])
        #expect(screener.firedRules("请登录网银") == [])
    }

    @Test("every literal set gates, joined where adjacent: 账户(清查|审查) runs only when 账户清查 or 账户审查 was seen")
    func literalSets() throws {
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "账户(清查|审查)") == [[["账户清查", "账户审查"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: #"(转|汇)(我|给我)\d+(万|元)"#) == [[["转我", "转给我", "汇我", "汇给我"], ["万", "元"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "账户.{0,4}(清查|审查)") == [[["账户"], ["清查", "审查"]]])
        let screener = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("r.check", "regex: '账户(清查|审查)'")]))
        #expect(screener.firedRules("配合账户清查") == ["r.check"])
        #expect(screener.firedRules("账户余额清零") == [])
        #expect(screener.firedRules("清查后账户恢复") == [])
    }

    @Test("a literal joins the known first or last literals of a group next to it, and nothing joins across a gap")
    func joinedAcrossGroups() throws {
        // The group's matches end in 收取 or 缴纳, and 平台 follows at once; they start with 不会 or 从不.
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(?:(不会|从不)[^。]{0,20}(收取|缴纳))平台")
                == [[["不会", "从不"], ["收取", "缴纳"], ["收取平台", "缴纳平台"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "请(?:(先|马上).{0,4}(转账|付款))")
                == [[["请先", "请马上"], ["先", "马上"], ["转账", "付款"]]])
        // A gap (space class, optional or repeated group, lookaround) keeps literals apart.
        #expect(CompiledRegex.requiredLiteralAlternatives(of: #"(收取|缴纳)\s*平台"#) == [[["收取", "缴纳"], ["平台"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(收取|缴纳)+平台") == [[["收取", "缴纳"], ["平台"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(收取|缴纳)?平台") == [[["平台"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "收取(?=费)平台") == [[["收取"], ["平台"]]])
        // A group that can match the empty string has no known literals to join.
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(收取|)平台") == [[["平台"]]])
        // Past 64 joined literals the parts stay separate sets.
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(a|b|c|d|e|f|g|h|i)(j|k|l|m|n|o|p|q)")
                == [[["a", "b", "c", "d", "e", "f", "g", "h", "i"], ["j", "k", "l", "m", "n", "o", "p", "q"]]])
        // Nested and named groups join; escaped parentheses, lookbehinds and counted quantifiers do not.
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "((a|b)c|d)e") == [[["ace", "bce", "de"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(?<n>转账|汇款)到") == [[["转账到", "汇款到"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: #"\(转账\)"#) == [[["转账"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(?<=转)账") == [[["账"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(转|汇){1}账") == [[["转", "汇"], ["账"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "转+账") == [[["账"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "[|)]转账") == [[["转账"]]])
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("r.fee", "regex: '(?:(不会|从不)[^。]{0,20}(收取|缴纳))平台'"),
        ]))
        #expect(screener.firedRules("我们从不向您收取平台费") == ["r.fee"])
        #expect(screener.firedRules("我们从不向您收取费用，平台免费") == [])
    }

    @Test("top-level alternatives gate separately: 比银行高|银行.{0,8}利息 needs 比银行高, or 银行 and 利息")
    func alternatives() throws {
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "比银行高|银行.{0,8}利息") == [[["比银行高"]], [["银行"], ["利息"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(?:比银行高|银行.{0,8}利息)") == [[["比银行高"]], [["银行"], ["利息"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: "(比银行高|银行.{0,8}利息)+") == [[["比银行高", "银行"]]])
        #expect(CompiledRegex.requiredLiteralAlternatives(of: #"转账|\d+"#) == nil)
        let screener = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("r.alt", "regex: '比银行高|银行.{0,8}利息'")]))
        #expect(screener.firedRules("收益比银行高") == ["r.alt"])
        #expect(screener.firedRules("银行的存款利息太低") == ["r.alt"])
        #expect(screener.firedRules("银行卡到账") == [])
    }

    @Test("entity rules: a text without the characters an entity needs cannot hold one; scans run as needed")
    func entityPrerequisites() throws {
        #expect(!EntityExtractor.mayFind(.url, asciiPresent: (0, 0)))
        #expect(!EntityExtractor.mayFind(.phone, asciiPresent: (0, 0)))
        #expect(EntityExtractor.mayFind(.appDownload, asciiPresent: (0, 0)))
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.link", "entities: {url: true}"),
            Fixture.rule("e.phone", "entities: {phone: true}"),
            Fixture.rule("e.app", "entities: {app_download: true}"),
        ]), reportsEntities: false)
        #expect(screener.firedRules("点击 t.cn/abc 领取") == ["e.link"])
        #expect(screener.firedRules("致电13812345678") == ["e.phone"])
        #expect(screener.firedRules("请下载app") == ["e.app"])
        #expect(screener.firedRules("访问t.cn/abc或致电13812345678，下载app") == ["e.link", "e.phone", "e.app"])
        #expect(screener.firedRules("无链接无电话") == [])
    }

    @Test("entity rules gated by keywords fire exactly when the extractor finds the entity")
    func entityKeywordGates() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("e.app", "entities: {app_download: true}"),
            Fixture.rule("e.link", "entities: {url: true}"),
        ])
        // The app-download rule is anchored on (and first tested against) the verbs and app words it needs.
        let rule = try #require(ruleSet.rules.firstIndex { $0.id == "e.app" })
        #expect(ruleSet.rules[rule].entityGates.count == 2)
        #expect(!ruleSet.unanchoredRules.contains(Int32(rule)))
        let screener = Screener(ruleSet: ruleSet, reportsEntities: false)
        let extractor = EntityExtractor()
        let pieces = ["下载", "安装", "登录", "注册", "下", "载", "app", "APP", "ａｐｐ", "apk", "客户端", "软件", "应用", "我们的",
                      "一部电影", " ", "，", "“", "”", "t.cn/a", "请", "x"]
        var random = SplitMix64(seed: 11)
        var prompts = 0, links = 0
        for _ in 0..<6_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...8, using: &random) { text += pieces.randomElement(using: &random)! }
            var found: [Entity] = []
            extractor.extract(ruleSet.normalize(text).folded, into: &found)
            let hasPrompt = found.contains { $0.kind == .appDownload }, hasLink = found.contains { $0.kind == .url }
            let fired = screener.firedRules(text)
            #expect(fired.contains("e.app") == hasPrompt, "\(text)")
            #expect(fired.contains("e.link") == hasLink, "\(text)")
            if hasPrompt { prompts += 1 }
            if hasLink { links += 1 }
        }
        #expect(prompts > 500 && links > 300)
    }
}
