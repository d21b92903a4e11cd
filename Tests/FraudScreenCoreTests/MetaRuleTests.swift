import Testing
@testable import FraudScreenCore

/// Meta rules: all / any / none / at_least of other rules (by id or `prefix.*`), in dependency order.
@Suite("Meta rules")
struct MetaRuleTests {
    let screener: Screener

    init() throws {
        let ruleSet = try Fixture.ruleSet([
            // Meta rules first, so evaluation order cannot depend on file order.
            Fixture.rule("m.chain", "meta: {all: [m.all], none: [common.warning]}"),
            Fixture.rule("m.all", "meta: {all: [task.brush, task.commission]}"),
            Fixture.rule("m.any", "meta: {any: [task.brush, task.advance]}"),
            Fixture.rule("m.none", "meta: {all: [task.brush], none: [common.warning]}"),
            Fixture.rule("m.atleast", "meta: {at_least: 2, of: ['task.*']}"),
            Fixture.rule("task.brush", "keywords: {any: [刷单]}"),
            Fixture.rule("task.commission", "keywords: {any: [佣金]}"),
            Fixture.rule("task.advance", "keywords: {any: [垫付]}"),
            Fixture.rule("common.warning", "keywords: {any: [谨防]}"),
        ])
        screener = Screener(ruleSet: ruleSet)
    }

    @Test("all: every named rule fired")
    func all() {
        #expect(screener.firedRules("刷单赚佣金").contains("m.all"))
        #expect(!screener.firedRules("刷单").contains("m.all"))
    }

    @Test("any: one named rule fired")
    func any() {
        #expect(screener.firedRules("需要垫付").contains("m.any"))
        #expect(screener.firedRules("刷单").contains("m.any"))
        #expect(!screener.firedRules("佣金").contains("m.any"))
    }

    @Test("none: a named rule firing stops the meta rule")
    func none() {
        #expect(screener.firedRules("刷单").contains("m.none"))
        #expect(!screener.firedRules("谨防刷单").contains("m.none"))
    }

    @Test("at_least N of prefix.*")
    func atLeast() {
        #expect(!screener.firedRules("刷单").contains("m.atleast"))
        #expect(screener.firedRules("刷单垫付").contains("m.atleast"))
        #expect(screener.firedRules("佣金垫付").contains("m.atleast"))
        // common.warning is not under task.*
        #expect(!screener.firedRules("谨防刷单").contains("m.atleast"))
    }

    @Test("meta rules may depend on meta rules defined after them")
    func chained() {
        #expect(screener.firedRules("刷单赚佣金").contains("m.chain"))
        #expect(!screener.firedRules("谨防刷单赚佣金").contains("m.chain"))
        #expect(!screener.firedRules("刷单").contains("m.chain"))
    }

    @Test("the exact set of rules fired for a text")
    func exactSet() {
        #expect(screener.firedRules("刷单赚佣金") == [
            "task.brush", "task.commission", "m.all", "m.any", "m.none", "m.atleast", "m.chain",
        ])
        #expect(screener.firedRules("你好") == [])
    }

    @Test("a meta rule's evidence is the evidence of the rules it relied on")
    func evidence() throws {
        let verdict = screener.screen("刷单赚佣金")
        let all = try #require(verdict.hit("m.all"))
        #expect(all.evidence.map(\.text) == ["刷单", "佣金"])
        let chain = try #require(verdict.hit("m.chain"))
        #expect(chain.evidence.map(\.text) == ["刷单", "佣金"])
    }

    @Test("rules fired in different fields combine in meta rules")
    func acrossFields() {
        let document = Document(fields: [.init(name: "memo", text: "刷单"), .init(name: "context", text: "佣金")])
        #expect(screener.firedRules(document).contains("m.all"))
    }

    @Test("a meta rule with field conditions of its own needs them too")
    func withFieldConditions() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("m.fee", "keywords: {any: [解冻费]}\nmeta: {all: [x.loan]}"),
            Fixture.rule("x.loan", "keywords: {any: [贷款]}"),
        ]))
        #expect(screener.firedRules("贷款需交解冻费") == ["m.fee", "x.loan"])
        #expect(screener.firedRules("贷款") == ["x.loan"])
        #expect(screener.firedRules("解冻费") == [])
    }

    @Test("a meta rule with field conditions fires whichever field, or meta rule, its named rules fired in")
    func deferredFieldConditions() throws {
        // On the last field a meta rule's own conditions are checked only once the plain rules are decided;
        // named meta rules are decided later still, so they must not stop it.
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("m.outer", "keywords: {any: [解冻费]}\nmeta: {all: [m.inner]}"),
            Fixture.rule("m.inner", "meta: {all: [x.loan]}"),
            Fixture.rule("m.fee", "keywords: {any: [解冻费]}\nmeta: {at_least: 1, of: [x.loan]}"),
            Fixture.rule("x.loan", "keywords: {any: [贷款]}"),
        ]))
        #expect(screener.firedRules("贷款需交解冻费") == ["m.fee", "m.inner", "m.outer", "x.loan"])
        #expect(screener.firedRules("需交解冻费") == [])
        let loanFirst = Document(fields: [.init(name: "memo", text: "贷款"), .init(name: "context", text: "解冻费")])
        #expect(screener.firedRules(loanFirst) == ["m.fee", "m.inner", "m.outer", "x.loan"])
        let feeFirst = Document(fields: [.init(name: "memo", text: "解冻费"), .init(name: "context", text: "贷款")])
        #expect(screener.firedRules(feeFirst) == ["m.fee", "m.inner", "m.outer", "x.loan"])
    }

    @Test("a span two named rules share is one piece of the meta rule's evidence")
    func sharedEvidenceOnce() throws {
        let screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("m.both", "meta: {all: [x.a, x.b]}"),
            Fixture.rule("x.a", "keywords: {any: [刷单]}"),
            Fixture.rule("x.b", "keywords: {all: [[刷单], [佣金]]}"),
        ]))
        let hit = try #require(screener.screen("刷单赚佣金").hit("m.both"))
        #expect(hit.evidence.map(\.text) == ["刷单", "佣金"])
    }

    @Test("meta rules marked while others are decided are still decided in dependency order")
    func markedDuringEvaluation() throws {
        // m.top is marked only when m.mid and m.late fire, after m.neg was marked by x.a; m.neg names m.top under
        // `none`, so it must be decided after m.top, and m.top2 only once m.top fired.
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("m.neg", "meta: {all: [x.a], none: [m.top]}"),
            Fixture.rule("m.top2", "meta: {any: [m.top]}"),
            Fixture.rule("m.top", "meta: {all: [m.mid, m.late]}"),
            Fixture.rule("m.late", "meta: {all: [x.b]}"),
            Fixture.rule("m.mid", "meta: {any: [x.a]}"),
            Fixture.rule("x.a", "keywords: {any: [刷单]}"),
            Fixture.rule("x.b", "keywords: {any: [佣金]}"),
        ])
        let screener = Screener(ruleSet: ruleSet)
        #expect(screener.firedRules("刷单赚佣金") == ["x.a", "x.b", "m.mid", "m.late", "m.top", "m.top2"])
        #expect(screener.firedRules("刷单") == ["x.a", "m.mid", "m.neg"])
        #expect(screener.firedRules("佣金") == ["x.b", "m.late"])
        #expect(screener.firedRules("刷单赚佣金") == ["x.a", "x.b", "m.mid", "m.late", "m.top", "m.top2"])
    }

    @Test("a screener resets fired meta rules between documents")
    func resetBetweenDocuments() {
        #expect(screener.firedRules("刷单赚佣金").contains("m.all"))
        #expect(screener.firedRules("佣金") == ["task.commission"])
    }
}
