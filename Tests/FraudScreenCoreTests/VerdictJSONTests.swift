import Foundation
import Testing
@testable import FraudScreenCore

/// `Verdict.json` is valid JSON with the documented keys.
@Suite("Verdict JSON")
struct VerdictJSONTests {
    let screener: Screener

    init() throws {
        screener = Screener(ruleSet: try Fixture.ruleSet([
            Fixture.rule("j.brush", score: 50, "keywords: {any: [刷单, 加微信]}"),
            Fixture.rule("j.amount", score: 10, "entities: {amount: {min: 1000}}"),
        ]))
    }

    private func object(_ verdict: Verdict) throws -> [String: Any] {
        let data = Data(verdict.json.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a warning verdict has every documented key")
    func documentedKeys() throws {
        let text = "😀请加 微 信，刷单返2000元"
        let verdict = screener.screen(text)
        let json = try object(verdict)
        for key in ["verdict", "score", "category", "category_name", "category_scores", "hits", "entities", "advice",
                    "rules_version", "truncated"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["verdict"] as? String == "warn")
        #expect(json["score"] as? Int == 60)
        #expect(json["category"] as? String == "brushing")
        #expect(json["category_name"] as? String == "刷单返利")
        #expect(json["category_scores"] as? [String: Int] == ["brushing": 60])
        #expect(json["advice"] as? String == "所有刷单都是诈骗！")
        #expect(json["rules_version"] as? String == screener.ruleSet.version)
        #expect(json["truncated"] as? Bool == false)

        let hits = try #require(json["hits"] as? [[String: Any]])
        #expect(hits.map { $0["rule"] as? String } == ["j.brush", "j.amount"])
        let brush = hits[0]
        #expect(brush["category"] as? String == "brushing")
        #expect(brush["score"] as? Int == 50)
        #expect(brush["description"] as? String == "test rule j.brush")
        let evidence = try #require(brush["evidence"] as? [[String: Any]])
        #expect(evidence.count == 2)
        let first = evidence[0]
        #expect(first["field"] as? String == "text")
        #expect(first["start"] as? Int == 2)
        #expect(first["end"] as? Int == 7)
        #expect(first["text"] as? String == "加 微 信")
        #expect(first["source"] as? String == "keyword")
        #expect(first["evasive"] as? Bool == true)
        for e in evidence {
            let span = TextSpan(start: try #require(e["start"] as? Int), end: try #require(e["end"] as? Int))
            #expect(scalars(of: text, span) == e["text"] as? String)
        }

        let entities = try #require(json["entities"] as? [[String: Any]])
        let amount = try #require(entities.first { $0["type"] as? String == "amount" })
        #expect(amount["value"] as? String == "2000")
        #expect(amount["field"] as? String == "text")
        #expect(amount["start"] as? Int == 11)
        #expect(amount["end"] as? Int == 16)
    }

    @Test("evidence of every field, transaction fields included, is written under its own name, verdict after verdict")
    func evidenceFieldNames() throws {
        let ruleSet = try Fixture.ruleSet([
            Fixture.rule("t.memo", "keywords: {any: [刷单]}"),
            Fixture.rule("t.flagged", "lists: [{list: flagged, entity: payee_account}]"),
        ], lists: ["flagged": "6217000011112222333\n"])
        let screener = Screener(ruleSet: ruleSet)
        func evidenceFields(_ verdict: Verdict) throws -> [String] {
            var plain = verdict
            plain.hits = verdict.hits  // written out member by member
            #expect(verdict.json == plain.json)
            return try #require(try object(verdict)["hits"] as? [[String: Any]])
                .flatMap { ($0["evidence"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } }.sorted()
        }
        let transaction = TransactionTests.transaction(memo: "刷单垫付", payeeName: "刷单工作室")
        #expect(try evidenceFields(screener.screen(Document(transaction: transaction))) == ["memo", "payee.account", "payee_name"])
        let message = screener.screen("刷单")  // the field list changes back
        #expect(try evidenceFields(message) == ["text"])
        #expect(try evidenceFields(screener.screen(Document(transaction: transaction))) == ["memo", "payee.account", "payee_name"])
        #expect(try evidenceFields(message) == ["text"])  // an earlier verdict keeps its own names
    }

    @Test("hits written from the compact record and the pre-encoded rule text read exactly as if written out in full")
    func preEncodedText() throws {
        var verdict = screener.screen("刷单加微信，先垫付2000元　刷单")
        let hits = verdict.hits
        #expect(verdict.decision != .allow && hits.count >= 2 && hits.contains { $0.evidence.count >= 2 })
        var plain = verdict
        plain.hits = hits  // assigned hits are written out member by member
        #expect(verdict.json == plain.json)
        // A caller that edits a hit gets its edit, not the rule set's text.
        verdict.hits[0].description = "edited \"by\" hand"
        let hit = try #require((try object(verdict)["hits"] as? [[String: Any]])?.first)
        #expect(hit["description"] as? String == "edited \"by\" hand")
        #expect(verdict.hits[0].description == "edited \"by\" hand")
    }

    @Test("a verdict outlives its screener's next documents: the record keeps its own texts")
    func verdictIndependentOfScreener() throws {
        let first = screener.screen("刷单加微信，先垫付2000元")
        let json = first.json
        let hits = first.hits.map { "\($0.ruleID) \($0.evidence.map { "\($0.text)@\($0.span.start)" })" }
        for text in ["完全不同的另一条文字，刷单返利日赚三百", "你好", "兼职刷单，佣金日结，加QQ 12345678"] { _ = screener.screen(text) }
        #expect(first.json == json)
        #expect(first.hits.map { "\($0.ruleID) \($0.evidence.map { "\($0.text)@\($0.span.start)" })" } == hits)
        #expect(first.hits.flatMap(\.evidence).contains { $0.text == "刷单" })
    }

    @Test("an allow verdict has null category, name and advice")
    func allowVerdict() throws {
        let json = try object(screener.screen("明天见"))
        #expect(json["verdict"] as? String == "allow")
        #expect(json["score"] as? Int == 0)
        #expect(json["category"] is NSNull)
        #expect(json["category_name"] is NSNull)
        #expect(json["advice"] is NSNull)
        #expect((json["hits"] as? [Any])?.isEmpty == true)
        #expect((json["category_scores"] as? [String: Any])?.isEmpty == true)
    }

    @Test("entity kinds appear as kind")
    func entityKind() throws {
        let json = try object(screener.screen("打给+852 9123 4567"))
        let entities = try #require(json["entities"] as? [[String: Any]])
        #expect(entities.count == 1)
        #expect(entities.first?["type"] as? String == "phone")
        #expect(entities.first?["kind"] as? String == "overseas")
        #expect(entities.first?["value"] as? String == "+85291234567")
    }

    @Test("quotes, backslashes, newlines and control characters in evidence survive a round trip")
    func escaping() throws {
        let text = "a\"b\\c\n\t\r\u{01}刷单\u{1F}\"x"
        let verdict = screener.screen(text)
        let json = try object(verdict)
        let hits = try #require(json["hits"] as? [[String: Any]])
        let evidence = try #require(hits.first?["evidence"] as? [[String: Any]])
        #expect(evidence.first?["text"] as? String == "刷单")
        // Evidence spanning the awkward characters.
        let awkward = try Fixture.ruleSet([Fixture.rule("j.all", #"regex: '(?s)a.*x'"#)])
        let whole = try object(Screener(ruleSet: awkward).screen(text))
        let wholeEvidence = try #require((whole["hits"] as? [[String: Any]])?.first?["evidence"] as? [[String: Any]])
        #expect(wholeEvidence.first?["text"] as? String == text)
    }
}

/// The writer escapes exactly what JSON needs wherever it falls in the eight-byte words it scans by.
@Suite("JSON writer")
struct JSONWriterTests {
    @Test("every string survives a round trip, whatever the position of the characters that need escaping")
    func escapingAtEveryOffset() throws {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "é", "银行", "\u{7F}", " "]
        for special in specials {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "银", count: offset % 5)
                var writer = JSONWriter()
                writer.beginArray()
                writer.value(text)
                writer.value(-120)
                writer.value(0)
                writer.endArray()
                let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.string.utf8)) as? [Any])
                #expect(parsed[0] as? String == text)
                #expect(parsed[1] as? Int == -120)
                #expect(parsed[2] as? Int == 0)
            }
        }
    }

    @Test("a reset writer writes the next document as a fresh one would, whatever state the last left it in")
    func reuse() {
        var writer = JSONWriter(reservingCapacity: 1)
        writer.beginObject(); writer.member("a", 1); writer.beginArray(key: "b"); writer.value("x")  // left open
        writer.reset()
        writer.beginObject(); writer.member("c", 2); writer.endObject()
        #expect(writer.string == #"{"c":2}"#)
        writer.reset()
        writer.beginArray(); writer.value(1); writer.value(2); writer.endArray()
        #expect(writer.string == "[1,2]")
    }

    @Test("integers of every length and sign, the extremes included")
    func integers() {
        let values = [0, 7, 9, 10, 99, 100, 12_345, -1, -9, -10, -40, 999_999_999_999, Int.max, Int.min]
        for value in values {
            var writer = JSONWriter(reservingCapacity: 1)  // grows for the digits
            writer.value(value)
            #expect(writer.string == String(value))
        }
    }

    @Test("objects nest with commas in the right places, static and dynamic keys alike")
    func nesting() throws {
        var writer = JSONWriter(reservingCapacity: 1)  // grows as it goes
        writer.beginObject()
        writer.member("a", 1)
        writer.key(static: "b"); writer.beginArray()
        writer.beginObject(); writer.field("c", "x"); writer.member("d", true); writer.endObject()
        writer.beginObject(); writer.endObject()
        writer.endArray()
        writer.member("e", nil as String?)
        writer.endObject()
        #expect(writer.string == #"{"a":1,"b":[{"c":"x","d":true},{}],"e":null}"#)
    }
}
