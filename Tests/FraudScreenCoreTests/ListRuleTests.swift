import Testing
@testable import FraudScreenCore

/// List look-ups: urls match on the host or a parent domain, other entities on their normalised value.
@Suite("List rules")
struct ListRuleTests {
    let screener: Screener

    init() throws {
        let ruleSet = try Fixture.ruleSet(
            [
                Fixture.rule("l.domain", "lists: [{list: bad_domains, entity: url}]"),
                Fixture.rule("l.phone", "lists: [{list: bad_phones, entity: phone}]"),
                Fixture.rule("l.wechat", "lists: [{list: bad_accounts, entity: wechat}]"),
                Fixture.rule("l.short", "entities: {url: {kinds: [short_link]}}"),
            ],
            lists: [
                "bad_domains": "# phishing sites\nevil-licai.vip\nHTTPS://Fake-Bank.COM/\n\n",
                "bad_phones": "+86 138-0013-8000   # reported 2024-05\n0086 139 0000 1111\n",
                "bad_accounts": "Lucky888888\n",
                "short_link_hosts": "go.evil.cn\n",
            ])
        screener = Screener(ruleSet: ruleSet)
    }

    @Test("a listed domain matches itself and its subdomains, not look-alikes")
    func domains() {
        #expect(screener.firedRules("登录evil-licai.vip/login") == ["l.domain"])
        #expect(screener.firedRules("登录https://app.evil-licai.vip/x") == ["l.domain"])
        #expect(screener.firedRules("登录a.b.evil-licai.vip") == ["l.domain"])
        #expect(screener.firedRules("登录notevil-licai.vip") == [])
        #expect(screener.firedRules("登录evil-licai.vip.good.com") == [])
    }

    @Test("list entries are normalised: scheme, case and trailing slash do not matter")
    func normalisedDomainEntry() {
        #expect(screener.firedRules("访问fake-bank.com/login") == ["l.domain"])
        #expect(screener.firedRules("访问 WWW.FAKE-BANK.COM") == ["l.domain"])
    }

    @Test("phone entries written with +86, spaces and dashes match the phone however it is written")
    func phones() {
        #expect(screener.firedRules("请拨打13800138000") == ["l.phone"])
        #expect(screener.firedRules("请拨打+86 138 0013 8000") == ["l.phone"])
        #expect(screener.firedRules("请拨打0086-138-0013-8000") == ["l.phone"])
        #expect(screener.firedRules("请拨打１３９００００１１１１") == ["l.phone"])
        #expect(screener.firedRules("请拨打13800138001") == [])
    }

    @Test("FraudList.normalise strips country prefixes and separators")
    func listNormalisation() {
        let list = FraudList(name: "x", contents: "+86 138-0013-8000 # comment\r\n# only a comment\n  Evil.COM/  \n")
        #expect(list.count == 2)
        #expect(list.contains("13800138000"))
        #expect(list.textEntries == ["evil.com"])
        #expect(list.containsDomain("www.evil.com"))
        #expect(!list.containsDomain("com"))
    }

    /// The definition `FraudList.normalise` keeps, character by character (it takes a byte path for ASCII):
    /// folded as screening folds text, then trimmed, without a scheme, and digit strings without separators.
    static func referenceNormalise(_ raw: String) -> String {
        var value = FoldTable.base.fold(raw, compact: false).trimmingSpaces().lowercased()
        for scheme in ["http://", "https://"] where value.hasPrefix(scheme) { value.removeFirst(scheme.count) }
        while value.hasSuffix("/") { value.removeLast() }
        let compact = value.filter { $0 != " " && $0 != "-" }
        if !compact.isEmpty, compact.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+") }) {
            var digits = Substring(compact)
            if digits.hasPrefix("+86") { digits = digits.dropFirst(3) } else if digits.hasPrefix("0086") { digits = digits.dropFirst(4) }
            return String(digits)
        }
        return value
    }

    @Test("FraudList.normalise agrees with its character-by-character definition on random ASCII and mixed values",
          arguments: [1, 2, 3, 4])
    func normaliseAgreesWithDefinition(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let pieces = ["http://", "https://", "HTTPS://", "/", "//", " ", "\t", "\r\n", "-", "+86", "0086", "+", "0", "1", "8", "9",
                      "a", "Z", "K", ".", ":", "_", "\u{0B}", "张", "\u{212A}", "\u{00A0}", "１", "\u{301}", "\u{3000}", "李四"]
        for _ in 0..<2_000 {
            let value = (0..<Int(rng.next() % 9)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            #expect(FraudList.normalise(value) == Self.referenceNormalise(value), "value \(value.debugDescription)")
        }
        #expect(FraudList.normalise("  HTTP://Evil.COM//  ") == "evil.com")
        #expect(FraudList.normalise("0086 138-0013-8000") == "13800138000")
        // Beyond ASCII, as screening sees it: full-width digits are digits, traditional is simplified.
        #expect(FraudList.normalise("１３８ ００１３ ８０００\u{200B}") == "13800138000")
        #expect(FraudList.normalise("國家反洗錢中心") == "国家反洗钱中心")
    }

    @Test("other entities match exactly on their normalised value")
    func exactValues() {
        #expect(screener.firedRules("加微信号：LUCKY888888") == ["l.wechat"])
        #expect(screener.firedRules("加微信号：lucky8888889") == [])
    }

    @Test("lists/short_link_hosts.txt adds short-link hosts")
    func shortLinkHosts() {
        #expect(screener.firedRules("点击go.evil.cn/abc") == ["l.short"])
        #expect(screener.firedRules("点击t.cn/abc") == ["l.short"])
        #expect(screener.firedRules("点击evil.cn/abc") == [])
    }
}

@Suite("Large lists")
struct LargeListTests {
    /// Real police lists hold around a million accounts: loading keeps numbers as integers, look-ups are hash
    /// look-ups. (Load time and memory at 1M are measured by the benchmark, not asserted here.)
    @Test("a list of 200,000 account numbers loads, normalises and answers look-ups")
    func largeAccountList() {
        var text = "# police-flagged accounts\n"
        var sample: [String] = []
        for i in 0..<200_000 {
            let account = String(6_217_000_000_000_000_000 as UInt64 + UInt64(i) * 7919)
            if i % 3 == 0 { text += "6217 " + account.dropFirst(4) + "  # case \(i)\n" } else { text += account + "\n" }
            if i % 20_000 == 0 { sample.append(account) }
        }
        text += "0123456789\n+86 138-0013-8000\n张某某资金清查中心\n"
        let list = FraudList(name: "accounts", contents: text)
        #expect(list.count == 200_003)
        for account in sample { #expect(list.contains(account)) }
        #expect(!list.contains("6217000000000000001"))
        #expect(list.contains("0123456789"))      // a leading zero keeps its own form
        #expect(!list.contains("123456789"))
        #expect(list.contains("13800138000"))
        #expect(list.contains(FraudList.normalise("张某某资金清查中心")))
    }

    @Test("a list file starting with a byte-order mark (a spreadsheet export) keeps its first entry; CRLF lines work")
    func byteOrderMark() {
        let accounts = FraudList(name: "accounts", contents: "\u{FEFF}6222000011119999\r\n6217000011118888\r\n")
        #expect(accounts.count == 2)
        #expect(accounts.contains("6222000011119999") && accounts.contains("6217000011118888"))
        let names = FraudList(name: "names", contents: "\u{FEFF}国家反洗钱资金监测中心\r\n")
        #expect(names.contains(FraudList.normalise("国家反洗钱资金监测中心")))
    }
}
