import Foundation
import FraudScreenTestSupport
import Testing

@Suite("fraudscreen lint and replay, run as a process")
struct LintAndReplayTests {
    @Test func lintPassesACleanSet() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["lint", "--rules", rules.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("3 rules"))
        #expect(result.stdout.contains("all pass"))
    }

    @Test func lintReportsAFailingExample() throws {
        let broken = FixtureRules.rules.replacingOccurrences(of: "match: [先垫付本金]", with: "match: [先交保证金]")
        let rules = try FixtureRules(rules: broken); defer { rules.remove() }
        let result = try ToolProcess.run(["lint", "--rules", rules.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL rules.d/test.yaml:"))
        #expect(result.stdout.contains("rule brushing.advance: does not match its example \"先交保证金\""))
    }

    @Test func lintRejectsABrokenFileWithFileAndLine() throws {
        let broken = FixtureRules.rules.replacingOccurrences(of: "    score: 40\n", with: "    scroe: 40\n")
        let rules = try FixtureRules(rules: broken); defer { rules.remove() }
        let result = try ToolProcess.run(["lint", "--rules", rules.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("rules.d/test.yaml:"))
        #expect(result.stderr.contains("brushing.advance"))
        #expect(result.stderr.contains("unknown key 'scroe'"))
    }

    @Test func replayReportsKnownFigures() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let corpus = rules.directory.appendingPathComponent("corpus.jsonl")
        try """
        {"id":"f1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}
        {"id":"f2","text":"转到安全账户","label":"fraud","category":"impersonate_authority"}
        {"id":"f3","text":"你好","label":"fraud","category":"brushing_rebate"}
        {"id":"b1","text":"公检法不会要求转账到安全账户","label":"benign"}
        {"id":"b2","text":"垫付一下午饭钱","label":"benign"}
        not json
        {"id":"u1","text":"安全账户"}
        """.write(to: corpus, atomically: true, encoding: .utf8)
        let verdicts = rules.directory.appendingPathComponent("verdicts.jsonl")
        let result = try ToolProcess.run(["replay", "--rules", rules.path, "--verdicts", verdicts.path, corpus.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("corpus.jsonl:6: not a JSON object"))
        // TP f1, f2; FN f3; FP b2 (垫付 scores 40 = warn); TN b1.
        #expect(result.stdout.contains("items 6: fraud 3, benign 2, unlabelled 1"))
        #expect(result.stdout.contains("at warn     66.67%   66.67%   66.67%   50.00%     2     1     1     1"))
        // At block only f2 (90) is flagged: precision 1/1, recall 1/3.
        #expect(result.stdout.contains("at block   100.00%   33.33%   50.00%    0.00%     1     0     2     2"))
        let lines = try String(contentsOf: verdicts, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[1].contains("\"verdict\":\"block\""))

        let gate = try ToolProcess.run(["replay", "--rules", rules.path, "--fail-under-recall", "0.9", corpus.path])
        #expect(gate.status == 1)
        #expect(gate.stderr.contains("gate failed: recall 0.6667 is under 0.9000"))
    }

    @Test func replayJSONHTMLBaselineAndStrict() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        // The baseline lacks brushing.advance: b2 (垫付, 40) breaks, f3 (连单, 40) is fixed.
        let baselineText = FixtureRules.rules.replacingOccurrences(of: "keywords: {any: [垫付, 连单]}", with: "keywords: {any: [不存在的词]}")
        let baseline = try FixtureRules(rules: baselineText); defer { baseline.remove() }
        let corpus = rules.directory.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try """
        {"id":"f1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}
        {"id":"f3","text":"连单","label":"fraud","category":"brushing_rebate"}
        {"id":"b2","text":"垫付一下午饭钱","label":"benign"}
        {"id":"r1","message":{"text":"转到安全账户"},"label":"fraud","category":"impersonate_authority"}
        {"id":"t1","transaction":{"memo":"刷单佣金","payee":{"name":"李四"}},"label":"fraud","category":"brushing_rebate"}
        {"broken
        """.write(to: corpus.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let page = rules.directory.appendingPathComponent("report.html")

        let result = try ToolProcess.run(["replay", "--rules", rules.path, "--baseline-rules", baseline.path, "--json",
                                          "--html", page.path, corpus.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("a.jsonl:6: not a JSON object"))
        #expect(!result.stderr.contains("\u{1B}[2K"), "no progress bar when stderr is not a terminal")
        let root = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(root["schema"] as? String == "fraudscreen.replay/1")
        #expect((root["counts"] as? [String: Any])?["transactions"] as? Int == 1)
        let warn = try #require((root["metrics"] as? [String: Any])?["warn"] as? [String: Any])
        #expect(warn["tp"] as? Int == 4 && warn["fp"] as? Int == 1 && warn["tn"] as? Int == 0 && warn["fn"] as? Int == 0)
        let diff = try #require(root["diff"] as? [String: Any])
        #expect(diff["counts"] as? [String: Int] == ["broken": 1, "fixed": 1, "changed": 0])
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<svg id=\"score-histogram\"") && html.contains("<section id=\"diff\">"))

        let text = try ToolProcess.run(["replay", "--rules", rules.path, "--baseline-rules", baseline.path, corpus.path])
        #expect(text.status == 0)
        #expect(text.stdout.contains("changed items: 2 (broken 1, fixed 1, other 0)"))
        #expect(text.stdout.contains("threshold advice"))

        let strict = try ToolProcess.run(["replay", "--rules", rules.path, "--strict", corpus.path])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("1 malformed line(s) (--strict)"))

        let missing = try ToolProcess.run(["replay", "--rules", rules.path, rules.directory.appendingPathComponent("nope").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope: no such file or directory"))

        let badRate = try ToolProcess.run(["replay", "--rules", rules.path, "--max-false-positive-rate", "2", corpus.path])
        #expect(badRate.status == 2)
        #expect(badRate.stderr.contains("--max-false-positive-rate must be between 0 and 1"))

        let badBaseline = try ToolProcess.run(["replay", "--rules", rules.path, "--baseline-rules", corpus.path, corpus.path])
        #expect(badBaseline.status == 2)
        #expect(badBaseline.stderr.contains("baseline rule set rejected"))
    }

    @Test("--verdicts and --html write through the path they are given: a symlink's target, a FIFO; the mode is kept")
    func replayWritesThroughThePath() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let corpus = rules.directory.appendingPathComponent("corpus.jsonl")
        try #"{"id":"b1","text":"刷单有佣金，电话13812345678","label":"benign"}"#
            .write(to: corpus, atomically: true, encoding: .utf8)
        let target = rules.directory.appendingPathComponent("target.jsonl"), link = rules.directory.appendingPathComponent("out.link")
        try "old\n".write(to: target, atomically: true, encoding: .utf8)
        #expect(chmod(target.path, 0o640) == 0)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let fifo = rules.directory.appendingPathComponent("report.fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        final class Box: @unchecked Sendable { var data = Data() }
        let received = Box(), reader = DispatchGroup()
        reader.enter()
        onOwnThread {
            // Opening a FIFO for reading waits for the writer; end of file comes when replay closes it.
            if let handle = FileHandle(forReadingAtPath: fifo.path) { received.data = handle.readDataToEndOfFile() }
            reader.leave()
        }
        let result = try ToolProcess.run(["replay", "--rules", rules.path, "--json", "--verdicts", link.path, "--html", fifo.path, corpus.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(reader.wait(timeout: .now() + 30) == .success)
        #expect(String(decoding: received.data, as: UTF8.self).contains("<html"))
        let attributes = try FileManager.default.attributesOfItem(atPath: link.path)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink, "the link is still a link")
        let written = try String(contentsOf: target, encoding: .utf8)
        #expect(written.hasPrefix(#"{"id":"b1""#) && written.contains(#""verdict":"warn""#))
        // Replay's verdicts list the entities found, like `check --json`: an empty list would say there were none.
        let report = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let falsePositive = try #require(((report["false_positives"] as? [String: Any])?["items"] as? [[String: Any]])?.first)
        let entities = try #require((falsePositive["verdict"] as? [String: Any])?["entities"] as? [[String: Any]])
        #expect(entities.contains { $0["type"] as? String == "phone" && $0["value"] as? String == "13812345678" })
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int)
        #expect(mode == 0o640)
        // The new report replaced the old one whole (written beside it, then renamed): nothing is left over.
        #expect(try FileManager.default.contentsOfDirectory(atPath: rules.directory.path).allSatisfy { !$0.hasSuffix(".tmp") })
        let unwritable = try ToolProcess.run(["replay", "--rules", rules.path, "--verdicts", rules.directory.appendingPathComponent("no/such/dir").path, corpus.path])
        #expect(unwritable.status == 2 && unwritable.stderr.contains("no/such/dir: No such file or directory"))
    }

    @Test("the terminal report shows a corpus text's control characters escaped and marks evidence with [[ ]]")
    func replayEscapesControlCharacters() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let corpus = rules.directory.appendingPathComponent("corpus.jsonl")
        try #"{"id":"b1\u001b]0;pwned\u0007","text":"【招商银行】\u001b[2J\u001b[31m垫付一下午饭钱","label":"benign"}"#
            .write(to: corpus, atomically: true, encoding: .utf8)
        let result = try ToolProcess.run(["replay", "--rules", rules.path, corpus.path])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("\u{7}"))
        #expect(result.stdout.contains(#"b1\u{1B}]0;pwned\u{7}"#))
        #expect(result.stdout.contains(#"【招商银行】\u{1B}[2J\u{1B}[31m[[垫付]]一下午饭钱"#))
    }

    @Test("corpus mistakes are reported with file and line: repeated ids, unknown categories, UTF-16, an empty transaction; hidden files and directories are not read")
    func corpusMistakesAreReported() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let corpus = rules.directory.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus.appendingPathComponent("old.jsonl"), withIntermediateDirectories: true)
        try """
        {"id":"a1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}
        {"id":"a1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}
        {"id":"a2","text":"转到安全账户","label":"fraud","category":"made_up"}
        {"transaction":{}}
        """.write(to: corpus.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(#"{"id":"u1","text":"你好","label":"benign"}"#.data(using: .utf16LittleEndian)!)
        try utf16.write(to: corpus.appendingPathComponent("b.jsonl"))
        // Without a byte-order mark and all ASCII, UTF-16 is valid UTF-8 full of NULs: still not a corpus line.
        try #"{"id":"c1","text":"hello","label":"benign"}"#.data(using: .utf16LittleEndian)!.write(to: corpus.appendingPathComponent("c.jsonl"))
        try #"{"id":"h1","text":"你好","label":"benign"}"#.write(to: corpus.appendingPathComponent(".hidden.jsonl"), atomically: true, encoding: .utf8)

        let result = try ToolProcess.run(["replay", "--rules", rules.path, corpus.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("a.jsonl:2: duplicate id 'a1' (first at \(corpus.path)/a.jsonl:1)"), "\(result.stderr)")
        #expect(result.stderr.contains("a.jsonl:3: category 'made_up' is not a category of the rule set"))
        #expect(result.stderr.contains("a.jsonl:4: transaction has no text"))
        // Remarks of every kind come in line order.
        let order = ["a.jsonl:2:", "a.jsonl:3:", "a.jsonl:4:"].compactMap { result.stderr.range(of: $0)?.lowerBound }
        #expect(order.count == 3 && order == order.sorted(), "\(result.stderr)")
        #expect(result.stderr.contains("b.jsonl:1: not valid UTF-8") && result.stderr.contains("c.jsonl:1: not valid UTF-8"))
        #expect(!result.stderr.contains("hidden") && !result.stderr.contains("old.jsonl"), "\(result.stderr)")
        #expect(result.stdout.contains("items 2: fraud 2, benign 0"), "\(result.stdout)")

        let strict = try ToolProcess.run(["replay", "--rules", rules.path, "--strict", corpus.path])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("4 malformed line(s), 1 item(s) with an unknown category (--strict)"), "\(strict.stderr)")
    }

    @Test("a diff whose only change is the thresholds names it, and each flipped item says so")
    func thresholdOnlyDiff() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let baseline = try FixtureRules(); defer { baseline.remove() }
        try "thresholds: {warn: 60, block: 80}\n".write(to: baseline.directory.appendingPathComponent("ruleset.yaml"), atomically: true, encoding: .utf8)
        let corpus = rules.directory.appendingPathComponent("corpus.jsonl")
        try #"{"id":"f1","text":"刷单有佣金","label":"fraud","category":"brushing_rebate"}"#.write(to: corpus, atomically: true, encoding: .utf8)
        let result = try ToolProcess.run(["replay", "--rules", rules.path, "--baseline-rules", baseline.path, corpus.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("thresholds: warn 60 → 40"))
        #expect(result.stdout.contains("FIXED f1") && result.stdout.contains("hits (the same before and after; the thresholds changed)"), "\(result.stdout)")
    }
}
