import FraudScreenClient
import Foundation
import FraudScreenTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Starts a daemon on a temporary socket with the small test rule set.
func startDaemon(_ extra: [String] = [], reports: Bool = true) throws -> (DaemonProcess, TestRules) {
    let daemon = try DaemonProcess()
    let rules = try TestRules(in: daemon.directory)
    var arguments = ["--socket", daemon.socketPath, "--rules", rules.path, "--log-level", "debug"]
    if reports { arguments += ["--reports-dir", daemon.reportsDirectory] }
    do {
        try daemon.start(arguments + extra)
    } catch {
        daemon.stop()
        throw error
    }
    return (daemon, rules)
}

/// The protocol against the real daemon process over a real socket.
@Suite("fraudscreend protocol", .serialized, .timeLimit(.minutes(5)))
struct DaemonProtocolTests {
    @Test func pipelinedAnswersComeBackInOrder() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        var batch = ""
        var expected: [String] = []
        for i in 0..<300 {
            let id = "q\(i)"
            expected.append(id)
            switch i % 6 {
            case 0: batch += #"{"id":"\#(id)","op":"report","message":{"text":"刷单返利第\#(i)单"},"reporter":"hotline-07","label":"fraud"}"# + "\n"
            case 1: batch += #"{"id":"\#(id)","op":"ping"}"# + "\n"
            case 2: batch += #"{"id":"\#(id)","op":"stats"}"# + "\n"
            case 3: batch += #"{"id":"\#(id)","op":"bogus"}"# + "\n"
            default: batch += #"{"id":"\#(id)","op":"screen","message":{"text":"请把钱转到安全账户 \#(i)"}}"# + "\n"
            }
        }
        try socket.send(batch)  // one write: the daemon sees them pipelined
        var ids: [String] = []
        for _ in expected { ids.append(json(try socket.readLine())["id"] as? String ?? "?") }
        #expect(ids == expected)
        #expect(errorCode(try socket.request(#"{"id":"after","op":"ping"}"#)) == nil)
    }

    @Test("a client that shuts down its sending side gets every answer, in order, then the daemon closes")
    func halfClosedClientsGetEveryAnswer() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        // One request (`echo … | socat`), fewer than a batch, more than a batch (the rest is screened in a later
        // turn of the loop), and a slow report among them (answered after its fsync).
        for count in [1, 5, 40, 300] {
            let socket = try daemon.connect(); defer { socket.close() }
            var lines = ""
            for i in 0..<count {
                lines += i == count / 2 && count > 1
                    ? #"{"id":"h\#(i)","op":"report","message":{"text":"刷单返利"},"reporter":"hotline-07","label":"fraud"}"# + "\n"
                    : #"{"id":"h\#(i)","op":"screen","message":{"text":"请把钱转到安全账户"}}"# + "\n"
            }
            try socket.send(lines)
            socket.shutdownSending()
            let answers = try socket.readUntilClosed()  // returns only once the daemon has closed
            #expect(answers.map { json($0)["id"] as? String ?? "?" } == (0..<count).map { "h\($0)" }, "\(count) requests")
            #expect(answers.allSatisfy { errorCode($0) == nil })
        }
        // The end of the stream ends a last line that has no newline; a partial line past an oversized one does not
        // become a request.
        let unterminated = try daemon.connect(); defer { unterminated.close() }
        try unterminated.send(#"{"id":"first","op":"ping"}"# + "\n" + #"{"id":"last","op":"ping"}"#)
        unterminated.shutdownSending()
        #expect(try unterminated.readUntilClosed().map { json($0)["id"] as? String ?? "?" } == ["first", "last"])
        let oversized = try daemon.connect(); defer { oversized.close() }
        try oversized.send([UInt8](repeating: 0x61, count: 70_000))
        oversized.shutdownSending()
        #expect(try oversized.readUntilClosed().map { errorCode($0) } == ["too_large"])
        // The daemon kept serving.
        let after = try daemon.connect(); defer { after.close() }
        #expect(errorCode(try after.request(#"{"id":"after","op":"ping"}"#)) == nil)
    }

    @Test("large answers to pipelined requests: each exactly once and in order, at any reading pace, half-closed or not")
    func largeAnswersExactlyOnceInOrder() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        // About 4 KB an answer (entities listed): 400 of them pass the connection's 64 KiB high-water mark many times over, so
        // the channel turns unwritable and writable again while answers are flushed.
        let count = 400
        let lines = DaemonProcess.largeAnswerRequests(count)
        for (halfClose, pause) in [(true, 0 as useconds_t), (false, 0), (true, 2_000), (false, 2_000)] {
            let socket = try daemon.connect(); defer { socket.close() }
            let sent = DispatchSemaphore(value: 0)
            onOwnThread {
                try? socket.send(lines)
                if halfClose { socket.shutdownSending() }
                sent.signal()
            }
            var ids: [Int] = []
            for _ in 0..<count {
                ids.append(json(try socket.readLine(timeout: 60))["id"] as? Int ?? -1)
                if pause > 0 { usleep(pause) }
            }
            sent.wait()
            #expect(ids == Array(0..<count), "half-closed \(halfClose), pause \(pause) µs")
            if halfClose {
                #expect(try socket.readUntilClosed(timeout: 30).isEmpty, "nothing after the last answer, then closed")
            } else {
                #expect(throws: (any Error).self, "no answer beyond the requests") { try socket.readLine(timeout: 1) }
            }
        }
    }

    @Test("socat, as the README uses it, gets exactly one answer per request, in order",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"), "needs socat (apt-get install socat)"))
    func socatGetsEachAnswerOnce() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        // socat writes and reads 8 KB at a time: with answers piling up past the high-water mark, a flush could
        // turn the channel writable again from inside itself, and the answers of that flush went out twice
        // (1,064 answers to 1,000 requests in one run out of three).
        let input = daemon.directory.appendingPathComponent("requests.jsonl")
        try (0..<1_000).map { #"{"id":\#($0),"op":"screen","message":{"text":"您好，我是公安局的，您涉嫌洗钱，请把资金转到安 全 账 户配合调查"}}"# + "\n" }
            .joined().write(to: input, atomically: true, encoding: .utf8)
        for round in 0..<5 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
            process.arguments = ["-t", "5", "-", "UNIX-CONNECT:\(daemon.socketPath)"]
            process.standardInput = try FileHandle(forReadingFrom: input)
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let ids = String(decoding: data, as: UTF8.self).split(separator: "\n").map { json(String($0))["id"] as? Int ?? -1 }
            #expect(ids == Array(0..<1_000), "round \(round): \(ids.count) answers")
        }
    }

    @Test("log lines name each connection by its own number")
    func connectionsAreNumberedInTheLog() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        for _ in 0..<3 {
            let socket = try daemon.connect()
            _ = try socket.request(#"{"id":"p","op":"ping"}"#)
            socket.close()
            usleep(50_000)
        }
        #expect(daemon.logEventually(contains: "connection=4 "))
        let opened = daemon.log.split(separator: "\n").filter { $0.contains("connection opened") }
        let numbers = opened.compactMap { $0.split(separator: " ").first { $0.hasPrefix("connection=") } }
        #expect(Set(numbers).count == opened.count && opened.count >= 4, "\(opened)")
    }

    @Test("a connection that sends half a request and stops is closed at the idle timeout; its slot is free again")
    func idleTimeoutClosesAnUnfinishedLine() throws {
        let (daemon, _) = try startDaemon(["--idle-timeout", "1", "--max-connections", "2"]); defer { daemon.stop() }
        usleep(300_000)  // the start-up ping's connection leaves the count
        let stalled = try (0..<2).map { _ in try daemon.connect() }
        defer { stalled.forEach { $0.close() } }
        for socket in stalled { try socket.send(#"{"id":"#) }
        for socket in stalled { #expect(try socket.readUntilClosed(timeout: 15).isEmpty) }
        let next = try daemon.connect(); defer { next.close() }
        #expect(json(try next.request(#"{"id":"n","op":"ping"}"#))["ok"] as? Bool == true)
    }

    @Test("a line trickled a byte at a time is closed once it has been unfinished for the idle timeout")
    func tricklingALineDoesNotHoldASlot() throws {
        let (daemon, _) = try startDaemon(["--idle-timeout", "1"]); defer { daemon.stop() }
        let trickler = try daemon.connect(); defer { trickler.close() }
        // A request that takes 600 ms to arrive is answered: slow is not trickling.
        for byte in Array(#"{"id":"slow","op":"ping"}"#.utf8).chunked(by: 4) { try trickler.send(byte); usleep(25_000) }
        try trickler.send("\n")
        #expect(json(try trickler.readLine(timeout: 10))["id"] as? String == "slow")
        // One byte every 0.4 s, always active, never a line: closed within a few seconds, not kept for good.
        let started = Date()
        var closed = false
        for byte in Array(String(repeating: "x", count: 40).utf8) {
            if (try? trickler.send([byte])) == nil { closed = true; break }
            usleep(400_000)
            if Date().timeIntervalSince(started) > 3.5, (try? trickler.readUntilClosed(timeout: 0.2)) != nil { closed = true; break }
        }
        #expect(closed && Date().timeIntervalSince(started) < 10, "still open after \(Date().timeIntervalSince(started)) s")
        #expect(daemon.logEventually(contains: "line stayed unfinished for the idle timeout"))
    }

    @Test("a client that stops reading its answers is closed at the idle timeout, and the log says why")
    func idleTimeoutClosesAClientThatStoppedReading() throws {
        let (daemon, _) = try startDaemon(["--idle-timeout", "1"]); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let lines = DaemonProcess.largeAnswerRequests(2_000)
        onOwnThread { try? socket.send(lines) }  // blocks once the daemon holds back; never read
        #expect(daemon.logEventually(contains: "closing a connection whose client stopped reading its answers", timeout: 20))
    }

    @Test("a line of exactly max_line_bytes ending in \\r\\n is accepted however its bytes arrive")
    func crlfLineAtTheLimitAcrossReads() throws {
        let (daemon, _) = try startDaemon(["--max-line-bytes", "1024"]); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let head = #"{"id":"edge","op":"ping","pad":""#, tail = #""}"#
        let line = Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1024 - head.utf8.count - tail.utf8.count) + Array(tail.utf8)
        #expect(line.count == 1024)
        try socket.send(line + [0x0D])
        usleep(200_000)  // the daemon reads the line and its \r before the \n comes
        try socket.send([0x0A])
        let answer = try socket.readLine()
        #expect(errorCode(answer) == nil, "\(answer)")
        #expect(json(answer)["id"] as? String == "edge")
    }

    @Test func verdictAnswerHasTheDocumentedMembers() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let answer = json(try socket.request(#"{"id":"m1","op":"screen","message":{"text":"您涉嫌洗钱，请把钱转到安 全 账 户","channel":"sms","sender":"+8613800000000"}}"#))
        #expect(answer["id"] as? String == "m1")
        #expect(answer["verdict"] as? String == "block")
        #expect(answer["score"] as? Int == 90)
        #expect(answer["category"] as? String == "impersonate_authority")
        #expect(answer["category_name"] as? String == "冒充公检法及政府机关")
        #expect((answer["category_scores"] as? [String: Int])?["impersonate_authority"] == 90)
        #expect(answer["advice"] as? String == "公检法不会要求转账到安全账户。")
        #expect((answer["rules_version"] as? String)?.count == 16)
        #expect(answer["elapsed_us"] is Int)
        let hit = (answer["hits"] as? [[String: Any]])?.first
        #expect(hit?["rule"] as? String == "authority.safe_account")
        let evidence = (hit?["evidence"] as? [[String: Any]])?.first
        #expect(evidence?["field"] as? String == "text")
        #expect(evidence?["start"] as? Int == 11 && evidence?["end"] as? Int == 18)  // Unicode scalars of the original
        #expect(evidence?["text"] as? String == "安 全 账 户")
    }

    @Test func entitiesAreListedWhenTheRequestAsks() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let text = "点击 http://t.cn/abc 领取，客服电话13800138000"
        func entities(_ extra: String) throws -> [[String: Any]]? {
            json(try socket.request(#"{"id":"e","op":"screen","message":{"text":"\#(text)"}\#(extra)}"#))["entities"] as? [[String: Any]]
        }
        let listed = try entities(#","entities":true"#)
        #expect(listed?.map { $0["type"] as? String } == ["url", "phone"])
        let phone = listed?.last
        #expect(phone?["value"] as? String == "13800138000" && phone?["kind"] as? String == "mobile")
        #expect(phone?["start"] as? Int == 26 && phone?["end"] as? Int == 37)  // Unicode scalars of the original
        // Not asked (and asked for a request before, on the same loop's screener): none listed.
        #expect(try entities("")?.isEmpty == true)
        #expect(try entities(#","entities":false"#)?.isEmpty == true)
        // An amount past any integer type is listed exactly, and the daemon lives on (it used to trap).
        let huge = json(try socket.request(#"{"id":"h","op":"screen","message":{"text":"转账999999999999999亿元"},"entities":true}"#))
        #expect((huge["entities"] as? [[String: Any]])?.first?["value"] as? String == "99999999999999900000000")
        #expect(errorCode(try socket.request(#"{"id":"after","op":"ping"}"#)) == nil)
    }

    @Test("thousands of random requests, odd numbers and dates included: every one answered, the daemon alive")
    func randomRequestsAreAllAnswered() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        // A fixed-seed generator (SplitMix64), so a failure replays.
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        func pick(_ items: [String]) -> String { items[next(items.count)] }
        let pieces = ["0", "9", "99999999999999999999", ".", "-", "+", "万", "亿", "元", "¥", "http://a.b", "13800138000",
                      "0086", "转账", "安全账户", #"\""#, " ", "null", "[]", "{}", #"\u0000"#]
        func text() -> String { (0..<next(30)).map { _ in pick(pieces) }.joined() }
        let amounts = ["12500.00", "0", "00", "1e5", "-1", "999999999999999.99", "99999999999999999999", "1.001", "", "1."]
        let timestamps = ["2026-11-29T02:13:00+08:00", "2026-02-30T00:00:00Z", "9999-12-31T23:59:59+14:00", "0000-01-01T00:00:00Z",
                          "2026-11-29T25:61:61Z", "2026-11-29T02:13:00+99:99", "99999999999-01-01T00:00:00Z",
                          "2026-11-29T02:13:00.99999999999999999999Z"]
        for batch in 0..<20 {
            var lines = ""
            for i in 0..<100 {
                let id = batch * 100 + i
                switch next(3) {
                case 0:
                    lines += #"{"id":\#(id),"op":"screen","message":{"text":"\#(text())"},"entities":true}"#
                case 1:
                    lines += #"{"id":\#(id),"op":"screen","transaction":{"memo":"\#(text())","amount":"\#(pick(amounts))","#
                        + #""currency":"CNY","payee":{"name":"\#(text())"},"timestamp":"\#(pick(timestamps))"},"entities":true}"#
                default:
                    lines += "x" + text()
                }
                lines += "\n"
            }
            try socket.send(lines)
            for _ in 0..<100 { _ = try socket.readLine(timeout: 10) }
        }
        #expect(errorCode(try socket.request(#"{"id":"after","op":"ping"}"#)) == nil)
    }

    @Test func everyErrorCodeFromRealInputAndTheConnectionSurvives() throws {
        let (daemon, _) = try startDaemon(["--max-line-bytes", "65536"]); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        func expectAlive() throws {
            #expect(json(try socket.request(#"{"id":"alive","op":"ping"}"#))["ok"] as? Bool == true)
        }
        let cases: [(bytes: [UInt8], code: String, id: String?)] = [
            (Array(#"{"id":"j","op":"screen","message":{"text":"x"}"#.utf8), "invalid_json", "j"),
            (Array("not json at all".utf8), "invalid_json", nil),
            // A member given twice, however spelled: two parsers could each read a different one.
            (Array(#"{"id":"d","op":"screen","message":{"text":"刷单返利","te\u0078t":"你好"}}"#.utf8), "invalid_json", "d"),
            (Array(#"{"id":"d2","op":"screen","op":"ping"}"#.utf8), "invalid_json", "d2"),
            (Array(#"{"id":"u","op":"screen","message":{"text":""#.utf8) + [0xE5, 0x88, 0xFF, 0xC0, 0xAF] + Array(#""}}"#.utf8), "invalid_utf8", "u"),
            (Array(#"{"op":"screen","message":{"text":""#.utf8) + [0xE5, 0x88] + Array(#""},"id":"late"}"#.utf8), "invalid_utf8", nil),
            (Array(#"{"id":"m","op":"screen","message":{"channel":"sms"}}"#.utf8), "missing_field", "m"),
            (Array(#"{"id":"m2"}"#.utf8), "missing_field", "m2"),
            (Array(#"{"id":"b","op":"screen","message":{"text":["not","a","string"]}}"#.utf8), "bad_value", "b"),
            (Array(#"{"id":"b2","op":"screen","transaction":{"memo":"x","amount":12500.0,"currency":"CNY","payee":{},"timestamp":"2026-11-29T02:13:00+08:00"}}"#.utf8), "bad_value", "b2"),
            (Array(#"{"id":"b3","op":true}"#.utf8), "bad_value", "b3"),
            (Array(#"{"id":"o","op":"launch"}"#.utf8), "unknown_op", "o"),
        ]
        for (bytes, code, id) in cases {
            try socket.send(bytes + [0x0A])
            let answer = try socket.readLine()
            #expect(errorCode(answer) == code, "\(answer)")
            #expect(json(answer)["id"] as? String == id, "\(answer)")
            let message = (json(answer)["error"] as? [String: Any])?["message"] as? String
            #expect(message?.isEmpty == false)
            try expectAlive()
        }
        // A 1 MiB line: answered too_large, skipped, and the next request on the same connection works.
        let huge = Array(#"{"id":"big","op":"screen","message":{"text":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1_048_576) + Array(#""}}"#.utf8)
        try socket.send(huge + [0x0A] + Array(#"{"id":"next","op":"ping"}"#.utf8) + [0x0A])
        #expect(errorCode(try socket.readLine()) == "too_large")
        #expect(json(try socket.readLine())["id"] as? String == "next")
        try expectAlive()
    }

    @Test func transactionConditionsAndVelocityApplyThroughTheDaemon() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        func transfer(_ id: String, minute: Int) -> String {
            #"{"id":"\#(id)","op":"screen","transaction":{"memo":"货款","amount":"12500.00","currency":"CNY","payer":{"account":"6222 0200 0000 0001"},"payee":{"account":"6217000000000000","name":"李某","type":"personal"},"channel":"mobile","first_time_payee":true,"timestamp":"2026-11-29T02:\#(minute)0:00+08:00"}}"#
        }
        let first = json(try socket.request(transfer("v1", minute: 1)))
        let rules = (first["hits"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(rules == ["txn.large_new_personal"])
        let evidence = (first["hits"] as? [[String: Any]])?.first?["evidence"] as? [[String: Any]] ?? []
        #expect(evidence.contains { $0["field"] as? String == "payee.type" && $0["text"] as? String == "personal" })
        _ = try socket.request(transfer("v2", minute: 2))
        let third = json(try socket.request(transfer("v3", minute: 3)))
        let thirdRules = Set((third["hits"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String })
        #expect(thirdRules == ["txn.large_new_personal", "txn.third_new_payee"])
        #expect(third["score"] as? Int == 55)
        #expect(errorCode(try socket.request(#"{"id":"bad","op":"screen","transaction":{"memo":"x","amount":"1.00","payee":{"type":"company"},"timestamp":"2026-11-29T02:13:00Z"}}"#)) == "bad_value")
    }

    @Test func transactionsAreValidatedAndTheirTextScreened() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let answer = json(try socket.request(#"{"id":"t1","op":"screen","transaction":{"memo":"做任务返利","amount":"12500.00","currency":"CNY","payer":{"account":"6222020000000000","name":"张三"},"payee":{"account":"6217000000000000","name":"安全账户","bank":"某银行"},"channel":"mobile","first_time_payee":true,"timestamp":"2026-11-29T02:13:00+08:00"}}"#))
        #expect(answer["id"] as? String == "t1")
        #expect(answer["verdict"] as? String == "block")
        let fields = Set(((answer["hits"] as? [[String: Any]]) ?? []).flatMap { ($0["evidence"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String } })
        #expect(fields == ["memo", "payee_name"])
        #expect(errorCode(try socket.request(#"{"id":"t2","op":"screen","transaction":{"memo":"x","amount":"12,500","currency":"CNY","payee":{},"timestamp":"2026-11-29T02:13:00+08:00"}}"#)) == "bad_value")
        #expect(errorCode(try socket.request(#"{"id":"t3","op":"screen","transaction":{"memo":"x","amount":"1","currency":"CNY","payee":{},"timestamp":"yesterday"}}"#)) == "bad_value")
        #expect(errorCode(try socket.request(#"{"id":"t4","op":"screen","transaction":{"memo":"x","amount":"1","currency":"CNY","timestamp":"2026-11-29T02:13:00Z"}}"#)) == "missing_field")
    }

    @Test func clientLibraryPipelinesTypedRequests() throws {
        let (daemon, _) = try startDaemon(); defer { daemon.stop() }
        let client = try DaemonClient.connect(socketPath: daemon.socketPath); defer { client.close() }
        let futures = (0..<200).map { i in
            i % 2 == 0 ? client.send(.screen(text: "刷单就有佣金 \(i)")) : client.send(.screen(text: "明天一起吃饭 \(i)"))
        }
        let answers = try futures.map { try $0.wait() }
        #expect(answers.enumerated().allSatisfy { $0.element.id == "c\($0.offset + 1)" })
        #expect(answers.enumerated().allSatisfy { $0.element.verdict == ($0.offset % 2 == 0 ? "warn" : "allow") })
        let transaction = try client.send(.screenTransaction(TransactionRequest(memo: "把钱转到安全账户", amount: "50000.00",
                                                                                  payeeName: "王五", timestamp: "2026-11-29T02:13:00+08:00"))).wait()
        #expect(transaction.verdict == "block")
        #expect(transaction.hits.first?.evidence.first?.field == "memo")
        let report = try client.send(.report(text: "刷单就有佣金", reporter: "hotline-07", label: "fraud", category: "brushing_rebate")).wait()
        #expect(report.reportID?.hasPrefix("r-") == true)
        #expect(report.verdict == "warn")
        let ping = try client.send(.ping).wait()
        #expect(ping.rulesVersion?.count == 16)
    }

    @Test func statsAndPrometheusMetrics() throws {
        let daemon = try DaemonProcess(); defer { daemon.stop() }
        let rules = try TestRules(in: daemon.directory)
        let metrics = daemon.directory.appendingPathComponent("m.sock").path
        try daemon.start(["--socket", daemon.socketPath, "--rules", rules.path, "--metrics-socket", metrics])
        let socket = try daemon.connect(); defer { socket.close() }
        for _ in 0..<10 { _ = try socket.request(#"{"id":"s","op":"screen","message":{"text":"刷单就有佣金"}}"#) }
        _ = try socket.request(#"{"id":"e","op":"nope"}"#)
        let stats = json(try socket.request(#"{"id":"st","op":"stats"}"#))["stats"] as? [String: Any] ?? [:]
        #expect((stats["requests"] as? [String: Int])?["screen_message"] == 10)
        #expect((stats["verdicts"] as? [String: Int])?["warn"] == 10)
        #expect((stats["errors"] as? [String: Int])?["unknown_op"] == 1)
        #expect((stats["latency_us"] as? [String: Int])?["p99"] != nil)
        #expect((stats["rules_version"] as? String)?.count == 16)
        #expect(stats["uptime_s"] is Int)
        #expect((stats["connections"] as? [String: Int])?["open"] ?? 0 >= 1)
        let prometheus = json(try socket.request(#"{"id":"pr","op":"stats","format":"prometheus"}"#))["prometheus"] as? String ?? ""
        #expect(prometheus.contains("fraudscreen_verdicts_total{verdict=\"warn\"} 10"))
        let scrape = try LineSocket(path: metrics).readUntilClosed().joined(separator: "\n")
        // A scraper that shuts down its side at once (`socat … < /dev/null`) gets the same text.
        let halfClosed = try LineSocket(path: metrics); defer { halfClosed.close() }
        halfClosed.shutdownSending()
        let halfClosedScrape = try halfClosed.readUntilClosed()
        #expect(halfClosedScrape.contains { $0.hasPrefix("fraudscreen_requests_total{op=\"screen_message\"}") })
        #expect(scrape.contains("# TYPE fraudscreen_requests_total counter"))
        #expect(scrape.contains("fraudscreen_request_duration_seconds{quantile=\"0.99\"}"))
    }

    @Test func socketFileIsGroupOnlyAndAStaleOneIsReplaced() throws {
        let daemon = try DaemonProcess(); defer { daemon.stop() }
        let rules = try TestRules(in: daemon.directory)
        // A stale socket file from a crashed daemon: bound, never listened on, closed.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in daemon.socketPath.utf8.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(stale)
        try daemon.start(["--socket", daemon.socketPath, "--rules", rules.path])
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        // A second daemon on the same path refuses to steal it.
        let second = try DaemonProcess(); defer { second.stop() }
        try second.start(["--socket", daemon.socketPath, "--rules", rules.path], waitForSocket: false)
        #expect(second.waitForExit(timeout: 60) == 1)
        #expect(second.log.contains("another daemon is listening"))
        #expect(errorCode(try daemon.connect().request(#"{"id":"p","op":"ping"}"#)) == nil)
    }

    @Test func overloadedBeyondMaxConnectionsAndIdleConnectionsClosed() throws {
        let (daemon, _) = try startDaemon(["--max-connections", "1", "--idle-timeout", "1"]); defer { daemon.stop() }
        /// A connection the daemon admitted (the start-up probe's slot is freed once its close is seen).
        func admittedConnection() throws -> LineSocket? {
            for _ in 0..<100 {
                let socket = try daemon.connect()
                if let answer = try? socket.request(#"{"id":"p","op":"ping"}"#), errorCode(answer) == nil { return socket }
                socket.close()
                usleep(50_000)
            }
            return nil
        }
        let first = try #require(try admittedConnection()); defer { first.close() }
        let second = try daemon.connect(); defer { second.close() }
        let refused = try second.readUntilClosed(timeout: 10)
        #expect(refused.count == 1 && errorCode(refused[0]) == "overloaded")
        // Counted with the other error answers, not only as a refused connection.
        let stats = json(try first.request(#"{"id":"s","op":"stats"}"#))["stats"] as? [String: Any]
        let overloaded = (stats?["errors"] as? [String: Any])?["overloaded"] as? Int ?? 0
        #expect(overloaded >= 1 && overloaded == (stats?["connections"] as? [String: Any])?["refused"] as? Int, "\(String(describing: stats))")
        // The first connection, left idle, is closed after the idle timeout; then a new one is admitted.
        #expect(try first.readUntilClosed(timeout: 20).isEmpty)
        let third = try admittedConnection()
        #expect(third != nil)
        third?.close()
    }

    @Test("answers many times their request: a client that does not read them gets no more screened, and a long list of entities is cut")
    func largeAnswersAreBoundedPerConnection() throws {
        let (daemon, _) = try startDaemon(reports: false); defer { daemon.stop() }
        // 12,000 links in a 60 KB line: before, each answer listed all of them, about a megabyte.
        let text = String(repeating: "a.cn ", count: 12_000)
        let line = #"{"id":"e","op":"screen","entities":true,"message":{"text":"\#(text)"}}"# + "\n"
        let reader = try daemon.connect(); defer { reader.close() }
        let one = json(try reader.request(String(line.dropLast())))
        #expect((one["entities"] as? [Any])?.count == 256 && one["entities_omitted"] as? Int == 11_744, "\(one["entities_omitted"] ?? "none")")

        // 32 such requests from a client that never reads: the daemon screens a few, then waits for the client.
        let idle = try daemon.connect(); defer { idle.close() }
        // Sent from another thread: the daemon stops reading from this client too, so the send blocks until
        // the answers are read below.
        let sent = DispatchSemaphore(value: 0)
        onOwnThread { try? idle.send(String(repeating: line, count: 32)); sent.signal() }
        Thread.sleep(forTimeInterval: 2)
        let stats = json(try reader.request(#"{"id":"st","op":"stats"}"#))["stats"] as? [String: Any] ?? [:]
        let screened = ((stats["requests"] as? [String: Int])?["screen_message"] ?? 0) - 1
        #expect(screened >= 1 && screened < 32, "screened \(screened) of 32 for a client that reads nothing")
        // Once it reads, every request is answered, in order.
        let answers = try (0..<32).map { _ in try idle.readLine(timeout: 30) }
        #expect(answers.allSatisfy { json($0)["id"] as? String == "e" })
        #expect(sent.wait(timeout: .now() + 30) == .success)
    }

    @Test("clients that do not read their answers have at most a line and one read of requests read ahead of screening")
    func readAheadIsBoundedPerConnection() throws {
        let (daemon, _) = try startDaemon(reports: false); defer { daemon.stop() }
        let text = String(repeating: "a.cn ", count: 12_000)
        let line = Array((#"{"id":"e","op":"screen","entities":true,"message":{"text":"\#(text)"}}"# + "\n").utf8)
        let observer = try daemon.connect(); defer { observer.close() }
        func screened() throws -> Int {
            let stats = json(try observer.request(#"{"id":"st","op":"stats"}"#))["stats"] as? [String: Any] ?? [:]
            return (stats["requests"] as? [String: Int])?["screen_message"] ?? 0
        }
        /// Bytes the daemon has taken in with read(2) and recv(2), from every descriptor.
        func bytesRead() throws -> Int {
            let io = try String(contentsOfFile: "/proc/\(daemon.pid)/io", encoding: .utf8)
            return io.split(separator: "\n").first { $0.hasPrefix("rchar:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? -1
        }
        let before = try bytesRead()
        #expect(before >= 0)
        let floods = try (0..<16).map { _ in try daemon.connect() }
        defer { for flood in floods { flood.close() } }
        for flood in floods { _ = fcntl(flood.fd, F_SETFL, fcntl(flood.fd, F_GETFL) | O_NONBLOCK) }
        let chunk = Array([[UInt8]](repeating: line, count: 8).joined())
        var offsets = [Int](repeating: 0, count: floods.count), stalledFor = 0.0
        let deadline = Date().addingTimeInterval(60)
        while stalledFor < 1.5, Date() < deadline {
            var progress = false
            for (k, flood) in floods.enumerated() {
                let n = chunk.withUnsafeBytes { send(flood.fd, $0.baseAddress! + offsets[k], $0.count - offsets[k], Int32(MSG_NOSIGNAL)) }
                if n > 0 { offsets[k] = (offsets[k] + n) % chunk.count; progress = true }
            }
            if progress { stalledFor = 0 } else { usleep(50_000); stalledFor += 0.05 }
        }
        #expect(stalledFor >= 1.5, "the daemon kept reading from clients that never read")
        let perConnection = (try bytesRead() - before - (try screened()) * line.count) / floods.count
        // What is read ahead is the line after the last one screened, read 16 KiB at a time up to where screening
        // stopped: here 27 KB per connection. (Reading up to four 64 KiB buffers per wake-up, the daemon held a
        // line more, 66 KB here and 84–141 KB per connection with hundreds of such clients.)
        #expect(perConnection > 0 && perConnection < 48_000, "read ahead of screening per connection: \(perConnection) bytes")
    }

    @Test func aClientThatDoesNotReadIsThrottledNotBuffered() throws {
        let (daemon, _) = try startDaemon(reports: false); defer { daemon.stop() }
        let socket = try daemon.connect(); defer { socket.close() }
        let flags = fcntl(socket.fd, F_GETFL)
        _ = fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK)
        // Write requests without reading answers until the daemon stops reading (our sends would block).
        let line = Array(#"{"id":"x","op":"screen","message":{"text":"刷单就有佣金，请把钱转到安全账户"}}"#.utf8) + [0x0A]
        let chunk = Array([[UInt8]](repeating: line, count: 256).joined())
        var sentRequests = 0, stalledFor = 0.0
        let deadline = Date().addingTimeInterval(60)
        while stalledFor < 1.5, Date() < deadline {
            let n = chunk.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                stalledFor = 0
                sentRequests += n / line.count
                let partial = n % line.count
                if partial > 0 {  // finish the partial line so the stream stays framed
                    var rest = Array(line[partial...])
                    while !rest.isEmpty {
                        let m = rest.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if m > 0 { rest.removeFirst(m) } else { usleep(1_000) }
                    }
                    sentRequests += 1
                }
            } else {
                usleep(50_000)
                stalledFor += 0.05
            }
        }
        #expect(stalledFor >= 1.5, "the daemon kept reading from a client that never reads")
        // Memory stayed bounded: the daemon holds back instead of queueing answers.
        let status = try String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)
        let rssKB = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        #expect(rssKB > 0 && rssKB < 200_000, "RSS \(rssKB) kB")
        // Every request sent is answered once the client reads.
        _ = fcntl(socket.fd, F_SETFL, flags)
        var answers = 0
        while answers < sentRequests {
            let answer = try socket.readLine(timeout: 60)
            #expect(errorCode(answer) == nil)
            answers += 1
        }
        #expect(answers == sentRequests)
        #expect(json(try socket.request(#"{"id":"p","op":"ping"}"#))["ok"] as? Bool == true)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(by size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
