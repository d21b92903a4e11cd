import Foundation
import Testing
@testable import FraudScreenCore

/// `turns: {last: N}` (keywords that count only in a conversation's closing turns) and `ceiling` (a fired rule
/// caps its category's score): how a chat that quotes a scam and then turns it down stays under the threshold.
@Suite("Conversations: closing turns and ceilings")
struct ConversationRuleTests {
    let screener: Screener

    init() throws {
        screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("b.brush", category: "brushing", score: 30, "keywords: {any: [刷单]}"),
            Fixture.rule("b.advance", category: "brushing", score: 40, "keywords: {any: [垫付]}"),
            Fixture.rule("i.tutor", category: "investment", score: 25, "keywords: {any: [导师带单]}"),
            Fixture.rule("i.deposit", category: "investment", score: 60, "keywords: {any: [平台充值]}"),
            Fixture.rule("c.refused", category: "*", score: 0, "ceiling: 20\nturns: {last: 2}\nkeywords: {any: [不做了]}"),
            Fixture.rule("c.cap_brushing", category: "brushing", score: -5, "ceiling: 35\nkeywords: {any: [拉黑了]}"),
            Fixture.rule("c.refusal_pattern", category: "*", score: 0,
                         "ceiling: 15\nturns: {last: 1}\nregex: '(?m)^[^:\\n]{1,8}:\\s*不(转|交|付)[,。!]?\\s*$'"),
            Fixture.rule("c.two_words", category: "*", score: 0,
                         "ceiling: 10\nturns: {last: 1}\nkeywords: {all: [[好的], [报警]]}"),
        ]))
    }

    static let pitch = "群主：刷单一单返佣金\n群主：先垫付500，马上返\n导师带单，稳赚"

    @Test("a closing-turns keyword counts in the last turns of a conversation, and its evidence is where it stands")
    func closingTurnFires() throws {
        let text = Self.pitch + "\n我：算了，不做了\n群主：再考虑一下"
        let verdict = screener.screen(text)
        let hit = try #require(verdict.hit("c.refused"))
        #expect(hit.ceiling == 20)
        #expect(hit.evidence.count == 1)
        #expect(scalars(of: text, hit.evidence[0].span) == "不做了")
        // Brushing had 70, investment 25: both held at the ceiling, so nothing warns.
        #expect(verdict.categoryScores.map(\.score).allSatisfy { $0 <= 20 })
        #expect(verdict.score == 20 && verdict.decision == .allow)
    }

    @Test("the same words earlier in the conversation, or in a text of no more lines than the closing turns, do not count")
    func closingTurnElsewhere() {
        // 不做了 in the first of five turns: the conversation went on to the scam.
        let early = "我：之前那个我不做了\n" + Self.pitch + "\n群主：今天再垫付一单"
        #expect(!screener.firedRules(early).contains("c.refused"))
        #expect(screener.screen(early).score >= 70)  // 刷单 30 + 垫付 40, uncapped
        // Two lines are no conversation with two closing turns; one line is a single message.
        #expect(!screener.firedRules("刷单先垫付\n不做了").contains("c.refused"))
        #expect(!screener.firedRules("刷单先垫付，不做了").contains("c.refused"))
        #expect(screener.screen("刷单先垫付，不做了").score == 70)
    }

    @Test("blank and whitespace-only lines are not turns; CRLF line ends are line ends")
    func turnsAreLinesWithText() {
        // Four turns with blank lines between them: 不做了 is in the second-to-last turn, within the last two.
        let spaced = "刷单返佣金\n\n先垫付\n \u{3000}\n我：不做了\n\n群主：好吧\n"
        #expect(screener.firedRules(spaced).contains("c.refused"))
        // The same with CRLF.
        #expect(screener.firedRules("刷单返佣金\r\n先垫付\r\n我：不做了\r\n群主：好吧\r\n").contains("c.refused"))
        // Three turns of which only the last two count: 不做了 in the first is out of reach.
        #expect(!screener.firedRules("我：不做了\n\n\n刷单先垫付\n群主：好吧").contains("c.refused"))
    }

    @Test("every `all` element must occur in the closing turns")
    func closingTurnsAll() {
        let both = Self.pitch + "\n我：好的，我去报警"
        #expect(screener.firedRules(both).contains("c.two_words"))
        #expect(screener.screen(both).score == 10)
        let split = Self.pitch + "\n我：好的\n我：报警了"
        #expect(!screener.firedRules(split).contains("c.two_words"))
    }

    @Test("categories a ceiling holds level are ranked by what they scored before it: the verdict names what the chat was about")
    func cappedTieOrder() {
        // Investment 25 + 60 = 85, brushing 30: both held at 20. By id, brushing would come first.
        let verdict = screener.screen("群主：刷单返佣\n导师带单，平台充值\n我：不做了\n群主：好吧")
        #expect(verdict.categoryScores.map(\.category) == ["investment", "brushing"])
        #expect(verdict.categoryScores.map(\.score) == [20, 20])
        #expect(verdict.category?.id == "investment" && verdict.score == 20)
    }

    @Test("a closing-turns regex searches only the closing turns: a refusal line at the end, not the same line earlier")
    func closingTurnRegex() throws {
        let ends = Self.pitch + "\n我：不转！"
        let hit = try #require(screener.screen(ends).hit("c.refusal_pattern"))
        #expect(scalars(of: ends, hit.evidence[0].span) == "我：不转！" && hit.evidence[0].source == .regex)
        #expect(screener.screen(ends).score == 15)
        // The same line first, then the pitch: the last turn is the pitch's.
        let starts = "我：不转！\n" + Self.pitch
        #expect(screener.screen(starts).hit("c.refusal_pattern") == nil)
        // One line: no closing turn to search.
        #expect(screener.screen("我：不转！").hit("c.refusal_pattern") == nil)
    }

    @Test("a category's own ceiling caps only that category")
    func categoryCeiling() {
        let verdict = screener.screen("刷单先垫付，导师带单，后来他把我拉黑了")
        let scores = Dictionary(uniqueKeysWithValues: verdict.categoryScores.map { ($0.category, $0.score) })
        #expect(scores["brushing"] == 35)     // 30 + 40 - 5 = 65, held at 35
        #expect(scores["investment"] == 25)   // untouched
        #expect(verdict.category?.id == "brushing" && verdict.decision == .allow)  // warn is 40
    }

    @Test("the screener forgets a field's turns: the next document is read afresh")
    func closingTurnsPerField() {
        let conversation = Self.pitch + "\n我：不做了\n群主：好吧"
        #expect(screener.screen(conversation).decision == .allow)
        #expect(screener.screen("刷单先垫付，不做了").score == 70)
        #expect(screener.screen(conversation).decision == .allow)
        // A transaction's fields are each their own text: the memo's lines are not the context's.
        // (Memo and context together would be three lines, the context alone is two.)
        let payment = Document(transaction: Transaction(memo: "刷单垫付", amount: DecimalAmount("500.00")!, payee: .init(name: "王某"),
                                                       timestamp: Timestamp("2026-11-29T01:13:00+08:00")!,
                                                       context: "群主让先垫付\n不做了"))
        #expect(screener.screen(payment).hit("c.refused") == nil)
    }

    @Test("a hit's ceiling is in the JSON answer; rules without one have no such member")
    func ceilingInJSON() throws {
        let verdict = screener.screen(Self.pitch + "\n我：不做了\n群主：好吧")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(verdict.json.utf8)) as? [String: Any])
        let hits = try #require(object["hits"] as? [[String: Any]])
        let refused = try #require(hits.first { $0["rule"] as? String == "c.refused" })
        #expect(refused["ceiling"] as? Int == 20)
        #expect(hits.filter { $0["rule"] as? String != "c.refused" }.allSatisfy { $0["ceiling"] == nil })
        #expect(object["score"] as? Int == 20 && object["verdict"] as? String == "allow")
    }

    @Test("turns and ceiling are validated when the rule set loads")
    func loadingErrors() {
        func error(_ body: String) -> String? {
            do {
                _ = try Fixture.ruleSet([Fixture.rule("x.bad", category: "*", score: 0, body)])
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(error("turns: {last: 2}\nregex: '不做了'") == nil)
        #expect(error("turns: {last: 2}\nkeywords: {any: [不做了]}\nentities: {url: true}")?.contains("only keyword and regex conditions") == true)
        #expect(error("turns: {last: 2}\nmeta: {any: [x.other]}")?.contains("only keyword and regex conditions") == true)
        #expect(error("turns: {last: 0}\nkeywords: {any: [不做了]}")?.contains("turns.last must be between 1 and 8") == true)
        #expect(error("turns: {first: 2}\nkeywords: {any: [不做了]}")?.contains("unknown key 'first'") == true)
        #expect(error("turns: {}\nkeywords: {any: [不做了]}")?.contains("turns needs last") == true)
        #expect(error("ceiling: -1\nkeywords: {any: [不做了]}")?.contains("ceiling must be between 0") == true)
        #expect(error("ceiling: 30\nturns: {last: 3}\nkeywords: {any: [不做了]}") == nil)
    }
}
