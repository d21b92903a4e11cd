import Testing
@testable import FraudScreenCore

/// Documents with several fields: `fields:` limits where a rule looks, evidence and entities name their field.
@Suite("Field scoping")
struct FieldScopeTests {
    let screener: Screener

    init() throws {
        screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("f.memo", "fields: [memo]\nkeywords: {any: [刷单]}"),
            Fixture.rule("f.payee", "fields: payee_name\nkeywords: {any: [安全账户]}"),
            Fixture.rule("f.anywhere", "keywords: {any: [佣金]}"),
            Fixture.rule("f.regex", "fields: [memo]\nregex: '解冻费'"),
        ]))
    }

    private func document(memo: String, payee: String) -> Document {
        Document(fields: [.init(name: "memo", text: memo), .init(name: "payee_name", text: payee)])
    }

    @Test("a rule scoped to memo fires on memo text only")
    func scopedRule() throws {
        #expect(screener.firedRules(document(memo: "刷单", payee: "张三")) == ["f.memo"])
        #expect(screener.firedRules(document(memo: "货款", payee: "刷单")) == [])
        let evidence = try #require(screener.screen(document(memo: "刷单", payee: "刷单")).hit("f.memo")?.evidence)
        #expect(evidence.map(\.field) == ["memo"])
    }

    @Test("a single field name works as well as a list")
    func singleFieldName() {
        #expect(screener.firedRules(document(memo: "", payee: "安全账户")) == ["f.payee"])
        #expect(screener.firedRules(document(memo: "安全账户", payee: "")) == [])
    }

    @Test("regex conditions are scoped too")
    func scopedRegex() {
        #expect(screener.firedRules(document(memo: "解冻费", payee: "")) == ["f.regex"])
        #expect(screener.firedRules(document(memo: "", payee: "解冻费")) == [])
    }

    @Test("an unscoped rule fires in any field; its evidence names each field with spans of that field")
    func unscopedRule() throws {
        let verdict = screener.screen(document(memo: "佣金", payee: "付佣金"))
        let evidence = try #require(verdict.hit("f.anywhere")?.evidence)
        #expect(evidence.map(\.field) == ["memo", "payee_name"])
        #expect(evidence.map(\.span) == [TextSpan(start: 0, end: 2), TextSpan(start: 1, end: 3)])
        #expect(verdict.score == 10)
    }

    @Test("a message is one field named text; a text-scoped rule does not see other fields")
    func messageField() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("f.text", "fields: [text]\nkeywords: {any: [刷单]}"),
        ]))
        #expect(screener.firedRules("刷单") == ["f.text"])
        #expect(screener.firedRules(Document(fields: [.init(name: "memo", text: "刷单")])) == [])
    }

    @Test("a field no rule names (here a message's text) is screened by the unscoped rules only")
    func unnamedField() {
        #expect(screener.firedRules("刷单 安全账户 解冻费 佣金") == ["f.anywhere"])
        #expect(screener.firedRules(Document(fields: [.init(name: "payer_name", text: "刷单 佣金")])) == ["f.anywhere"])
    }

    @Test("entities are reported per field")
    func entitiesPerField() {
        let verdict = screener.screen(document(memo: "转5万元", payee: "13812345678"))
        let found = verdict.entities.map { "\($0.field):\($0.entity.kind.rawValue):\($0.entity.value)" }
        #expect(found == ["memo:amount:50000", "payee_name:phone:13812345678"])
    }
}
