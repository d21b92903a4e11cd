import Testing
@testable import FraudScreenCore

/// Entity conditions in rules: presence, kinds, amount bounds, and several entities together.
@Suite("Entity rules")
struct EntityRuleTests {
    @Test("phone kinds: only the kinds named count")
    func phoneKinds() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.overseas", "entities: {phone: {kinds: [overseas]}}"),
            Fixture.rule("e.service", "entities: {phone: {kinds: [service, landline]}}"),
            Fixture.rule("e.anyphone", "entities: {phone: true}"),
        ]))
        #expect(screener.firedRules("请回电+852 9123 4567") == ["e.overseas", "e.anyphone"])
        #expect(screener.firedRules("请回电13812345678") == ["e.anyphone"])
        #expect(screener.firedRules("客服400-123-4567") == ["e.service", "e.anyphone"])
        #expect(screener.firedRules("座机010-12345678") == ["e.service", "e.anyphone"])
        #expect(screener.firedRules("没有号码") == [])
    }

    @Test("url kinds")
    func urlKinds() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.short", "entities: {url: {kinds: [short_link, ip]}}"),
            Fixture.rule("e.url", "entities: {url: true}"),
        ]))
        #expect(screener.firedRules("点击t.cn/A6x") == ["e.short", "e.url"])
        #expect(screener.firedRules("访问http://1.2.3.4/a") == ["e.short", "e.url"])
        #expect(screener.firedRules("访问abc.com") == ["e.url"])
    }

    @Test("amount min and max are in yuan and inclusive")
    func amountBounds() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.big", "entities: {amount: {min: 10000}}"),
            Fixture.rule("e.small", "entities: {amount: {max: 1000}}"),
            Fixture.rule("e.mid", "entities: {amount: {min: 2000, max: 5000}}"),
        ]))
        #expect(screener.firedRules("转账5万元") == ["e.big"])
        #expect(screener.firedRules("转账1万") == ["e.big"])
        #expect(screener.firedRules("转账9999元") == [])
        #expect(screener.firedRules("红包500元") == ["e.small"])
        #expect(screener.firedRules("红包1000元") == ["e.small"])
        #expect(screener.firedRules("保证金3000块") == ["e.mid"])
        // Any amount of the field may satisfy the condition.
        #expect(screener.firedRules("先交500元，返你3.5万元") == ["e.big", "e.small"])
    }

    @Test("every entity a rule names is required")
    func severalEntities() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.both", "entities: {url: true, amount: {min: 10000}}"),
        ]))
        #expect(screener.firedRules("登录abc.vip领取5万元") == ["e.both"])
        #expect(screener.firedRules("登录abc.vip领取") == [])
        #expect(screener.firedRules("领取5万元") == [])
        let evidence = try #require(screener.screen("登录abc.vip领取5万元").hit("e.both")?.evidence)
        #expect(Set(evidence.map(\.text)) == ["abc.vip", "5万元"])
        #expect(evidence.allSatisfy { $0.source == .entity })
    }

    @Test("entity conditions combine with keywords")
    func withKeywords() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.fee", "keywords: {any: [解冻费, 保证金]}\nentities: {amount: true}"),
        ]))
        #expect(screener.firedRules("需缴纳解冻费2000元") == ["e.fee"])
        #expect(screener.firedRules("需缴纳解冻费") == [])
        #expect(screener.firedRules("工资2000元") == [])
    }

    @Test("other entity kinds: bank_card, qq, wechat, app_download")
    func otherKinds() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("e.card", "entities: {bank_card: true}"),
            Fixture.rule("e.qq", "entities: {qq: true}"),
            Fixture.rule("e.wechat", "entities: {wechat: true}"),
            Fixture.rule("e.app", "entities: {app_download: true}"),
        ]))
        let card = EntityTests.withLuhnDigit("622202123456789012")
        #expect(screener.firedRules("打到\(card)") == ["e.card"])
        #expect(screener.firedRules("加扣扣123456789") == ["e.qq"])
        #expect(screener.firedRules("微信号：lucky888888") == ["e.wechat"])
        #expect(screener.firedRules("请下载安心理财APP") == ["e.app"])
    }
}
