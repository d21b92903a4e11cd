import Foundation
import FraudScreenCore
import Testing
@testable import FraudScreenReplay

/// Every figure of the report over the fixture corpus, worked out by hand.
///
/// Items (warn ≥ 40, block ≥ 80):
///   f1 fraud/brushing   刷单有佣金          brushing.core 50               warn  brushing
///   f2 fraud/authority  转到安全账户        authority.safe_account 90      block authority
///   f3 fraud/brushing   你好                —                              allow
///   f4 fraud/authority  做任务返利，先垫付  brushing.core 50 + advance 40  block brushing (wrong category)
///   f5 fraud/brushing   连单                brushing.advance 40            warn  brushing
///   b1 benign           公检法不会要求…安全账户  (unless)                  allow
///   b2 benign           垫付一下<午饭>钱     brushing.advance 40            warn  brushing  ← false positive
///   b3 benign           谨防诈骗，今天天气好 common.genuine_warning −30 (alone: no score)  allow
///   u1 unlabelled       安全账户            authority.safe_account 90      block
///   r1 fraud/authority  (reports log)       authority.safe_account 90      block authority
///   t1 fraud/brushing   (transaction memo)  brushing.core 50               warn  brushing
@Suite("replay report figures over a hand-checked corpus")
struct ReplayMetricsTests {
    @Test func readsMessagesReportsAndTransactionsAndReportsBadLines() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let input = try Replay.read(paths: [fixture.corpusPath])
        #expect(input.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["messages.jsonl", "reports.jsonl", "transactions.jsonl"])
        #expect(input.items.map(\.id) == ["f1", "f2", "f3", "f4", "f5", "b1", "b2", "b3", "u1", "r1", "t1"])
        #expect(input.badLines.map { "\(URL(fileURLWithPath: $0.file).lastPathComponent):\($0.line): \($0.message)" } == [
            "messages.jsonl:4: not a JSON object",
            "messages.jsonl:7: label must be \"fraud\" or \"benign\"",
            "messages.jsonl:12: missing string field 'text' (or 'message.text', or a 'transaction' object)",
        ])
        let u1 = try #require(input.items.first { $0.id == "u1" })
        #expect(u1.label == nil && u1.line == 13)
        let r1 = try #require(input.items.first { $0.id == "r1" })
        #expect(r1.text == "民警说把钱转入安全账户" && r1.label == .fraud && r1.category == "impersonate_authority")
        let t1 = try #require(input.items.first { $0.id == "t1" })
        #expect(t1.kind == .transaction)
        #expect(t1.fields.map(\.name) == ["memo", "payee_name", "context"])
        #expect(t1.fields.map(\.text) == ["刷单佣金", "张三", "对方让我转"])
        #expect(t1.transaction?.amount.cents == 10_000 && t1.transaction?.payee.type == .personal)
        #expect(t1.transactionProblem == nil)
    }

    /// A valid transaction is screened whole (a `transaction:` condition fires); one the engine's validation
    /// rejects is still screened by its text fields, and says why.
    @Test func transactionsAreScreenedWholeWhenValid() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let rules = fixture.directory.appendingPathComponent("txn-rules")
        try Fixture.writeRules("""
        rules:
          - id: txn.personal_payee
            category: brushing_rebate
            score: 40
            description: 转给个人账户
            transaction: {payee_type: personal}
            examples:
              match:
                - {transaction: {memo: 货款, amount: "10.00", payee: {name: 王某, type: personal}, timestamp: "2026-06-01T14:00:00+08:00"}}
          - id: brushing.memo
            category: brushing_rebate
            score: 50
            description: 刷单
            fields: [memo]
            keywords: {any: [刷单]}
            examples:
              match: [刷单]
        """, to: rules)
        let corpus = fixture.directory.appendingPathComponent("txn.jsonl")
        try """
        {"id":"ok","transaction":{"memo":"货款","amount":"10.00","payee":{"name":"王某","type":"personal"},"timestamp":"2026-06-01T14:00:00+08:00"},"label":"fraud","category":"brushing_rebate"}
        {"id":"no-time","transaction":{"memo":"刷单","amount":"10.00","payee":{"name":"王某","type":"personal"}},"label":"fraud","category":"brushing_rebate"}
        {"id":"corporate","transaction":{"memo":"货款","amount":"10.00","payee":{"name":"某公司","type":"corporate"},"timestamp":"2026-06-01T14:00:00+08:00"},"label":"benign"}
        """.write(to: corpus, atomically: true, encoding: .utf8)
        let input = try Replay.read(paths: [corpus.path])
        #expect(input.badLines.isEmpty)
        #expect(input.items.map { $0.transaction != nil } == [true, false, true])
        #expect(input.items[1].transactionProblem == "timestamp: required")
        #expect(input.items[1].fields.map(\.name) == ["memo", "payee_name"])
        let result = Replay.run(input, rules: Replay.Rules(try RuleSetLoader.load(directory: rules.path), directory: rules.path))
        // ok: the personal-payee condition (40, warn); no-time: only its memo text (刷单, 50, warn) — the
        // condition cannot be checked without a valid transaction; corporate: nothing.
        #expect(result.verdicts.map { $0.hits.map(\.ruleID) } == [["txn.personal_payee"], ["brushing.memo"], []])
        #expect(result.verdicts.map(\.decision) == [.warn, .warn, .allow])
        #expect(result.report.counts.transactions == 3 && result.report.counts.textOnlyTransactions == 1)
        #expect(result.report.atWarn == CorpusMetrics.Confusion(truePositives: 2, falsePositives: 0, trueNegatives: 1, falseNegatives: 0))
    }

    @Test func countsAndConfusionAtBothLevels() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        let c = report.counts
        #expect(c.total == 11 && c.fraud == 7 && c.benign == 3 && c.unlabelled == 1)
        #expect(c.messages == 10 && c.transactions == 1 && c.files == 3 && c.malformed == 3)
        #expect(c.allow == 3 && c.warn == 4 && c.block == 4)

        // At warn: TP f1 f2 f4 f5 r1 t1, FN f3, FP b2, TN b1 b3.
        #expect(report.atWarn == CorpusMetrics.Confusion(truePositives: 6, falsePositives: 1, trueNegatives: 2, falseNegatives: 1))
        #expect(close(report.atWarn.precision, 6.0 / 7))
        #expect(close(report.atWarn.recall, 6.0 / 7))
        #expect(close(report.atWarn.f1, 6.0 / 7))
        #expect(close(report.atWarn.falsePositiveRate, 1.0 / 3))
        // At block: TP f2 f4 r1; the rest of the fraud is missed; no benign item is blocked.
        #expect(report.atBlock == CorpusMetrics.Confusion(truePositives: 3, falsePositives: 0, trueNegatives: 3, falseNegatives: 4))
        #expect(close(report.atBlock.precision, 1))
        #expect(close(report.atBlock.recall, 3.0 / 7))
        #expect(close(report.atBlock.f1, 2 * (3.0 / 7) / (1 + 3.0 / 7)))  // = 0.6
        #expect(close(report.atBlock.f1, 0.6))
        #expect(close(report.atBlock.falsePositiveRate, 0))
    }

    @Test func perCategoryRecallAndCategoryConfusion() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        #expect(report.categories.map(\.id) == ["brushing_rebate", "impersonate_authority"])
        let brushing = report.categories[0], authority = report.categories[1]
        // brushing: f1 f3 f5 t1; flagged f1 f5 t1 (all warn, named brushing).
        #expect(brushing.name == "刷单返利")
        #expect(brushing.counts.items == 4 && brushing.counts.warned == 3 && brushing.counts.blocked == 0 && brushing.counts.rightCategory == 3)
        #expect(close(brushing.recall, 0.75) && close(brushing.blockRecall, 0) && close(brushing.categoryAccuracy, 0.75))
        // authority: f2 f4 r1, all blocked; f4 named brushing.
        #expect(authority.counts.items == 3 && authority.counts.warned == 3 && authority.counts.blocked == 3 && authority.counts.rightCategory == 2)
        #expect(close(authority.recall, 1) && close(authority.blockRecall, 1) && close(authority.categoryAccuracy, 2.0 / 3))

        let table = report.categoryConfusion
        #expect(table.rows == ["brushing_rebate", "impersonate_authority", "benign"])
        #expect(table.columns == ["brushing_rebate", "impersonate_authority", "allow"])
        #expect(table.counts == [
            [3, 0, 1],  // f1 f5 t1 → brushing; f3 → allow
            [1, 2, 0],  // f4 → brushing; f2 r1 → authority
            [1, 0, 2],  // b2 → brushing; b1 b3 → allow
        ])
        #expect(table.count("impersonate_authority", "brushing_rebate") == 1)
    }

    @Test func ruleFrequenciesRanksAndNeverHit() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        let rules = Dictionary(uniqueKeysWithValues: report.rules.map { ($0.id, $0) })
        #expect(Set(rules.keys) == ["brushing.core", "brushing.advance", "authority.safe_account", "common.genuine_warning"])

        let core = try #require(rules["brushing.core"])       // f1 f4 t1
        #expect(core.fraudHits == 3 && core.benignHits == 0 && core.unlabelledHits == 0)
        #expect(close(core.soRatio, 1) && close(core.fraudRate, 3.0 / 7) && close(core.benignRate, 0))
        #expect(close(core.rankScore, wilsonAllRight(3)))
        let advance = try #require(rules["brushing.advance"])  // f4 f5 | b2
        #expect(advance.fraudHits == 2 && advance.benignHits == 1)
        #expect(close(advance.soRatio, 2.0 / 3) && close(advance.benignRate, 1.0 / 3))
        // Wilson lower bound of 2 of 3 at z = 1.96, by the formula.
        let z = 1.959963984540054, n = 3.0, p = 2.0 / 3
        let expected = (p + z * z / (2 * n) - z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()) / (1 + z * z / n)
        #expect(close(advance.rankScore, expected))
        #expect(abs(advance.rankScore - 0.2077) < 0.0005)
        let safe = try #require(rules["authority.safe_account"])  // f2 r1 | u1
        #expect(safe.fraudHits == 2 && safe.benignHits == 0 && safe.unlabelledHits == 1)
        #expect(close(safe.rankScore, wilsonAllRight(2)))
        // A negative rule points the right way when it hits benign: b3, 1 of 1.
        let genuine = try #require(rules["common.genuine_warning"])
        #expect(genuine.fraudHits == 0 && genuine.benignHits == 1 && close(genuine.soRatio, 0))
        #expect(close(genuine.rankScore, wilsonAllRight(1)))

        // 3/(3+z²) ≈ 0.438 > 2/(2+z²) ≈ 0.342 > 0.2077 (2 of 3) > 1/(1+z²) ≈ 0.2065.
        #expect(report.rules.map(\.id) == ["brushing.core", "authority.safe_account", "brushing.advance", "common.genuine_warning"])
        #expect(report.rules.map(\.rank) == [1, 2, 3, 4])
        #expect(report.neverHit == ["authority.arrest"])
    }

    @Test func worstMissesAndFalsePositivesCarryTheirEvidence() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        #expect(report.missCount == 1 && report.worstMisses.map(\.item.id) == ["f3"])
        #expect(report.worstMisses[0].verdict.hits.isEmpty)
        #expect(report.falsePositiveCount == 1 && report.falsePositives.map(\.item.id) == ["b2"])
        let hit = try #require(report.falsePositives[0].verdict.hits.first)
        #expect(hit.ruleID == "brushing.advance")
        #expect(hit.evidence.map(\.text) == ["垫付"])
        #expect(hit.evidence.map(\.span) == [TextSpan(start: 0, end: 2)])

        var options = ReplayOptions()
        options.limit = 0
        let limited = try fixture.run(options: options).1.report
        #expect(limited.worstMisses.isEmpty && limited.missCount == 1)
    }

    @Test func histogramAndCurve() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        // Fraud scores 0 40 50 50 90 90 90, benign 0 0 40; the highest is 90: 1- and 2-point bins would
        // need more than 40 bins, 5-point bins need 19.
        #expect(report.histogram.width == 5)
        #expect(report.histogram.bins.count == 19)
        let nonEmpty = report.histogram.bins.filter { $0.fraud + $0.benign > 0 }
        #expect(nonEmpty == [
            .init(lower: 0, fraud: 1, benign: 2),
            .init(lower: 40, fraud: 1, benign: 1),
            .init(lower: 50, fraud: 2, benign: 0),
            .init(lower: 90, fraud: 3, benign: 0),
        ])

        #expect(report.curve.map(\.threshold) == [1, 41, 51, 91])
        #expect(report.curve.map(\.confusion) == [
            .init(truePositives: 6, falsePositives: 1, trueNegatives: 2, falseNegatives: 1),
            .init(truePositives: 5, falsePositives: 0, trueNegatives: 3, falseNegatives: 2),
            .init(truePositives: 3, falsePositives: 0, trueNegatives: 3, falseNegatives: 4),
            .init(truePositives: 0, falsePositives: 0, trueNegatives: 3, falseNegatives: 7),
        ])
    }

    @Test func thresholdAdvice() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        // Default targets: warn 1%, block 0.1%. Only thresholds above b2's 40 keep false positives at 0;
        // 41 keeps the most fraud (5 of 7: f5's 40 is lost).
        let advice = try fixture.run().1.report.advice
        #expect(advice.warn.threshold == 41 && close(advice.warn.target, 0.01))
        #expect(advice.warn.confusion == .init(truePositives: 5, falsePositives: 0, trueNegatives: 3, falseNegatives: 2))
        #expect(close(advice.warn.confusion.precision, 1) && close(advice.warn.confusion.recall, 5.0 / 7))
        #expect(advice.warn.current == 40)
        #expect(advice.warn.currentConfusion == .init(truePositives: 6, falsePositives: 1, trueNegatives: 2, falseNegatives: 1))
        #expect(advice.block.threshold == 41 && close(advice.block.target, 0.001))
        #expect(advice.block.current == 80)
        #expect(advice.block.currentConfusion == .init(truePositives: 3, falsePositives: 0, trueNegatives: 3, falseNegatives: 4))
        #expect(advice.table.map(\.target) == [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1])
        #expect(advice.table.allSatisfy { $0.threshold == 41 })

        // Tolerating one benign in three: any score flags (t = 1), catching 6 of 7 at precision 6/7.
        var options = ReplayOptions()
        options.targetFalsePositiveRate = 1.0 / 3
        options.targetBlockFalsePositiveRate = 0
        let loose = try fixture.run(options: options).1.report.advice
        #expect(loose.warn.threshold == 1)
        #expect(close(loose.warn.confusion.precision, 6.0 / 7) && close(loose.warn.confusion.recall, 6.0 / 7))
        #expect(loose.block.threshold == 41)

        // Ties: same recall → fewer false positives → lowest threshold.
        let analysis = ScoreAnalysis(fraudScores: [50, 90], benignScores: [40, 60])
        #expect(analysis.best(target: 0.5).threshold == 41)   // TP 2, FP 1 (60)
        #expect(analysis.best(target: 0).threshold == 61)     // TP 1, FP 0
        #expect(analysis.best(target: 1).threshold == 41)     // t = 1 has TP 2 but FP 2: 41 has fewer
        #expect(analysis.best(target: 0, minimum: 70).threshold == 70)
    }

    @Test func gate() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run().1.report
        #expect(ReplayGate(minRecall: 0.85, maxFalsePositiveRate: 0.34).failures(report).isEmpty)
        #expect(ReplayGate(minRecall: 0.9, maxFalsePositiveRate: 0.3).failures(report) == [
            "recall 0.8571 is under 0.9000", "false-positive rate 0.3333 is over 0.3000",
        ])
    }

    @Test func parallelScreeningKeepsOrderAndMatchesOneWorker() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let input = try Replay.read(paths: [fixture.corpusPath])
        let many = (0..<150).flatMap { _ in input.items }  // 1,650 items: several blocks of 256
        let ruleSet = try fixture.rules().ruleSet
        let (one, _) = ParallelScreening.screen(many, ruleSet: ruleSet, workers: 1)
        final class Calls: @unchecked Sendable { var seen: [Int] = [] }
        let calls = Calls()
        let (two, workers) = ParallelScreening.screen(many, ruleSet: ruleSet, workers: 2) { done, total in
            #expect(total == many.count)
            calls.seen.append(done)
        }
        #expect(workers == 2)
        #expect(one.map(\.score) == two.map(\.score))
        #expect(one.map { $0.category?.id } == two.map { $0.category?.id })
        #expect(calls.seen == calls.seen.sorted() && calls.seen.last == many.count)
    }
}
