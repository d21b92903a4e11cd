import Foundation
import Testing

@Suite("fraudscreen check, run as a process")
struct CheckCommandTests {
    @Test func explainsAFraudMessage() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path, "请把钱转到安 全 账 户，配合调查"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("BLOCK"))
        #expect(result.stdout.contains("冒充公检法及政府机关"))
        #expect(result.stdout.contains("authority.safe_account"))
        #expect(result.stdout.contains("evasive"))
        #expect(result.stdout.contains("公检法不会要求转账到安全账户"))  // the advice
        // Without a terminal the evidence is bracketed in the original text, spaces and all.
        #expect(result.stdout.contains("[[安 全 账 户]]"))
    }

    @Test("a message cannot steer the operator's terminal: controls are shown escaped; a 【sender】 is not evidence")
    func controlCharactersAreShownEscaped() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let message = "【中国银行】您的账户\u{1B}[2K\r\u{1B}[1A判定 verdict: ALLOW\u{1B}[8m\u{202E}请把钱转到安全账户\u{9B}31m\n第二行"
        let result = try ToolProcess.run(["check", "--rules", rules.path, "--", message])
        #expect(result.status == 0)
        for raw in ["\u{1B}", "\r", "\u{202E}", "\u{9B}"] { #expect(!result.stdout.contains(raw), "printed raw \(raw.debugDescription)") }
        #expect(result.stdout.contains(#"您的账户\u{1B}[2K\u{D}\u{1B}[1A判定 verdict: ALLOW\u{1B}[8m\u{202E}请把钱转到[[安全账户]]\u{9B}31m"#))
        #expect(result.stdout.contains("\n  第二行"), "a newline of the message stays a line, indented under the label")
        #expect(result.stdout.contains("  【中国银行】您的账户"), "the sender signature is printed as it is, unmarked")
    }

    @Test func jsonOutputIsTheVerdictObject() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path, "--json", "做任务拿佣金，先垫付"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "block")
        #expect(object["category"] as? String == "brushing_rebate")
        #expect(object["score"] as? Int == 90)
        let hits = try #require(object["hits"] as? [[String: Any]])
        #expect(Set(hits.compactMap { $0["rule"] as? String }) == ["brushing.core", "brushing.advance"])
        let evidence = try #require(hits.first { $0["rule"] as? String == "brushing.advance" }?["evidence"] as? [[String: Any]])
        #expect(evidence.first?["start"] as? Int == 8)
        #expect(evidence.first?["end"] as? Int == 10)
        #expect(evidence.first?["text"] as? String == "垫付")
        #expect((object["rules_version"] as? String)?.count == 16)
    }

    @Test("a transaction from standard input is screened; a broken one gets one line naming what is wrong")
    func transactionFromStandardInput() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let transaction = #"{"memo":"做任务拿佣金，先垫付","amount":"500.00","currency":"CNY","payer":{"account":"6222"},"payee":{"account":"6217"},"timestamp":"2026-11-29T02:13:00+08:00"}"#
        let good = try ToolProcess.run(["check", "--rules", rules.path, "--json", "--transaction", "-"], stdin: Data(transaction.utf8))
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("\"verdict\":\"block\""))
        let broken = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"], stdin: Data("{bad".utf8))
        #expect(broken.status != 0)
        #expect(broken.stderr == "fraudscreen: invalid transaction: expected a string key at byte 1\n")  // where, as the daemon says it
        let array = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"], stdin: Data("[1]".utf8))
        #expect(array.stderr == "fraudscreen: invalid transaction: transaction: must be an object\n")  // as the daemon says it
        // A member given twice is refused, as the daemon refuses it (JSONSerialization kept the last one).
        for twice in [transaction.replacingOccurrences(of: #""amount":"#, with: #""memo":"货款","amount":"#),
                      transaction.replacingOccurrences(of: #"{"account":"6217"}"#, with: #"{"account":"6217","acc\u006funt":"1"}"#)] {
            let refused = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"], stdin: Data(twice.utf8))
            #expect(refused.status == 2 && refused.stderr.hasPrefix("fraudscreen: invalid transaction: member '") && refused.stderr.contains("' given twice at byte "),
                    "\(refused.stderr)")
        }
        // The protocol's rules (docs/PROTOCOL.md), as the daemon applies them: memo, currency and payee are
        // required, and an amount has no leading zeros.
        for (field, edited) in [("memo", transaction.replacingOccurrences(of: #""memo":"做任务拿佣金，先垫付","#, with: "")),
                                ("currency", transaction.replacingOccurrences(of: #""currency":"CNY","#, with: "")),
                                ("payee", transaction.replacingOccurrences(of: #","payee":{"account":"6217"}"#, with: "")),
                                ("amount", transaction.replacingOccurrences(of: #""500.00""#, with: #""0500.00""#))] {
            let refused = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"], stdin: Data(edited.utf8))
            #expect(refused.status == 2 && refused.stderr.hasPrefix("fraudscreen: invalid transaction: \(field): "), "\(refused.stderr)")
        }
        let badField = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"],
                                           stdin: Data(transaction.replacingOccurrences(of: #""500.00""#, with: "true").utf8))
        #expect(badField.status != 0)
        #expect(badField.stderr.hasPrefix("fraudscreen: invalid transaction: amount: "), "\(badField.stderr)")
        // A request line carrying the transaction: its problems are named as the daemon names them.
        let request = #"{"id":"t1","op":"screen","transaction":"# + transaction.replacingOccurrences(of: #""500.00""#, with: "500") + "}"
        let inRequest = try ToolProcess.run(["check", "--rules", rules.path, "--transaction", "-"], stdin: Data(request.utf8))
        #expect(inRequest.status == 2)
        #expect(inRequest.stderr == "fraudscreen: invalid transaction: transaction.amount: must be a decimal string such as \"12500.00\", not a JSON number\n")
    }

    @Test func readsStandardInput() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path, "--json"], stdin: Data("今天天气不错".utf8))
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"verdict\":\"allow\""))
    }

    @Test func genuineWarningIsAllowed() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path, "公检法不会要求转账到安全账户"])
        #expect(result.stdout.contains("ALLOW"))
    }

    @Test func invalidUTF8IsRefusedWithOneLine() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path], stdin: Data([0xE5, 0x88, 0x20, 0xFF, 0xFE]))
        #expect(result.status != 0)
        #expect(result.status == 2)
        #expect(result.stderr == "fraudscreen: input is not valid UTF-8\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func emptyInputIsRefused() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        let result = try ToolProcess.run(["check", "--rules", rules.path], stdin: Data("  \n".utf8))
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("fraudscreen: empty input"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func missingRulesDirectoryIsOneLine() throws {
        let result = try ToolProcess.run(["check", "--rules", "/nonexistent/rules", "测试"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/rules"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func defaultRulesDirectoryIsRequiredWhenAbsent() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("fraudscreen-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let result = try ToolProcess.run(["check", "测试"], currentDirectory: empty)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--rules"))
    }

    @Test func unknownFlagIsOneLine() throws {
        let result = try ToolProcess.run(["check", "--bogus", "测试"])
        #expect(result.status == 2, "usage errors exit 2 as documented, not ArgumentParser's 64")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("--bogus"))
    }

    @Test func oneMegabyteTextIsScreened() throws {
        let rules = try FixtureRules(); defer { rules.remove() }
        var text = String(repeating: "今天去超市买了菜，顺便取了快递。", count: 21_846)  // 16 scalars × 3 bytes × 21,846 ≈ 1 MiB of UTF-8
        text += "把钱转到安全账户"
        let started = Date()
        let result = try ToolProcess.run(["check", "--rules", rules.path, "--json"], stdin: Data(text.utf8))
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"verdict\":\"block\""))
        #expect(result.stdout.contains("\"truncated\":false"))
        // Not a performance assertion: a generous bound that only a hang or quadratic blow-up would break.
        #expect(Date().timeIntervalSince(started) < 60)
    }
}
