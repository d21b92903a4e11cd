import Testing
@testable import FraudScreenCore

/// Entities extracted from folded text, with normalised values and original spans, as a verdict reports them.
@Suite("Entity extraction")
struct EntityTests {
    let screener: Screener

    init() throws {
        screener = Screener(ruleSet: try Fixture.ruleSet([Fixture.rule("e.any", "keywords: {any: [占位]}")]))
    }

    private func entities(_ text: String, _ kind: Entity.Kind? = nil) -> [Verdict.FoundEntity] {
        screener.screen(text).entities.filter { kind == nil || $0.entity.kind == kind }
    }

    private func values(_ text: String, _ kind: Entity.Kind) -> [String] {
        entities(text, kind).map(\.entity.value)
    }

    private func only(_ text: String, _ kind: Entity.Kind) throws -> Entity {
        let found = entities(text, kind)
        try #require(found.count == 1, "\(text): \(found.map(\.entity))")
        return found[0].entity
    }

    /// Appends the Luhn check digit to `prefix`.
    static func withLuhnDigit(_ prefix: String) -> String {
        var sum = 0
        for (i, character) in prefix.reversed().enumerated() {
            var v = Int(String(character))!
            if i % 2 == 0 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return prefix + String((10 - sum % 10) % 10)
    }

    // MARK: URLs

    @Test("http and https links: lowercase host/path without scheme", arguments: [
        ("点击 http://Example.com/Login 查看", "example.com/login", "example.com"),
        ("https://abc.com/x?id=1", "abc.com/x?id=1", "abc.com"),
        ("https://abc.com/", "abc.com", "abc.com"),
    ])
    func schemeURLs(text: String, value: String, host: String) throws {
        let url = try only(text, .url)
        #expect(url.value == value)
        #expect(url.host == host)
        #expect(url.subkind == "domain")
    }

    @Test("bare domains inside Chinese text, without trailing punctuation")
    func bareDomain() throws {
        let text = "登录abc-licai.vip/x领取收益"
        let found = try #require(entities(text, .url).first)
        #expect(found.entity.value == "abc-licai.vip/x")
        #expect(found.entity.subkind == "domain")
        #expect(found.span == TextSpan(start: 2, end: 17))
        #expect(try only("官网是 abc.com.", .url).value == "abc.com")
    }

    @Test("links and numbers inside long runs of URL characters: later starting points, and a bounded number of tries")
    func longRuns() throws {
        // The first starting point of a run is not a link, a later one is.
        #expect(try only("看 a..evil.top 这里", .url).value == "evil.top")
        #expect(try only("看 x.y/evil.top 这里", .url).value == "evil.top")
        // A 20,000-character run that holds no link (every starting point used to be tried, 0.8 s for this
        // text); the link and the phone number after it are still found, as is a number inside it.
        let run = String(repeating: "a.", count: 10_000)
        #expect(values(run + " http://evil.top/x", .url) == ["evil.top/x"])
        #expect(values(run + " 13800138000", .phone) == ["13800138000"])
        #expect(values(String(repeating: "a.", count: 40) + "13800138000", .phone) == ["13800138000"])
        // Past `linkTriesPerRun` failed starting points, the rest of the run is not read for links.
        let tries = EntityExtractor.linkTriesPerRun
        #expect(values(String(repeating: "a.", count: tries - 2) + ".evil.top", .url) == ["evil.top"])
        #expect(values(String(repeating: "a.", count: tries + 2) + ".evil.top", .url).isEmpty)
    }

    @Test("short links are recognised by host")
    func shortLink() throws {
        let url = try only("点击t.cn/A6x领取", .url)
        #expect(url.value == "t.cn/a6x")
        #expect(url.subkind == "short_link")
        #expect(try only("https://bit.ly/3abc", .url).subkind == "short_link")
    }

    @Test("IP addresses, with or without scheme and port")
    func ipAddresses() throws {
        let withScheme = try only("http://192.168.1.10/login", .url)
        #expect(withScheme.subkind == "ip")
        #expect(withScheme.value == "192.168.1.10/login")
        let withPort = try only("访问 47.100.2.3:8080/pay", .url)
        #expect(withPort.subkind == "ip")
        #expect(withPort.host == "47.100.2.3")
    }

    @Test("decimals and version-like numbers are not links")
    func notLinks() {
        #expect(values("收益3.5万元", .url).isEmpty)
        #expect(values("版本1.2.3", .url).isEmpty)
        #expect(values("file.exe", .url).isEmpty)
    }

    // MARK: Phones

    @Test("phone numbers: value and kind", arguments: [
        ("请拨打13812345678咨询", "13812345678", "mobile"),
        ("+86 138 1234 5678", "13812345678", "mobile"),
        ("0086 138-1234-5678", "13812345678", "mobile"),
        ("8613812345678", "13812345678", "mobile"),
        ("座机010-12345678", "01012345678", "landline"),
        ("0755-8888 6666", "075588886666", "landline"),
        ("工行客服95588", "95588", "service"),
        ("400-123-4567", "4001234567", "service"),
        ("800 820 8820", "8008208820", "service"),
        ("+852 9123 4567", "+85291234567", "overseas"),
        ("00 1 212 555 0100", "+12125550100", "overseas"),
        ("+1 415 555 0100", "+14155550100", "overseas"),
    ])
    func phones(text: String, value: String, kind: String) throws {
        let phone = try only(text, .phone)
        #expect(phone.value == value)
        #expect(phone.subkind == kind)
    }

    @Test("a landline in international form (+86 without the trunk 0) is a landline")
    func internationalLandline() {
        #expect(values("+86 10 1234 5678", .phone) == ["01012345678"])
    }

    @Test("full-width digits are phones too, with the span of the original digits")
    func fullWidthPhone() throws {
        let found = try #require(entities("电话１３８１２３４５６７８", .phone).first)
        #expect(found.entity.value == "13812345678")
        #expect(found.span == TextSpan(start: 2, end: 13))
    }

    @Test("digits glued to letters are identifiers, not phones")
    func identifiersAreNotPhones() {
        #expect(values("订单号ab13812345678", .phone).isEmpty)
        #expect(values("13812345678abc", .phone).isEmpty)
    }

    @Test("a phone followed by a space and an amount stays a phone and an amount")
    func phoneThenAmount() {
        // Spaces join short digit groups (`138 1234 5678`) but must not join a phone to the amount after it.
        #expect(values("电话 13812345678 2000元", .phone) == ["13812345678"])
        #expect(values("电话 13812345678 2000元", .amount) == ["2000"])
    }

    // MARK: Bank cards

    @Test("bank card numbers with a valid Luhn digit, grouped or not")
    func bankCards() throws {
        let card = EntityTests.withLuhnDigit("622202123456789012")
        #expect(card.count == 19)
        #expect(try only("卡号\(card)", .bankCard).value == card)
        let grouped = stride(from: 0, to: card.count, by: 4).map { i -> String in
            let start = card.index(card.startIndex, offsetBy: i)
            return String(card[start..<(card.index(start, offsetBy: 4, limitedBy: card.endIndex) ?? card.endIndex)])
        }.joined(separator: " ")
        #expect(grouped.hasPrefix("6222 0212 3456 7890 12"))
        #expect(try only("转到 \(grouped) 账户", .bankCard).value == card)
        let sixteen = EntityTests.withLuhnDigit("621700000000000")
        #expect(try only("卡号：\(sixteen)", .bankCard).value == sixteen)
    }

    @Test("a card number failing the Luhn check is not a bank card")
    func invalidLuhn() throws {
        let valid = EntityTests.withLuhnDigit("622202123456789012")
        let last = Int(String(valid.last!))!
        let invalid = String(valid.dropLast()) + String((last + 1) % 10)
        #expect(values("卡号\(invalid)", .bankCard).isEmpty)
        #expect(values("卡号\(valid)", .bankCard) == [valid])
    }

    // MARK: QQ and WeChat

    @Test("QQ numbers after a qq/扣扣/企鹅 marker", arguments: [
        ("加qq：123456789", "123456789"),
        ("QQ号 2345678", "2345678"),
        ("扣扣12345678", "12345678"),
        ("企鹅 987654321", "987654321"),
    ])
    func qqNumbers(text: String, value: String) throws {
        #expect(try only(text, .qq).value == value)
    }

    @Test("a number without a QQ marker is not a QQ number")
    func noQQMarker() {
        #expect(values("编号123456789", .qq).isEmpty)
    }

    @Test("a QQ number written right after qq")
    func qqGlued() {
        // 扣扣12345678 and qq12345678 (the same, in Latin letters, glued to the digits) are both QQ numbers.
        #expect(values("加qq123456789", .qq) == ["123456789"])
    }

    @Test("WeChat ids after 微信号/vx markers, lowercased", arguments: [
        ("微信号：abc_12345", "abc_12345"),
        ("加vx：Abc123456", "abc123456"),
        ("微信 wxid_abcdef", "wxid_abcdef"),
        ("ＶＸ：Lucky888888", "lucky888888"),
    ])
    func wechatIDs(text: String, value: String) throws {
        #expect(try only(text, .wechat).value == value)
    }

    @Test("too-short ids after a WeChat marker are not ids")
    func shortWechatID() {
        #expect(values("加微信ab", .wechat).isEmpty)
    }

    @Test("the WeChat id span is the id only")
    func wechatSpan() throws {
        let found = try #require(entities("微信号：abc_12345", .wechat).first)
        #expect(found.span == TextSpan(start: 4, end: 13))
    }

    // MARK: Amounts

    @Test("amounts in yuan", arguments: [
        ("投资5万", 50_000.0, "50000"),
        ("收益3.5万元", 35_000.0, "35000"),
        ("¥2000", 2_000.0, "2000"),
        ("￥2000", 2_000.0, "2000"),
        ("转账12,500.00元", 12_500.0, "12500"),
        ("给你2000块", 2_000.0, "2000"),
        ("返5w", 50_000.0, "50000"),
        ("0.5元", 0.5, "0.50"),
        ("贷款3亿", 300_000_000.0, "300000000"),
        ("人民币800", 800.0, "800"),
        ("12.345元", 12.345, "12.35"),
        ("9.999元", 9.999, "10"),
        ("0.05万", 500.0, "500"),
        ("12345.6元", 12_345.6, "12345.60"),
        // Larger than a Double holds to the cent, and than Int64 holds at all: exact from the digits.
        ("999999999999999亿元", 999_999_999_999_999e8, "99999999999999900000000"),
    ])
    func amounts(text: String, yuan: Double, value: String) throws {
        let amount = try only(text, .amount)
        #expect(amount.amount == yuan)
        #expect(amount.value == value)
    }

    @Test("a bare number is not an amount")
    func bareNumber() {
        #expect(values("第2000个", .amount).isEmpty)
    }

    // MARK: App downloads

    @Test("app download prompts", arguments: [
        ("请下载xx app", "下载xx app"),
        ("下载“安心理财”APP领取", "下载“安心理财”app"),
        ("安装我们的客户端", "安装我们的客户端"),
    ])
    func appDownloads(text: String, value: String) throws {
        #expect(try only(text, .appDownload).value == value)
    }

    @Test("a download verb far from any app word is not a prompt")
    func downloadWithoutApp() {
        #expect(values("下载了一部电影，今天天气很好，我们出去走走吧，要不要带上app", .appDownload).isEmpty)
    }

    // MARK: Several at once

    @Test("one message, several entities, in text order with their own spans")
    func severalEntities() {
        let text = "加微信号：lucky888888，转账5万元到6222，登录abc.vip"
        let found = entities(text)
        #expect(found.map(\.entity.kind).contains(.wechat))
        #expect(found.map(\.entity.kind).contains(.amount))
        #expect(found.map(\.entity.kind).contains(.url))
        for e in found {
            #expect(e.field == "text")
            #expect(!scalars(of: text, e.span).isEmpty)
        }
    }

    @Test("the link pre-check never turns away a text the scan finds a link in, and turns away amounts")
    func linkPreCheck() {
        let extractor = EntityExtractor()
        func check(_ text: String) -> (mayHold: Bool, found: Bool) {
            let scalars = Array(text.unicodeScalars)
            var found: [Entity] = []
            extractor.extract(scalars, into: &found)
            return (scalars.withUnsafeBufferPointer { extractor.mayHoldLink($0) }, found.contains { $0.kind == .url })
        }
        for text in ["详情 http://t.cn/A6xYzQ9", "www.icbc-vip.top", "请访问103.45.67.89/icbc", "ab12.cn", "x@abc.com", "登录103.45.67.89查看"] {
            #expect(check(text) == (true, true), "\(text)")
        }
        for text in ["转账3.5万元", "金额5000.00元，余额12,345.67", "第1.2.3步", "。。.", "qq"] {
            #expect(check(text).mayHold == false, "\(text)")
        }
        // Random texts from the pieces links are made of: wherever the scan finds a link, the pre-check says so.
        let pieces = ["abc", "t", "cn", "com", "top", "1", "25", "103", ".", ".", "/", ":", "-", "@", "_", "?", " ", "万",
                      "元", "http://", "x1", "103.45"]
        var random = SplitMix64(seed: 7)
        var links = 0
        for _ in 0..<60_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...10, using: &random) { text += pieces.randomElement(using: &random)! }
            let result = check(text)
            if result.found { links += 1; #expect(result.mayHold, "\(text)") }
        }
        #expect(links > 400)
    }
}
