import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `fraudscreen check --socket` and `fraudscreen bench` against the real daemon.
@Suite("fraudscreen against the daemon", .serialized, .timeLimit(.minutes(5)))
struct ClientCommandTests {
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try runTool(arguments) }

    @Test func checkAsksTheDaemon() throws {
        let (daemon, rules) = try startDaemon(); defer { daemon.stop() }
        let human = try run(["check", "--socket", daemon.socketPath, "请把钱转到安 全 账 户，客服电话13800138000"])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("BLOCK"))
        #expect(human.stdout.contains("authority.safe_account"))
        #expect(human.stdout.contains("公检法不会要求转账到安全账户"))
        #expect(human.stdout.contains("要素 entities: phone/mobile=13800138000"))  // asked for: hotline staff see them
        // The same report as in-process, highlighted text, scores and evidence sources included; only the last
        // line says which daemon answered.
        let text = "请把钱转到安 全 账 户，刷单有佣金，客服电话13800138000"
        let viaDaemon = try run(["check", "--socket", daemon.socketPath, text])
        let inProcess = try run(["check", "--rules", rules.path, text])
        #expect(inProcess.status == 0 && viaDaemon.status == 0, "\(inProcess.stderr) \(viaDaemon.stderr)")
        #expect(viaDaemon.stdout.split(separator: "\n").dropLast() == inProcess.stdout.split(separator: "\n").dropLast(),
                "\(viaDaemon.stdout)\n---\n\(inProcess.stdout)")
        #expect(viaDaemon.stdout.contains("原文 text") && viaDaemon.stdout.contains("[[安 全 账 户]]") && viaDaemon.stdout.contains(" keyword "))
        #expect(viaDaemon.stdout.split(separator: "\n").last?.contains("(daemon at \(daemon.socketPath),") == true)
        let both = try run(["check", "--socket", daemon.socketPath, "--rules", rules.path, "x"])
        #expect(both.status == 2 && both.stderr.contains("--rules and --socket"), "\(both.stderr)")
        let machine = try run(["check", "--socket", daemon.socketPath, "--json", "刷单就有佣金"])
        #expect(json(machine.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["verdict"] as? String == "warn")
        let missing = try run(["check", "--socket", daemon.directory.appendingPathComponent("nope.sock").path, "x"])
        #expect(missing.status == 2)
        // One line an operator can act on, in the system's words, not NIO's internal call.
        #expect(missing.stderr == "fraudscreen: cannot connect to \(daemon.directory.appendingPathComponent("nope.sock").path): "
            + "No such file or directory (is fraudscreend running, with this --socket?)\n", "\(missing.stderr)")
    }

    @Test func benchReportsThroughputAndPercentiles() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let corpus = daemon.directory.appendingPathComponent("corpus.jsonl")
        try """
        {"id": "a", "text": "刷单就有佣金", "label": "fraud"}
        {"id": "b", "text": "明天一起吃饭", "label": "benign"}
        """.write(to: corpus, atomically: true, encoding: .utf8)
        let closed = try run(["bench", "--socket", daemon.socketPath, "--connections", "4", "--pipeline", "4", "--duration", "1",
                              "--warmup", "0.2", "--corpus", corpus.path, "--json"])
        #expect(closed.status == 0, "\(closed.stderr)")
        let figures = json(closed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((figures["answered"] as? Int ?? 0) > 0)
        #expect(figures["errors"] as? Int == 0)
        #expect((figures["latency_us"] as? [String: Int])?["p99"] != nil)
        #expect(figures["send_delay_us"] == nil)  // closed loop has no schedule to be late for
        let open = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--rate", "200", "--duration", "1",
                            "--warmup", "0", "--corpus", corpus.path])
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout.contains("open loop"))
        #expect(open.stdout.contains("p999"))
        #expect(open.stdout.contains("send delay µs p50"), "\(open.stdout)")
        let openJSON = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--rate", "200", "--duration", "0.5",
                                "--warmup", "0", "--runs", "2", "--corpus", corpus.path, "--json"])
        let openFigures = json(openJSON.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let delay = openFigures["send_delay_us"] as? [String: Int], latency = openFigures["latency_us"] as? [String: Int]
        #expect(delay?["p50"] != nil && delay!["p99"]! <= latency!["p99"]!, "\(openJSON.stdout)")
        #expect((openFigures["per_run"] as? [[String: Any]] ?? []).allSatisfy { $0["send_delay_us"] is [String: Int] })

        // Several runs: every run's figures, and the medians at the top level where one run's figures are.
        let series = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "2", "--duration", "0.5",
                              "--warmup", "0.1", "--runs", "3", "--corpus", corpus.path, "--json"])
        #expect(series.status == 0, "\(series.stderr)")
        let summary = json(series.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let runs = summary["per_run"] as? [[String: Any]] ?? []
        #expect(summary["runs"] as? Int == 3 && runs.count == 3)
        let rates = runs.compactMap { $0["requests_per_s"] as? Int }.sorted()
        #expect(rates.count == 3 && rates.allSatisfy { $0 > 0 })
        #expect(summary["requests_per_s"] as? Int == rates[1])
        #expect(summary["answered"] as? Int == runs.compactMap { $0["answered"] as? Int }.reduce(0, +))
        let p99s = runs.compactMap { ($0["latency_us"] as? [String: Int])?["p99"] }.sorted()
        #expect((summary["latency_us"] as? [String: Int])?["p99"] == p99s[1])
        let text = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "2", "--duration", "0.5",
                            "--warmup", "0.1", "--runs", "2", "--corpus", corpus.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("run 2") && text.stdout.contains("median of 2 runs"))
        // Only the SMS-length messages: the long one is left out, and the header says how many are sent.
        let long = String(repeating: "刷单", count: 40)
        try ("""
        {"id": "a", "text": "刷单就有佣金", "label": "fraud"}
        {"id": "b", "text": "明天一起吃饭", "label": "benign"}
        {"id": "c", "text": "\(long)", "label": "fraud"}
        """).write(to: corpus, atomically: true, encoding: .utf8)
        let short = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "2", "--duration", "0.5",
                             "--warmup", "0.1", "--corpus", corpus.path, "--max-characters", "70"])
        #expect(short.status == 0 && short.stdout.contains("2 corpus messages of at most 70 characters"), "\(short.stdout)\(short.stderr)")
        let none = try run(["bench", "--socket", daemon.socketPath, "--corpus", corpus.path, "--max-characters", "3"])
        #expect(none.status != 0 && none.stderr.contains("no message of at most 3 characters"), "\(none.stderr)")
        let invalid = try run(["bench", "--socket", daemon.socketPath, "--runs", "0"])
        #expect(invalid.status != 0 && invalid.stderr.contains("--runs must be 1…100"))
        // Numbers that cannot be a schedule are refused in one line (NaN and infinity trapped, 1e12/s spun).
        for (option, value, message) in [("--rate", "nan", "--rate must be"), ("--rate", "1e12", "--rate must be"),
                                         ("--duration", "inf", "--duration must be"), ("--warmup", "-1", "--warmup must be"),
                                         ("--max-characters", "0", "--max-characters must be")] {
            let refused = try run(["bench", "--socket", daemon.socketPath, "\(option)=\(value)"])
            #expect(refused.status == 2 && refused.stderr.contains(message) && refused.stderr.split(separator: "\n").count == 1,
                    "\(option) \(value): \(refused.stderr)")
        }
    }

    @Test("bench fails, and says why, when the daemon refuses connections or stalls past the window")
    func benchDoesNotHideLostLoad() throws {
        let (daemon, _) = try startDaemon(["--max-connections", "2"]); defer { daemon.stop() }
        let corpus = daemon.directory.appendingPathComponent("corpus.jsonl")
        try #"{"id": "a", "text": "刷单就有佣金", "label": "fraud"}"#.write(to: corpus, atomically: true, encoding: .utf8)
        usleep(300_000)  // the start-up probe's connection leaves the count
        let refused = try run(["bench", "--socket", daemon.socketPath, "--connections", "4", "--pipeline", "1", "--duration", "0.5",
                               "--warmup", "0.2", "--corpus", corpus.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("2 connections were refused or closed by the daemon"), "\(refused.stderr)")
        #expect(refused.stdout.contains("2 connections LOST"))

        // The daemon stops for the last part of the window and past the grace period: the requests it never
        // answered are counted, not dropped from the figures.
        // Warm-up 1 s, window 2 s: stopped 1.9 s after the launch, in the window even if the tool takes most of a
        // second to start, and resumed well after the window's end plus the 2 s of grace.
        let stalled = DispatchQueue.global()
        stalled.asyncAfter(deadline: .now() + 1.9) { daemon.signal(SIGSTOP) }
        stalled.asyncAfter(deadline: .now() + 8) { daemon.signal(SIGCONT) }
        let open = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "16", "--rate", "400",
                            "--duration", "2", "--warmup", "1", "--corpus", corpus.path, "--json"])
        daemon.signal(SIGCONT)
        #expect(open.status == 1, "\(open.stderr)")
        #expect(open.stderr.contains("requests of the measured window were not answered within 2 s after it"), "\(open.stderr)")
        let figures = json(open.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // At most `pipeline` per connection wait for answers (32 here); the schedule skips the rest, and says so.
        #expect(figures["unanswered"] as? Int == 32 && (figures["skipped"] as? Int ?? 0) > 0, "\(figures)")
    }

    @Test func transactionsGoToTheDaemonAsTransactions() throws {
        let (daemon, rulesDirectory) = try startDaemon(); defer { daemon.stop() }
        let file = daemon.directory.appendingPathComponent("txn.json")
        try #"{"memo":"货款","amount":"12500.00","currency":"CNY","payer":{"account":"6222"},"payee":{"account":"6217","name":"李某","type":"personal"},"first_time_payee":true,"timestamp":"2026-11-29T02:13:00+08:00"}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let answer = try run(["check", "--socket", daemon.socketPath, "--json", "--transaction", file.path])
        #expect(answer.status == 0, "\(answer.stderr)")
        let rules = (json(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["hits"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(rules == ["txn.large_new_personal"])  // the payee type and amount reached the daemon's rules
        // The same report as in-process, the amount quoted as written, the transaction's own evidence included.
        let viaDaemon = try run(["check", "--socket", daemon.socketPath, "--transaction", file.path])
        let inProcess = try run(["check", "--rules", rulesDirectory.path, "--transaction", file.path])
        #expect(viaDaemon.stdout.split(separator: "\n").dropLast() == inProcess.stdout.split(separator: "\n").dropLast(),
                "\(viaDaemon.stdout)\n---\n\(inProcess.stdout)")
        #expect(viaDaemon.stdout.contains("amount[0..<8] transaction 「12500.00」") && viaDaemon.stdout.contains("交易 transaction:"))

        let corpus = daemon.directory.appendingPathComponent("transactions.jsonl")
        try (#"{"id":"t1","label":"fraud","transaction":"# + (try String(contentsOf: file, encoding: .utf8)) + "}\n")
            .write(to: corpus, atomically: true, encoding: .utf8)
        let bench = try run(["bench", "--socket", daemon.socketPath, "--connections", "2", "--pipeline", "2", "--duration", "1",
                             "--warmup", "0", "--corpus", corpus.path, "--json"])
        #expect(bench.status == 0, "\(bench.stderr)")
        let figures = json(bench.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((figures["answered"] as? Int ?? 0) > 0)
        #expect(figures["errors"] as? Int == 0)
    }
}
