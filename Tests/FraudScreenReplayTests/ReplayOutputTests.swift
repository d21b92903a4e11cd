import Foundation
import FraudScreenCore
import Testing
@testable import FraudScreenReplay

/// The baseline diff, the verdicts file and the three renderings.
@Suite("replay diff, verdicts file, JSON, text and HTML")
struct ReplayOutputTests {
    /// Baseline: no brushing.advance, plus greeting.hello (你好, +10). Against it the new set
    ///   breaks b2 (allow 0 → warn 40), fixes f5 (allow 0 → warn 40), and moves f4 from warn 50 to block 90;
    ///   f3 keeps allow (10 → 0).
    @Test func diffAgainstTheBaseline() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run(baseline: true).1.report
        let diff = try #require(report.diff)
        #expect(diff.changes.map(\.item.id) == ["b2", "f5", "f4"])
        #expect(diff.changes.map(\.kind) == [.broken, .fixed, .changed])
        #expect(diff.count(.broken) == 1 && diff.count(.fixed) == 1 && diff.count(.changed) == 1)
        let b2 = diff.changes[0]
        #expect(b2.before.decision == .allow && b2.before.hits.isEmpty)
        #expect(b2.after.decision == .warn && b2.after.hits.map(\.ruleID) == ["brushing.advance"])
        let f4 = diff.changes[2]
        #expect(f4.before.decision == .warn && f4.before.score == 50 && f4.after.decision == .block && f4.after.score == 90)
        #expect(f4.before.hits.map(\.ruleID) == ["brushing.core"])
        #expect(f4.after.hits.map(\.ruleID) == ["brushing.core", "brushing.advance"])

        #expect(diff.rules == [
            .init(id: "brushing.advance", status: .added, fraudBefore: 0, benignBefore: 0, fraudAfter: 2, benignAfter: 1, score: 40),
            .init(id: "greeting.hello", status: .removed, fraudBefore: 1, benignBefore: 0, fraudAfter: 0, benignAfter: 0, score: 10),
        ])

        // Baseline at warn: TP f1 f2 f4 r1 t1 = 5, FN f3 f5, no FP. At block: f2 r1.
        #expect(diff.baselineAtWarn == .init(truePositives: 5, falsePositives: 0, trueNegatives: 3, falseNegatives: 2))
        #expect(diff.baselineAtBlock == .init(truePositives: 2, falsePositives: 0, trueNegatives: 3, falseNegatives: 5))
        let metrics = Dictionary(uniqueKeysWithValues: diff.metrics.map { ($0.name, $0) })
        #expect(metrics.count == 8)
        #expect(close(metrics["recall_at_warn"]!.delta, 1.0 / 7))
        #expect(close(metrics["precision_at_warn"]!.delta, 6.0 / 7 - 1))
        #expect(close(metrics["false_positive_rate_at_warn"]!.delta, 1.0 / 3))
        #expect(close(metrics["recall_at_block"]!.before, 2.0 / 7) && close(metrics["recall_at_block"]!.after, 3.0 / 7))
        #expect(close(metrics["f1_at_warn"]!.before, 2 * (5.0 / 7) / (1 + 5.0 / 7)))
        // Only brushing recall moved: f1 t1 of 4 → f1 f5 t1 of 4.
        #expect(diff.categories == [.init(id: "brushing_rebate", name: "刷单返利", recallBefore: 0.5, recallAfter: 0.75)])
    }

    @Test func verdictsFileHasOneLinePerItemInOrder() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let (input, result) = try fixture.run()
        let text = String(decoding: VerdictsFile.render(items: input.items, verdicts: result.verdicts), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 11)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { $0["id"] as? String } == ["f1", "f2", "f3", "f4", "f5", "b1", "b2", "b3", "u1", "r1", "t1"])
        #expect(objects.map { $0["verdict"] as? String } == ["warn", "block", "allow", "block", "warn", "allow", "warn", "allow", "block", "block", "warn"])
        #expect(objects.map { $0["score"] as? Int } == [50, 90, 0, 90, 40, 0, 40, 0, 90, 90, 50])
        let f4 = objects[3]
        #expect(f4["category"] as? String == "brushing_rebate")
        #expect(f4["labelled_category"] as? String == "impersonate_authority")
        #expect(f4["label"] as? String == "fraud")
        #expect(f4["rules"] as? [String] == ["brushing.core", "brushing.advance"])
        #expect((f4["source"] as? String)?.hasSuffix("messages.jsonl:5") == true)
        #expect(objects[8]["label"] is NSNull)
        #expect(objects[2]["category"] is NSNull && objects[2]["rules"] as? [String] == [])
    }

    @Test func jsonReportFollowsTheSchema() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run(baseline: true).1.report
        let json = ReplayJSON.render(report)
        let root = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(root["schema"] as? String == "fraudscreen.replay/1")
        let counts = try #require(root["counts"] as? [String: Any])
        #expect(counts["total"] as? Int == 11 && counts["unlabelled"] as? Int == 1 && counts["malformed"] as? Int == 3)
        #expect((counts["decisions"] as? [String: Int]) == ["allow": 3, "warn": 4, "block": 4])
        let warn = try #require((root["metrics"] as? [String: Any])?["warn"] as? [String: Any])
        #expect(warn["tp"] as? Int == 6 && warn["fp"] as? Int == 1 && warn["tn"] as? Int == 2 && warn["fn"] as? Int == 1)
        #expect(close(try #require(warn["recall"] as? Double), 6.0 / 7))
        #expect(close(try #require(warn["false_positive_rate"] as? Double), 1.0 / 3))
        let categories = try #require(root["categories"] as? [[String: Any]])
        #expect(categories.map { $0["id"] as? String } == ["brushing_rebate", "impersonate_authority"])
        #expect(close(try #require(categories[0]["recall"] as? Double), 0.75))
        let confusion = try #require(root["category_confusion"] as? [String: Any])
        #expect(confusion["counts"] as? [[Int]] == [[3, 0, 1], [1, 2, 0], [1, 0, 2]])
        let rules = try #require(root["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["brushing.core", "authority.safe_account", "brushing.advance", "common.genuine_warning"])
        #expect(rules[2]["fraud_hits"] as? Int == 2 && rules[2]["benign_hits"] as? Int == 1 && rules[2]["rank"] as? Int == 3)
        #expect(root["never_hit"] as? [String] == ["authority.arrest"])
        let fps = try #require(root["false_positives"] as? [String: Any])
        #expect(fps["count"] as? Int == 1)
        let fp = try #require((fps["items"] as? [[String: Any]])?.first)
        #expect(fp["id"] as? String == "b2" && fp["text"] as? String == "垫付一下<午饭>钱")
        let hits = try #require((fp["verdict"] as? [String: Any])?["hits"] as? [[String: Any]])
        #expect(hits.first?["rule"] as? String == "brushing.advance")
        #expect((hits.first?["evidence"] as? [[String: Any]])?.first?["text"] as? String == "垫付")
        let histogram = try #require(root["histogram"] as? [String: Any])
        #expect(histogram["bin_width"] as? Int == 5 && (histogram["bins"] as? [Any])?.count == 19)
        #expect((root["curve"] as? [[String: Any]])?.map { $0["threshold"] as? Int } == [1, 41, 51, 91])
        let advice = try #require(root["advice"] as? [String: Any])
        #expect((advice["warn"] as? [String: Any])?["threshold"] as? Int == 41)
        #expect(((advice["block"] as? [String: Any])?["current"] as? [String: Any])?["threshold"] as? Int == 80)
        let malformed = try #require(root["malformed"] as? [[String: Any]])
        #expect(malformed.map { $0["line"] as? Int } == [4, 7, 12])
        let diff = try #require(root["diff"] as? [String: Any])
        #expect(diff["counts"] as? [String: Int] == ["fixed": 1, "broken": 1, "changed": 1])
        let changes = try #require(diff["changes"] as? [[String: Any]])
        #expect(changes.map { $0["id"] as? String } == ["b2", "f5", "f4"])
        // The change and the item's kind are two keys (one key "kind" twice lost the change to every parser).
        #expect(changes.map { $0["change"] as? String } == ["broken", "fixed", "changed"])
        #expect(changes.map { $0["kind"] as? String } == ["message", "message", "message"])
        #expect((changes[0]["before"] as? [String: Any])?["verdict"] as? String == "allow")
        #expect((changes[0]["after"] as? [String: Any])?["verdict"] as? String == "warn")
        #expect((diff["rules"] as? [[String: Any]])?.map { $0["status"] as? String } == ["added", "removed"])
        #expect((diff["metrics"] as? [[String: Any]])?.count == 8)

        let plain = try #require(JSONSerialization.jsonObject(with: Data(ReplayJSON.render(try fixture.run().1.report).utf8)) as? [String: Any])
        #expect(plain["diff"] is NSNull)
    }

    @Test func terminalReport() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let text = ReplayText(report: try fixture.run(baseline: true).1.report).render()
        #expect(text.contains("items 11: fraud 7, benign 3, unlabelled 1"))
        #expect(text.contains("messages 10, transactions 1, files 3, malformed lines 3; decisions: allow 3, warn 4, block 4"))
        #expect(text.contains("  at warn     85.71%   85.71%   85.71%   33.33%     6     1     2     1"))
        #expect(text.contains("  at block   100.00%   42.86%   60.00%    0.00%     3     0     3     4"))
        #expect(text.contains("  brushing_rebate             75.00%     0.00%      75.00%         3/4"))
        #expect(text.contains("rules that never hit: 1 — authority.arrest"))
        #expect(text.contains("b2  warn 40 brushing_rebate"))
        #expect(text.contains("[[垫付]]一下<午饭>钱"))
        #expect(text.contains("+40 brushing.advance 「垫付」"))
        #expect(text.contains("warn  for FP rate ≤ 1.00%: t = 41  precision 100.00%, recall 71.43%, FP rate 0.00%"))
        #expect(text.contains("changed items: 3 (broken 1, fixed 1, other 1)"))
        #expect(text.contains("BROKEN b2 (benign)  allow 0 → warn 40 brushing_rebate"))
        #expect(text.contains("brushing.advance                     fraud 0 → 2 (+2)   benign 0 → 1 (+1)   [added]"))
        #expect(text.contains("recall at warn"))
        #expect(!text.contains("\u{1B}["))
        #expect(ReplayText(report: try fixture.run().1.report, colour: true).render().contains("\u{1B}[1m"))
    }

    @Test func htmlIsSelfContainedAndEscaped() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let html = ReplayHTML(report: try fixture.run(baseline: true).1.report).render()
        for id in ["summary", "category-recall-chart", "score-histogram", "pr-curve", "rule-table", "category-confusion",
                   "advice-table", "never-hit", "misses", "false-positives", "diff", "rule-delta-table", "malformed"] {
            #expect(html.contains("id=\"\(id)\""), "missing #\(id)")
        }
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
        #expect(html.contains("垫付</mark>一下&lt;午饭&gt;钱"))
        #expect(!html.contains("<午饭>"))
        #expect(html.components(separatedBy: "class=\"category-bar\"").count == 3)
        #expect(html.contains("data-threshold=\"40\"") && html.contains("data-threshold=\"80\"") && html.contains("data-threshold=\"41\""))
        let noDiff = ReplayHTML(report: try fixture.run().1.report).render()
        #expect(!noDiff.contains("id=\"diff\""))
    }

    @Test("a change of a category's own thresholds is named in the diff, not only the rule set's")
    func categoryThresholdChanges() {
        func info(_ warn: Int, _ own: [(String, Thresholds)]) -> ReplayReport.RuleSetInfo {
            ReplayReport.RuleSetInfo(directory: "r", version: "v", ruleCount: 1, thresholds: Thresholds(warn: warn, block: 80), categoryThresholds: own)
        }
        #expect(ReplayDiff.thresholdChange(info(40, []), info(40, [])) == nil)
        #expect(ReplayDiff.thresholdChange(info(40, []), info(40, [("romance_scam", Thresholds(warn: 20, block: 60))]))
            == "thresholds: romance_scam (now its own): warn 40 → 20, block 80 → 60")
        #expect(ReplayDiff.thresholdChange(info(45, [("a", Thresholds(warn: 30, block: 80))]), info(40, [("a", Thresholds(warn: 30, block: 70))]))
            == "thresholds: warn 45 → 40; a: block 80 → 70")
        #expect(ReplayDiff.thresholdChange(info(40, [("a", Thresholds(warn: 30, block: 80))]), info(40, []))
            == "thresholds: a (now the rule set's): warn 30 → 40")
    }
}
